"""compare_model_versions over the registry fixture, and its answer in English and Chinese.

Fixture metrics (version and run alike): v1 auc 0.81 f1 0.60 val_loss 0.52, v2 auc 0.86
f1 0.66 val_loss 0.41, v3 auc 0.84 f1 0.70 val_loss 0.45, v4 auc 0.90 f1 0.72 val_loss 0.38.
Production points at v2 and serves it; staging points at v4.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from assistant.compose import RENDERERS
from assistant.plan import Plan
from assistant.service import Assistant
from tests.test_registry_support import registry, registry_template, request
from tools.governance import Actor
from tools.store.db import Store
from tools.store.schema import ModelVersion

__all__ = ["registry", "registry_template"]


def compare(store: Store, model: str, versions: list[Any]) -> dict[str, Any]:
    outcome = request(
        store, "vera", "compare_model_versions", {"model": model, "versions": versions}
    )
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return outcome.result


def by_metric(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["metric"]: m for m in result["metrics"]}


def set_version_metrics(store: Store, version: int, metrics: dict[str, float]) -> None:
    with store.session() as session:
        row = session.exec(
            select(ModelVersion).where(
                ModelVersion.model_name == "fraud-detector", ModelVersion.version == version
            )
        ).one()
        row.metrics = metrics
        session.add(row)


def render(result: dict[str, Any], lang: str) -> tuple[str, list[str], list[list[Any]]]:
    text, table, _ = RENDERERS["compare_model_versions"](result, {}, lang, Plan("tools"))
    assert table is not None
    return text, table.columns, table.rows


def test_two_versions_side_by_side(registry: Store) -> None:
    result = compare(registry, "fraud-detector", [2, 3])
    v2, v3 = result["versions"]
    assert (v2["version"], v3["version"]) == (2, 3)
    assert v2["aliases"] == ["production"]
    assert v3["aliases"] == []
    assert v2["run_name"] == "fraud-run-2"
    assert v2["run_id"] == "run-fraud-02-aaaaaaaa"
    assert v2["status"] == "READY"
    assert v2["created_at"].startswith("2026-01-07T10:00:00")
    assert [(d["environment"], d["status"]) for d in v2["deployments"]] == [
        ("production", "active")
    ]
    assert v3["deployments"] == []
    assert result["baseline_version"] == 2


def test_best_version_follows_metric_direction(registry: Store) -> None:
    metrics = by_metric(compare(registry, "fraud-detector", [2, 3]))
    assert metrics["auc"]["best_version"] == 2
    assert metrics["f1"]["best_version"] == 3
    assert metrics["val_loss"]["direction"] == "min"
    assert metrics["val_loss"]["best_version"] == 2
    assert metrics["val_loss"]["values"] == [0.41, 0.45]
    assert metrics["f1"]["differences"][0] == 0.0
    assert metrics["f1"]["differences"][1] == pytest.approx(0.04)


def test_main_metric_prefers_auc(registry: Store) -> None:
    result = compare(registry, "fraud-detector", [2, 3])
    assert result["main_metric"] == "auc"
    assert result["best_version"] == 2


def test_three_versions_keep_given_order(registry: Store) -> None:
    result = compare(registry, "fraud-detector", ["v4", 1, "3"])
    assert [v["version"] for v in result["versions"]] == [4, 1, 3]
    assert result["baseline_version"] == 4
    auc = by_metric(result)["auc"]
    assert auc["values"] == [0.90, 0.81, 0.84]
    assert auc["differences"][1] == pytest.approx(-0.09)
    assert auc["best_version"] == 4
    assert [v["aliases"] for v in result["versions"]] == [["staging"], [], []]


def test_run_metrics_fill_gaps(registry: Store) -> None:
    set_version_metrics(registry, 3, {"auc": 0.99})
    metrics = by_metric(compare(registry, "fraud-detector", [2, 3]))
    assert metrics["auc"]["values"] == [0.86, 0.99]
    assert metrics["f1"]["values"] == [0.66, 0.70]


def test_tie_names_no_best_version(registry: Store) -> None:
    set_version_metrics(registry, 1, {"auc": 0.86})
    result = compare(registry, "fraud-detector", [1, 2])
    assert result["main_metric"] == "auc"
    assert result["best_version"] is None
    assert by_metric(result)["f1"]["best_version"] == 2


def test_version_metrics_win_over_run_metrics(registry: Store) -> None:
    # churn-model v2 records accuracy 0.72, but its run's latest accuracy is 0.77.
    result = compare(registry, "churn-model", [1, 2])
    assert result["main_metric"] == "accuracy"
    assert by_metric(result)["accuracy"]["values"] == [0.71, 0.72]
    assert result["versions"][0]["run_id"] is None
    assert result["versions"][0]["run_name"] is None


def test_partial_metric_has_no_best(registry: Store) -> None:
    set_version_metrics(registry, 3, {"precision": 0.5})
    fraud = compare(registry, "fraud-detector", [3, 2])
    precision = by_metric(fraud)["precision"]
    assert precision["values"] == [0.5, None]
    assert precision["differences"] == [0.0, None]
    assert precision["best_version"] is None


def test_unknown_model_suggests_name(registry: Store) -> None:
    outcome = request(
        registry, "vera", "compare_model_versions", {"model": "fraud-detecter", "versions": [2, 3]}
    )
    assert outcome.status == "error"
    assert outcome.error == (
        "no registered model named 'fraud-detecter'; did you mean 'fraud-detector'?"
    )


def test_unknown_version_lists_versions(registry: Store) -> None:
    outcome = request(
        registry, "vera", "compare_model_versions", {"model": "fraud-detector", "versions": [2, 9]}
    )
    assert outcome.status == "error"
    assert outcome.error == "fraud-detector has no version 9; its versions: v1, v2, v3, v4"


@pytest.mark.parametrize("versions", [[2], [1, 2, 3, 4, 1, 2], [2, "two"]])
def test_invalid_version_lists_are_rejected(registry: Store, versions: list[Any]) -> None:
    outcome = request(
        registry,
        "vera",
        "compare_model_versions",
        {"model": "fraud-detector", "versions": versions},
    )
    assert outcome.status == "error"
    assert outcome.error


def test_repeated_version_is_rejected(registry: Store) -> None:
    outcome = request(
        registry, "vera", "compare_model_versions", {"model": "fraud-detector", "versions": [2, 2]}
    )
    assert outcome.status == "error"
    assert outcome.error == (
        "invalid versions [2, 2] of fraud-detector: give 2 to 5 different version numbers"
    )


def test_answer_in_english(registry: Store) -> None:
    text, columns, rows = render(compare(registry, "fraud-detector", [2, 3]), "en")
    assert text == "fraud-detector v2 is better than v3 on auc (0.86 vs 0.84; higher is better)."
    assert columns == ["", "v2", "v3", "best"]
    assert rows[5] == ["auc", "0.86", "0.84 (-0.02)", "v2"]
    assert ["val_loss", "0.41", "0.45 (+0.04)", "v2"] in rows
    assert ["aliases", "production", "—", ""] in rows
    assert ["deployed", "production (active)", "—", ""] in rows


def test_answer_in_chinese(registry: Store) -> None:
    text, _, rows = render(compare(registry, "fraud-detector", [3, 2]), "zh")
    assert text == "在 auc 上，fraud-detector v2 优于 v3（0.86 对 0.84，越高越好）。"
    assert rows[5] == ["auc", "0.84", "0.86 (+0.02)", "v2"]


def test_answer_for_three_versions_and_ties(registry: Store) -> None:
    text, _, _ = render(compare(registry, "fraud-detector", [1, 2, 4]), "en")
    assert text == "fraud-detector v4 is the best of v1, v2 and v4 on auc (0.9; higher is better)."
    set_version_metrics(registry, 1, {"auc": 0.86})
    text, _, _ = render(compare(registry, "fraud-detector", [1, 2]), "zh")
    assert text == "fraud-detector 的 v1、v2 在 auc 上持平（v1 0.86, v2 0.86）。"


def test_answer_without_shared_metric(registry: Store) -> None:
    set_version_metrics(registry, 1, {"precision": 0.5})
    set_version_metrics(registry, 2, {"recall": 0.5})
    with registry.session() as session:
        for row in session.exec(select(ModelVersion)).all():
            row.run_id = None
            session.add(row)
    result = compare(registry, "fraud-detector", [1, 2])
    assert result["main_metric"] is None
    text, _, _ = render(result, "en")
    assert text == "fraud-detector v1 and v2 share no metric to compare them on."


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("compare fraud-detector v2 and v3", "fraud-detector v2 is better than v3 on auc"),
        ("对比 fraud-detector 的版本 2 和版本 3", "在 auc 上，fraud-detector v2 优于 v3"),
    ],
)
def test_rules_planner_calls_the_tool(registry: Store, question: str, expected: str) -> None:
    answer = Assistant().ask(question, Actor("vera", "test"), "c")
    assert [(c.name, c.status) for c in answer.tool_calls] == [("compare_model_versions", "ok")]
    assert answer.tool_calls[0].arguments == {"model": "fraud-detector", "versions": [2, 3]}
    assert answer.answer.startswith(expected)
    assert answer.table is not None
    assert answer.table.columns == ["", "v2", "v3", "best"]
