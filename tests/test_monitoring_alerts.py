"""Serving metrics, alert rules, deduplication, notifications and retraining with a cooldown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tools.monitoring import hooks
from tools.monitoring.alerts import list_alerts, raise_alert
from tools.monitoring.health import evaluate_model_health
from tools.monitoring.hooks import AlertNotice, RetrainRequest
from tools.monitoring.ingest import ingest_inference_log
from tools.monitoring.metrics import Window, duckdb_connection, series, window_stats
from tools.monitoring.policy import set_policy
from tools.store.db import Store, open_store
from tools.store.schema import Alert, MonitoringPolicy

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = Window(NOW - timedelta(hours=24), NOW)


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_store()
    yield store
    store.release()


def requests(
    rng: np.random.Generator,
    start: datetime,
    size: int,
    *,
    latency_ms: float = 40.0,
    error_share: float = 0.0,
    confidence: float = 0.9,
    x_shift: float = 0.0,
    hours: float = 24.0,
) -> pd.DataFrame:
    seconds = np.sort(rng.uniform(0, hours * 3600 - 1, size))
    return pd.DataFrame(
        {
            "timestamp": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
            "model": "churn",
            "latency_ms": rng.lognormal(np.log(latency_ms), 0.25, size),
            "status": np.where(rng.random(size) < error_share, "error", "ok"),
            "confidence": np.clip(rng.normal(confidence, 0.03, size), 0, 1),
            "prediction": "1",
            "x": rng.normal(x_shift, 1.0, size),
        }
    )


def ingest_history(store: Store, rng: np.random.Generator, **current: float) -> None:
    """Seven quiet days of baseline traffic, then the current day with the given changes."""
    baseline = requests(rng, DAY.start - timedelta(days=7), 3500, hours=7 * 24)
    ingest_inference_log(store, pd.concat([baseline, requests(rng, DAY.start, 1500, **current)]))


def alerts(store: Store, status: str = "all") -> list[Alert]:
    with store.session() as session:
        return list_alerts(session, status, "churn")


def set_churn_policy(store: Store, **changes: object) -> None:
    with store.session() as session:
        set_policy(session, "churn", dict(changes), actor="test")


# --- metrics -------------------------------------------------------------------------------------


def test_latency_percentiles_match_numpy(store: Store) -> None:
    rng = np.random.default_rng(21)
    frame = requests(rng, DAY.start, 1234, error_share=0.1)
    ingest_inference_log(store, frame)

    with store.connection() as connection:
        conn = duckdb_connection(connection)
        stats = window_stats(conn, "churn", DAY)
        points = series(conn, "churn", DAY, "hour")

    latency = frame["latency_ms"].to_numpy()
    assert stats.requests == 1234
    assert stats.latency_p50_ms == pytest.approx(np.percentile(latency, 50))
    assert stats.latency_p95_ms == pytest.approx(np.percentile(latency, 95))
    assert stats.latency_p99_ms == pytest.approx(np.percentile(latency, 99))
    assert stats.error_rate == pytest.approx((frame["status"] == "error").mean())
    assert sum(p.requests for p in points) == 1234
    first_hour = frame[frame["timestamp"] < pd.Timestamp(DAY.start) + pd.Timedelta(hours=1)]
    assert points[0].requests == len(first_hour)
    assert points[0].latency_p95_ms == pytest.approx(
        np.percentile(first_hour["latency_ms"].to_numpy(), 95)
    )


# --- rules ---------------------------------------------------------------------------------------


def test_quiet_model_is_healthy(store: Store) -> None:
    ingest_history(store, np.random.default_rng(22))

    evaluation = evaluate_model_health(store, "churn", NOW, actions=False)

    assert evaluation.report.verdict == "healthy"
    assert evaluation.opened == []


def test_latency_error_rate_and_confidence_rules(store: Store) -> None:
    ingest_history(
        store, np.random.default_rng(23), latency_ms=120.0, error_share=0.2, confidence=0.7
    )

    evaluation = evaluate_model_health(store, "churn", NOW, actions=False)

    firing = {c.rule: c for c in evaluation.report.firing}
    assert set(firing) == {"latency", "error_rate", "confidence"}
    assert "1.5x the baseline p95" in firing["latency"].message
    assert firing["error_rate"].severity == "critical"
    assert firing["confidence"].value == pytest.approx(0.2, abs=0.01)
    assert evaluation.report.verdict == "unhealthy"
    assert {a.kind for a in alerts(store)} == {"latency", "error_rate", "confidence"}


def test_latency_target_from_policy(store: Store) -> None:
    ingest_history(store, np.random.default_rng(24))
    set_churn_policy(store, latency_p95_ms=30.0)

    evaluation = evaluate_model_health(store, "churn", NOW, actions=False)

    latency = next(c for c in evaluation.report.checks if c.rule == "latency")
    assert latency.status == "firing"
    assert latency.threshold == 30.0
    assert "(the target)" in latency.message


# --- deduplication -------------------------------------------------------------------------------


def test_repeated_alert_is_one_row(store: Store) -> None:
    ingest_history(store, np.random.default_rng(25), error_share=0.3)

    first = evaluate_model_health(store, "churn", NOW, actions=False)
    second = evaluate_model_health(store, "churn", NOW + timedelta(minutes=30), actions=False)

    rows = alerts(store)
    assert len(rows) == 1
    assert rows[0].occurrences == 2
    assert rows[0].created_at == NOW
    assert rows[0].updated_at == NOW + timedelta(minutes=30)
    assert second.repeated == first.opened


def test_cleared_alert_resolves_and_next_one_is_new(store: Store) -> None:
    rng = np.random.default_rng(26)
    ingest_history(store, rng, error_share=0.3)
    evaluate_model_health(store, "churn", NOW, actions=False)

    later = NOW + timedelta(days=2)
    ingest_inference_log(store, requests(rng, later - timedelta(hours=24), 500))
    cleared = evaluate_model_health(store, "churn", later, actions=False)
    ingest_inference_log(store, requests(rng, later, 500, error_share=0.5))
    again = evaluate_model_health(store, "churn", later + timedelta(hours=24), actions=False)

    statuses = sorted((a.status, a.kind) for a in alerts(store))
    assert len(cleared.resolved) == 1
    assert statuses == [("open", "error_rate"), ("resolved", "error_rate")]
    assert again.opened and again.opened != cleared.resolved


def test_raise_alert_with_custom_key(store: Store) -> None:
    with store.session() as session:
        first, created = raise_alert(
            session, kind="pipeline_failed", title="retrain failed", dedup_key="pipeline:retrain"
        )
        second, created_again = raise_alert(
            session, kind="pipeline_failed", title="retrain failed", dedup_key="pipeline:retrain"
        )

    assert created and not created_again
    assert first.id == second.id
    assert second.occurrences == 2


# --- actions: notifications and retraining --------------------------------------------------------


class RecordingTrigger:
    def __init__(self) -> None:
        self.requests: list[RetrainRequest] = []

    def __call__(self, store: Store, request: RetrainRequest) -> str:
        self.requests.append(request)
        return f"pipeline-run-{len(self.requests)}"


def test_drift_alert_triggers_retraining_with_cooldown(store: Store) -> None:
    rng = np.random.default_rng(27)
    ingest_history(store, rng, x_shift=2.0)
    # The drift continues through the next day, so the third evaluation still measures it.
    ingest_inference_log(store, requests(rng, NOW, 1500, x_shift=2.0))
    set_churn_policy(store, on_alert="retrain", retrain_pipeline="churn-retrain", cooldown_hours=24)
    trigger = RecordingTrigger()

    first = evaluate_model_health(store, "churn", NOW, retrain=trigger)
    inside = evaluate_model_health(store, "churn", NOW + timedelta(hours=6), retrain=trigger)
    after = evaluate_model_health(store, "churn", NOW + timedelta(hours=25), retrain=trigger)

    assert [r.pipeline for r in trigger.requests] == ["churn-retrain", "churn-retrain"]
    assert trigger.requests[0].alert_id == first.opened[0]
    assert first.retrain is not None and first.retrain["status"] == "triggered"
    assert inside.retrain is not None and inside.retrain["status"] == "cooldown"
    assert inside.retrain["next_allowed_at"] == (NOW + timedelta(hours=24)).isoformat()
    assert after.retrain is not None and after.retrain["pipeline_run_id"] == "pipeline-run-2"
    drift_alert = next(a for a in alerts(store) if a.kind == "drift")
    assert drift_alert.pipeline_run_id == "pipeline-run-2"
    assert (drift_alert.details or {})["retrain"]["status"] == "triggered"


def test_notify_only_policy_never_retrains(store: Store) -> None:
    ingest_history(store, np.random.default_rng(28), x_shift=1.0)
    trigger = RecordingTrigger()

    evaluation = evaluate_model_health(store, "churn", NOW, retrain=trigger)

    assert evaluation.opened
    assert trigger.requests == []
    assert evaluation.retrain is None


def test_latency_alone_does_not_retrain(store: Store) -> None:
    ingest_history(store, np.random.default_rng(29), latency_ms=200.0)
    set_churn_policy(store, on_alert="retrain", retrain_pipeline="churn-retrain")
    trigger = RecordingTrigger()

    evaluate_model_health(store, "churn", NOW, retrain=trigger)

    assert trigger.requests == []


def test_registered_trigger_and_failed_trigger(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_history(store, np.random.default_rng(30), x_shift=1.0)
    set_churn_policy(store, on_alert="retrain", retrain_pipeline="churn-retrain")
    calls: list[str] = []

    def broken(store: Store, request: RetrainRequest) -> str:
        calls.append(request.pipeline)
        raise RuntimeError("runner is down")

    monkeypatch.setattr(hooks, "RETRAIN_TRIGGERS", [broken])
    failed = evaluate_model_health(store, "churn", NOW)
    retried = evaluate_model_health(store, "churn", NOW + timedelta(hours=1))

    assert calls == ["churn-retrain", "churn-retrain"]
    assert failed.retrain is not None and failed.retrain["status"] == "failed"
    assert "runner is down" in failed.retrain["error"]
    assert retried.retrain is not None and retried.retrain["status"] == "failed"
    with store.session() as session:
        policy = session.get(MonitoringPolicy, "churn")
        assert policy is not None and policy.last_retrain_at is None


def test_notifier_is_called_for_new_alerts_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_history(store, np.random.default_rng(31), error_share=0.3)
    notices: list[AlertNotice] = []

    def notifier(notice: AlertNotice) -> str:
        notices.append(notice)
        return "test:#alerts"

    monkeypatch.setattr(hooks, "NOTIFIERS", [notifier])
    evaluate_model_health(store, "churn", NOW)
    evaluate_model_health(store, "churn", NOW + timedelta(minutes=10))

    assert [n.kind for n in notices] == ["error_rate"]
    assert alerts(store)[0].notified == "test:#alerts"


def test_actions_off_records_alerts_only(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_history(store, np.random.default_rng(32), x_shift=1.0)
    set_churn_policy(store, on_alert="retrain", retrain_pipeline="churn-retrain")
    notices: list[AlertNotice] = []
    monkeypatch.setattr(hooks, "NOTIFIERS", [lambda notice: notices.append(notice) or None])
    trigger = RecordingTrigger()

    evaluation = evaluate_model_health(store, "churn", NOW, retrain=trigger, actions=False)

    assert evaluation.opened
    assert notices == []
    assert trigger.requests == []


def test_default_trigger_calls_the_pipeline_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    launch = pytest.importorskip("tools.pipelines.launch")
    calls: list[tuple[str, str, str | None]] = []

    def trigger_pipeline_run(store: Store, name: str, *, trigger: str, actor: str | None) -> str:
        calls.append((name, trigger, actor))
        return "run-42"

    monkeypatch.setattr(launch, "trigger_pipeline_run", trigger_pipeline_run)
    request = RetrainRequest("churn", "churn-retrain", "alert-1", "drift", "monitoring")

    run_id = hooks.choose_retrain_trigger()(open_store(), request)

    assert run_id == "run-42"
    assert calls == [("churn-retrain", "alert", "monitoring")]
