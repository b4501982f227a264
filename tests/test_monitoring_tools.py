"""The monitoring tools through governance, the ``modelpilot monitor`` commands and demo traffic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ui.cli
from tests.factories import add_user
from tools.datasets import link_run_dataset, register
from tools.demo.monitoring_part import seed_monitoring
from tools.governance import Actor, Governor, ToolOutcome
from tools.monitoring.alerts import list_alerts
from tools.monitoring.health import evaluate_model_health
from tools.monitoring.ingest import ingest_inference_log
from tools.store.db import Store, open_store
from tools.store.schema import Experiment, ModelVersion, Pipeline, RegisteredModel, Run

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EDITOR = Actor("erin", "cli")
APPROVER = Actor("ada", "cli")
VIEWER = Actor("vic", "cli")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MODELPILOT_NOW", NOW.isoformat())
    store = open_store()
    add_user(store, "erin", "editor")
    add_user(store, "ada", "approver")
    add_user(store, "vic", "viewer")
    yield store
    store.release()


def ingest_traffic(store: Store, *, shift: float = 1.0, slow: float = 1.0) -> None:
    """A week of quiet traffic for fraud-detector, then a day with drift and slower replies."""
    rng = np.random.default_rng(41)
    frames = []
    for start, days, size, x_shift, factor in (
        (NOW - timedelta(days=8), 7, 3500, 0.0, 1.0),
        (NOW - timedelta(days=1), 1, 1500, shift, slow),
    ):
        seconds = np.sort(rng.uniform(0, days * 86400 - 1, size))
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
                    "model": "fraud-detector",
                    "version": 2,
                    "latency_ms": rng.lognormal(np.log(40 * factor), 0.2, size),
                    "confidence": rng.uniform(0.8, 1.0, size),
                    "amount": rng.normal(x_shift, 1.0, size),
                    "country": rng.choice(["de", "fr"], size),
                }
            )
        )
    ingest_inference_log(store, pd.concat(frames))
    with store.session() as session:
        session.add(RegisteredModel(name="fraud-detector"))


def call(actor: Actor, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
    return Governor().invoke(tool, arguments, actor)


def test_model_health_tool(store: Store) -> None:
    ingest_traffic(store, slow=3.0)
    evaluate_model_health(store, "fraud-detector", NOW, actions=False)

    outcome = call(VIEWER, "model_health", {"model": "Fraud Detector"})

    assert outcome.status == "ok", outcome.error
    result = outcome.result
    assert result is not None
    assert result["model"] == "fraud-detector"
    assert result["verdict"] == "unhealthy"
    assert result["requests"] == 1500
    assert result["versions"] == {"v2": 1500}
    assert result["latency"]["p95_ms"] > 100
    assert [d["feature"] for d in result["drift"]["drifted"]] == ["amount"]
    assert {a["kind"] for a in result["open_alerts"]} == {"drift", "latency"}
    assert result["summary"].startswith("fraud-detector is unhealthy: ")


def test_drift_and_latency_reports(store: Store) -> None:
    ingest_traffic(store)

    drift = call(VIEWER, "drift_report", {"model": "fraud-detector", "period": "last 24 hours"})
    latency = call(VIEWER, "latency_report", {"model": "fraud-detector", "period": "last 3 days"})
    daily = call(
        VIEWER,
        "latency_report",
        {"model": "fraud-detector", "period": "last 7 days", "granularity": "day"},
    )

    assert drift.result is not None, drift.error
    assert drift.result["reference_kind"] == "baseline_window"
    assert drift.result["drifted"] == ["amount"]
    amount = next(f for f in drift.result["features"] if f["feature"] == "amount")
    assert len(amount["bins"]) == len(amount["reference_shares"]) == len(amount["current_shares"])
    assert latency.result is not None, latency.error
    assert latency.result["granularity"] == "hour"
    assert sum(p["requests"] for p in latency.result["points"]) == latency.result["requests"]
    assert daily.result is not None
    assert daily.result["granularity"] == "day"
    assert len(daily.result["points"]) <= 8


def test_unknown_model_suggests_a_name(store: Store) -> None:
    ingest_traffic(store)

    outcome = call(VIEWER, "model_health", {"model": "fraud-detectr"})

    assert outcome.status == "error"
    assert "did you mean 'fraud-detector'" in (outcome.error or "")


def test_acknowledge_alert(store: Store) -> None:
    ingest_traffic(store)
    evaluation = evaluate_model_health(store, "fraud-detector", NOW, actions=False)
    alert_id = evaluation.opened[0]

    denied = call(VIEWER, "acknowledge_alert", {"alert_id": alert_id[:8]})
    requested = call(EDITOR, "acknowledge_alert", {"alert_id": alert_id[:8], "comment": "on it"})
    assert requested.confirmation is not None
    done = Governor().confirm(requested.confirmation.token, EDITOR)
    listed = call(VIEWER, "list_alerts", {"status": "acknowledged"})

    assert denied.status == "denied"
    assert requested.confirmation.summary == "acknowledge alert " + alert_id[:8] + (
        " (fraud-detector: input drift)"
    )
    assert done.status == "ok", done.error
    assert listed.result is not None
    assert [(a["id"], a["acknowledged_by"]) for a in listed.result["alerts"]] == [
        (alert_id, "erin")
    ]


def test_set_monitoring_policy_needs_approver(store: Store) -> None:
    ingest_traffic(store)
    arguments = {"model": "fraud-detector", "on_alert": "retrain", "retrain_pipeline": "fraud-rt"}

    denied = call(EDITOR, "set_monitoring_policy", arguments)
    requested = call(APPROVER, "set_monitoring_policy", {**arguments, "drift_psi": 0.15})
    assert requested.confirmation is not None
    done = Governor().confirm(requested.confirmation.token, APPROVER)
    invalid = call(
        APPROVER, "set_monitoring_policy", {"model": "fraud-detector", "on_alert": "retrain"}
    )

    assert denied.status == "denied"
    assert requested.confirmation.summary == (
        "monitoring policy of fraud-detector: drift_psi 0.2 → 0.15, on_alert notify → retrain, "
        "retrain_pipeline None → fraud-rt"
    )
    assert done.status == "ok", done.error
    assert done.result is not None and done.result["policy"]["drift_psi"] == 0.15
    assert invalid.status == "needs_confirmation"
    assert invalid.confirmation is not None
    rejected = Governor().confirm(invalid.confirmation.token, APPROVER)
    assert rejected.status == "ok"  # the stored policy already names a pipeline


def test_retrain_without_pipeline_is_rejected(store: Store) -> None:
    ingest_traffic(store)

    requested = call(
        APPROVER, "set_monitoring_policy", {"model": "fraud-detector", "on_alert": "retrain"}
    )
    assert requested.confirmation is not None
    done = Governor().confirm(requested.confirmation.token, APPROVER)

    assert done.status == "error"
    assert "needs a retrain_pipeline" in (done.error or "")


# --- command line --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_monitor_commands(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_traffic(store, slow=3.0)
    monkeypatch.setenv("MODELPILOT_USER", "ada")

    evaluated = runner.invoke(ui.cli.app, ["monitor", "evaluate"])
    health = runner.invoke(ui.cli.app, ["monitor", "health", "fraud-detector"])
    drift = runner.invoke(ui.cli.app, ["monitor", "drift", "fraud-detector"])
    latency = runner.invoke(
        ui.cli.app, ["monitor", "latency", "fraud-detector", "--period", "last 2 days"]
    )
    listed = runner.invoke(ui.cli.app, ["monitor", "alerts", "--model", "fraud-detector"])
    with store.session() as session:
        alert_id = list_alerts(session, "open", "fraud-detector")[0].id
    acked = runner.invoke(ui.cli.app, ["monitor", "ack", alert_id[:8], "--yes"])
    policy = runner.invoke(
        ui.cli.app, ["monitor", "policy", "fraud-detector", "--latency-p95-ms", "90", "--yes"]
    )

    assert evaluated.exit_code == 0, evaluated.output
    assert "fraud-detector: unhealthy; 2 alerts opened" in evaluated.output
    assert health.exit_code == 0
    assert "fraud-detector is unhealthy" in health.output
    assert drift.exit_code == 0
    assert "amount" in drift.output
    assert "drifted" in drift.output
    assert latency.exit_code == 0
    assert "requests" in latency.output
    assert listed.exit_code == 0
    assert "input drift" in listed.output
    assert acked.exit_code == 0, acked.output
    assert "done: acknowledged alert" in acked.output
    assert policy.exit_code == 0, policy.output
    assert "latency_p95_ms None → 90.0" in policy.output


# --- demo traffic --------------------------------------------------------------------------------


def test_seed_monitoring_creates_both_incidents(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"amount": rng.gamma(2.0, 40.0, 2000), "velocity_24h": rng.poisson(3, 2000)}
    )
    frame["merchant"] = rng.choice(["grocery", "travel", "online"], 2000)
    frame["is_fraud"] = rng.integers(0, 2, 2000)
    frame.to_csv(tmp_path / "fraud.csv", index=False)
    version = register(store, tmp_path / "fraud.csv", "fraud-data").version
    with store.session() as session:
        session.add(Experiment(id="exp", name="demo"))
        for run_id, model in (("run-f", "fraud-detector"), ("run-i", "image-classifier")):
            session.add(Run(id=run_id, experiment_id="exp", name=run_id))
            session.add(RegisteredModel(name=model))
            session.add(ModelVersion(model_name=model, version=2, run_id=run_id))
        link_run_dataset(session, "run-f", version.id, "training")
        session.add(Pipeline(name="fraud-retrain", model_name="fraud-detector"))

    seed_monitoring(store, NOW, {"fraud-detector": 2, "image-classifier": 2})

    with store.session() as session:
        open_alerts = {(a.model_name, a.kind): a for a in list_alerts(session, "open")}
    drift = open_alerts[("fraud-detector", "drift")]
    latency = open_alerts[("image-classifier", "latency")]
    assert "amount" in (drift.message or "") and "velocity_24h" in (drift.message or "")
    assert drift.created_at <= NOW - timedelta(days=7)
    assert latency.created_at <= NOW - timedelta(days=12)
    assert latency.occurrences >= 6
    assert ("image-classifier", "drift") not in open_alerts
    assert drift.notified is None
