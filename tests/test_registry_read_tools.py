"""Read-only registry tools over a store built in code."""

from __future__ import annotations

from typing import Any

from tests.test_registry_support import audit_rows, registry, registry_template, request
from tools.store.db import Store

__all__ = ["registry", "registry_template"]


def read(store: Store, tool: str, **arguments: Any) -> dict[str, Any]:
    outcome = request(store, "vera", tool, arguments)
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return outcome.result


def test_list_models_shows_latest_and_aliases(registry: Store) -> None:
    models = {m["name"]: m for m in read(registry, "list_models")["models"]}
    assert set(models) == {"fraud-detector", "churn-model"}
    assert models["fraud-detector"]["latest_version"] == 4
    assert models["fraud-detector"]["version_count"] == 4
    assert models["fraud-detector"]["aliases"] == {"production": 2, "staging": 4}
    assert models["churn-model"]["aliases"] == {}


def test_list_models_filters_by_task_and_query(registry: Store) -> None:
    by_task = read(registry, "list_models", task="churn-prediction")["models"]
    by_query = read(registry, "list_models", query="FRAUD")["models"]
    assert [m["name"] for m in by_task] == ["churn-model"]
    assert [m["name"] for m in by_query] == ["fraud-detector"]


def test_get_model_version_by_alias_has_lineage(registry: Store) -> None:
    detail = read(registry, "get_model_version", model="fraud-detector", alias="Production")
    assert detail["version"] == 2
    assert detail["aliases"] == ["production"]
    assert detail["run"]["name"] == "fraud-run-2"
    assert detail["run"]["experiment"] == "fraud-exp"
    assert detail["run"]["params"] == {"max_depth": "2", "seed": "42"}
    assert detail["run"]["metrics"]["auc"] == 0.86
    assert [(d["dataset"], d["version"]) for d in detail["datasets"]] == [("transactions", 1)]
    assert detail["model_card_present"] is True
    assert detail["model_card_source"] == "model_version.model_card"
    assert detail["dependencies"]["scikit-learn"] == "1.2.0"
    assert [(d["environment"], d["version"]) for d in detail["deployments"]] == [("production", 2)]


def test_get_model_version_truncates_script(registry: Store) -> None:
    detail = read(registry, "get_model_version", model="fraud-detector", version="v3")
    assert detail["version"] == 3
    assert detail["training_script_truncated"] is True
    assert detail["training_script_length"] == len("import sklearn\n" + "# tuning\n" * 400)
    assert len(detail["training_script"]) == 2000
    assert detail["model_card_present"] is False
    assert detail["deployments"] == []


def test_get_model_version_defaults_to_latest(registry: Store) -> None:
    assert read(registry, "get_model_version", model="fraud-detector")["version"] == 4


def test_get_model_version_suggests_names(registry: Store) -> None:
    outcome = request(registry, "vera", "get_model_version", {"model": "fraud-detectr"})
    assert outcome.status == "error"
    assert "did you mean 'fraud-detector'" in (outcome.error or "")


def test_get_model_version_unknown_version(registry: Store) -> None:
    outcome = request(registry, "vera", "get_model_version", {"model": "churn-model", "version": 9})
    assert outcome.status == "error"
    assert "churn-model has no version 9; its versions: v1, v2" in (outcome.error or "")


def test_list_model_versions_by_status(registry: Store) -> None:
    everything = read(registry, "list_model_versions", model="fraud-detector")
    archived = read(registry, "list_model_versions", model="fraud-detector", status="ARCHIVED")
    assert [v["version"] for v in everything["versions"]] == [4, 3, 2, 1]
    assert everything["versions"][0]["aliases"] == ["staging"]
    assert archived["versions"] == []


def test_alias_history_lists_newest_first(registry: Store) -> None:
    history = read(registry, "alias_history", model="fraud-detector")
    assert history["current_version"] == 2
    assert [(e["from_version"], e["to_version"]) for e in history["events"]] == [
        (3, 2),
        (1, 3),
        (None, 1),
    ]


def test_alias_history_at_a_phrase(registry: Store) -> None:
    on_third = read(registry, "alias_history", model="fraud-detector", at="3 March")
    on_fifth = read(registry, "alias_history", model="fraud-detector", at="5 March")
    assert on_third["version_at"] == 3
    assert on_third["as_of"] == "2026-03-04T00:00:00+00:00"
    assert on_third["changes_in_window"] == []
    assert on_fifth["version_at"] == 2
    assert [e["to_version"] for e in on_fifth["changes_in_window"]] == [2]


def test_alias_history_at_iso_dates(registry: Store) -> None:
    def holder(moment: str) -> int | None:
        result = read(registry, "alias_history", model="fraud-detector", at=moment)
        value: int | None = result["version_at"]
        return value

    assert holder("2026-01-09") is None
    assert holder("2026-02-15") == 3
    assert holder("2026-02-01T09:59:59Z") == 1
    assert holder("2026-02-01T10:00:00Z") == 3


def test_get_deployments_current(registry: Store) -> None:
    found = read(registry, "get_deployments", model="fraud-detector")["deployments"]
    assert [(d["environment"], d["version"], d["status"]) for d in found] == [
        ("production", 2, "active")
    ]


def test_deployment_history_in_period(registry: Store) -> None:
    everything = read(registry, "deployment_history", model="fraud-detector")["events"]
    in_march = read(registry, "deployment_history", model="fraud-detector", period="in March")
    assert [e["to_version"] for e in everything] == [2, 3, 1]
    assert [e["to_version"] for e in in_march["events"]] == [2]
    assert in_march["window"]["start"] == "2026-03-01T00:00:00Z"


def test_search_versions_ranks_by_metric(registry: Store) -> None:
    by_auc = read(registry, "search_model_versions", metric="auc", task="fraud-detection")
    by_loss = read(registry, "search_model_versions", metric="val_loss", limit=2)
    assert [v["version"] for v in by_auc["versions"]] == [4, 2, 3, 1]
    assert by_auc["order"] == "max"
    assert by_auc["total"] == 4
    assert [v["value"] for v in by_loss["versions"]] == [0.38, 0.41]
    assert by_loss["order"] == "min"


def test_search_versions_by_alias(registry: Store) -> None:
    found = read(registry, "search_model_versions", alias="production")["versions"]
    assert [(v["model"], v["version"]) for v in found] == [("fraud-detector", 2)]


def test_reads_are_audited(registry: Store) -> None:
    read(registry, "list_models")
    assert audit_rows(registry, "list_models") == [("vera", "ok", False)]


def test_alias_history_as_of_exact_instant(registry: Store) -> None:
    result = read(registry, "alias_history", model="fraud-detector", at="2026-02-01T10:00:00Z")
    assert result["as_of"] == "2026-02-01T10:00:00+00:00"
    assert result["version_at"] == 3
    assert result["changes_in_window"] == []
