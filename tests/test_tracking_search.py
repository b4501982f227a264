"""Run search, ranking, filters and comparison through the registered tools."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.factories import add_experiment, add_model_version, add_run
from tools.governance import Actor, Governor
from tools.store.db import open_store
from tools.store.schema import AuditEntry

NOW = "2026-12-04T10:30:00Z"
VIEWER = Actor("dave", "test")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELPILOT_NOW", NOW)
    store = open_store()
    vision = add_experiment(store, "digits-vision", task="image-classification")
    fraud = add_experiment(store, "card-fraud", task="fraud-detection")
    add_run(
        store,
        vision,
        "svc-rbf",
        datetime(2026, 11, 20, tzinfo=UTC),
        {"accuracy": 0.981, "val_loss": [0.9, 0.4, 0.2]},
        {"model": "svc", "C": "3"},
    )
    add_run(
        store,
        vision,
        "rf-200",
        datetime(2026, 10, 2, tzinfo=UTC),
        {"accuracy": 0.962, "val_loss": [1.0, 0.5, 0.3]},
        {"model": "rf", "C": "3", "n_estimators": "200"},
    )
    add_run(
        store,
        vision,
        "logreg",
        datetime(2026, 7, 15, tzinfo=UTC),
        {"accuracy": 0.990},
        {"model": "logreg", "C": "1"},
    )
    add_run(
        store,
        vision,
        "crashed",
        datetime(2026, 11, 30, tzinfo=UTC),
        {},
        {"model": "svc"},
        status="FAILED",
    )
    fraud_run = add_run(
        store,
        fraud,
        "xgb-balanced",
        datetime(2026, 11, 10, tzinfo=UTC),
        {"roc_auc": 0.93, "accuracy": 0.999},
        {"model": "xgb"},
    )
    add_model_version(
        store, "fraud-detector", 1, fraud_run, task="fraud-detection", aliases=("production",)
    )
    return store


def _search(store, **arguments):
    outcome = Governor(store).invoke("search_runs", arguments, VIEWER)
    assert outcome.status == "ok", outcome.error
    return outcome.result


def test_best_run_in_window_by_task(store):
    result = _search(
        store, task="image classifier", metric="accuracy", period="last 3 months", limit=1
    )
    assert result["total"] == 2
    assert result["runs"][0]["name"] == "svc-rbf"
    assert result["runs"][0]["metric_value"] == pytest.approx(0.981)
    assert result["window"]["start"].startswith("2026-09-04")


def test_loss_ranks_lowest_first(store):
    result = _search(store, experiment="digits-vision", metric="val_loss")
    assert result["order"] == "min"
    assert [run["name"] for run in result["runs"]] == ["svc-rbf", "rf-200"]


def test_filter_with_or_and_params(store):
    result = _search(
        store, filter="params.model = 'svc' or (params.model = 'rf' and metrics.accuracy > 0.95)"
    )
    names = {run["name"] for run in result["runs"]}
    assert names == {"svc-rbf", "rf-200", "crashed"}


def test_status_filter_and_time_attribute(store):
    result = _search(store, status="FAILED")
    assert [run["name"] for run in result["runs"]] == ["crashed"]
    result = _search(store, filter="attributes.start_time >= '2026-11-01' and status = 'FINISHED'")
    assert {run["name"] for run in result["runs"]} == {"svc-rbf", "xgb-balanced"}


def test_invalid_filter_is_one_line_error(store):
    outcome = Governor(store).invoke("search_runs", {"filter": "metrics.accuracy >"}, VIEWER)
    assert outcome.status == "error"
    assert "filter" in outcome.error
    assert "\n" not in outcome.error


def test_unknown_experiment_suggests(store):
    outcome = Governor(store).invoke("search_runs", {"experiment": "digits-visoin"}, VIEWER)
    assert outcome.status == "error"
    assert "did you mean 'digits-vision'" in outcome.error


def test_unknown_metric_suggests(store):
    outcome = Governor(store).invoke("search_runs", {"metric": "acuracy"}, VIEWER)
    assert outcome.status == "error"
    assert "accuracy" in outcome.error


def test_compare_shows_only_differing_params(store):
    outcome = Governor(store).invoke("compare_runs", {"runs": ["svc-rbf", "rf-200"]}, VIEWER)
    assert outcome.status == "ok", outcome.error
    result = outcome.result
    assert set(result["params_differing"]) == {"model", "n_estimators"}
    assert result["params_differing"]["n_estimators"] == [None, "200"]
    assert result["params_same_count"] == 1
    accuracy = next(m for m in result["metrics"] if m["metric"] == "accuracy")
    assert accuracy["values"] == [pytest.approx(0.981), pytest.approx(0.962)]
    assert accuracy["best_run"] == result["runs"][0]["run_id"]


def test_metric_history_is_full(store):
    outcome = Governor(store).invoke(
        "metric_history", {"run": "rf-200", "metric": "val_loss"}, VIEWER
    )
    points = outcome.result["points"]
    assert [p["step"] for p in points] == [0, 1, 2]
    assert [p["value"] for p in points] == [1.0, 0.5, 0.3]


def test_search_links_model_versions(store):
    result = _search(store, task="fraud", metric="roc_auc")
    versions = result["runs"][0]["model_versions"]
    assert versions == [{"model": "fraud-detector", "version": 1, "aliases": ["production"]}]


def test_best_run_per_experiment(store):
    outcome = Governor(store).invoke("best_run_per_experiment", {"metric": "accuracy"}, VIEWER)
    best = {entry["experiment"]: entry["run"]["name"] for entry in outcome.result["best"]}
    assert best == {"digits-vision": "logreg", "card-fraud": "xgb-balanced"}


def test_reads_are_audited(store):
    _search(store, metric="accuracy")
    with store.session() as session:
        entries = session.exec(select(AuditEntry)).all()
    assert [(e.user, e.tool, e.outcome) for e in entries] == [("dave", "search_runs", "ok")]
