"""Model health: the alert rules applied to a model's current window, and what follows from them.

``assess_model_health`` only reads. ``evaluate_model_health`` also raises, repeats or resolves
the deduplicated alerts. After the transaction commits, it notifies and, when the policy sets
``on_alert="retrain"``, triggers the retraining pipeline unless the previous trigger is
younger than the cooldown. Only drift, confidence and accuracy alerts start retraining,
because a new model does not fix a slow or failing service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, select

from tools.clock import now as clock_now
from tools.monitoring import alerts as alert_store
from tools.monitoring.feature_drift import DriftReport, compute_drift
from tools.monitoring.hooks import (
    AlertNotice,
    Notifier,
    RetrainRequest,
    RetrainTrigger,
    choose_retrain_trigger,
    notify_all,
)
from tools.monitoring.metrics import Window, WindowStats, duckdb_connection, window_stats
from tools.monitoring.policy import (
    DEFAULT_LATENCY_RATIO,
    MIN_BASELINE_REQUESTS,
    EffectivePolicy,
    get_policy,
)
from tools.resolve import match_name, not_found
from tools.store.db import Store
from tools.store.schema import Alert, MonitoringPolicy, RegisteredModel

log = logging.getLogger(__name__)

Verdict = Literal["healthy", "degraded", "unhealthy", "no_data"]
CheckStatus = Literal["ok", "firing", "no_data", "disabled"]
RULES = ("drift", "latency", "error_rate", "confidence", "accuracy")
RETRAIN_KINDS = ("drift", "confidence", "accuracy")
# Rates are not judged on fewer requests or labels than these.
MIN_RATE_REQUESTS = 20
MIN_LABELS = 50
# Past this multiple of its threshold, a latency breach is critical.
CRITICAL_FACTOR = 2.0
# When at least this share of the scored features drifted, the drift alert is critical.
CRITICAL_DRIFT_SHARE = 0.5


@dataclass
class RuleCheck:
    rule: str
    status: CheckStatus
    severity: str = "warning"
    value: float | None = None
    threshold: float | None = None
    message: str = ""


@dataclass
class HealthReport:
    model: str
    window: Window
    baseline_window: Window
    current: WindowStats
    baseline: WindowStats
    drift: DriftReport | None
    checks: list[RuleCheck]
    policy: EffectivePolicy

    @property
    def confidence_drop(self) -> float | None:
        now_mean, before = self.current.confidence_mean, self.baseline.confidence_mean
        return None if now_mean is None or before is None else before - now_mean

    @property
    def firing(self) -> list[RuleCheck]:
        return [c for c in self.checks if c.status == "firing"]

    @property
    def verdict(self) -> Verdict:
        if self.current.requests == 0:
            return "no_data"
        severities = {c.severity for c in self.firing}
        if "critical" in severities:
            return "unhealthy"
        return "degraded" if severities else "healthy"


@dataclass
class Evaluation:
    """The changes one evaluation made: alerts opened, repeated and resolved, and retraining."""

    report: HealthReport
    opened: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    notified: dict[str, list[str]] = field(default_factory=dict)
    retrain: dict[str, Any] | None = None


def resolve_monitored_model(session: Session, name: str) -> str:
    """Return the model name as stored: a registered model or a model with inference records."""
    registered = list(session.exec(select(RegisteredModel.name)).all())
    connection = session.connection()
    logged = [
        str(r[0])
        for r in duckdb_connection(connection)
        .execute("SELECT DISTINCT model_name FROM inference_record")
        .fetchall()
    ]
    candidates = sorted(set(registered) | set(logged))
    if name in candidates:
        return name
    found = match_name(name, candidates)
    if found is None:
        raise not_found("model", name, candidates, "ingest its inference log first")
    return found


def windows_for(policy: EffectivePolicy, end: datetime) -> tuple[Window, Window]:
    window = Window(end - timedelta(hours=policy.window_hours), end)
    baseline = Window(window.start - timedelta(hours=policy.baseline_hours), window.start)
    return window, baseline


def assess_model_health(
    store: Store,
    model: str,
    now: datetime | None = None,
    *,
    window: Window | None = None,
    with_drift: bool = True,
) -> HealthReport:
    """Measure the model's current window against its baseline and apply the alert rules."""
    end = now or clock_now()
    with store.session() as session:
        policy = get_policy(session, model)
        current_window, baseline_window = windows_for(policy, end)
        if window is not None:
            current_window = window
            baseline_window = Window(
                window.start - timedelta(hours=policy.baseline_hours), window.start
            )
        conn = duckdb_connection(session.connection())
        current = window_stats(conn, model, current_window)
        baseline = window_stats(conn, model, baseline_window)
        drift = None
        if with_drift and current.requests:
            drift = compute_drift(session, conn, model, current_window, policy)
    report = HealthReport(
        model, current_window, baseline_window, current, baseline, drift, [], policy
    )
    report.checks = [
        _drift_check(report),
        _latency_check(report),
        _error_rate_check(report),
        _confidence_check(report),
        _accuracy_check(report),
    ]
    return report


def _drift_check(report: HealthReport) -> RuleCheck:
    drift = report.drift
    if drift is None or not drift.scored:
        return RuleCheck("drift", "no_data", message="no feature had enough values to compare")
    drifted = [f for f in drift.features if f.drifted]
    share = len(drifted) / len(drift.scored)
    if not drifted:
        return RuleCheck(
            "drift", "ok", value=0.0, message=f"no drift in {len(drift.scored)} features"
        )
    worst = sorted(drifted, key=lambda f: -(f.score or 0.0))
    listed = ", ".join(f"{f.feature} ({f.method} {f.score:.2f})" for f in worst[:5])
    return RuleCheck(
        "drift",
        "firing",
        severity="critical" if share >= CRITICAL_DRIFT_SHARE else "warning",
        value=share,
        threshold=worst[0].threshold,
        message=(
            f"{len(drifted)} of {len(drift.scored)} features drifted against {drift.reference}: "
            f"{listed}"
        ),
    )


def _latency_check(report: HealthReport) -> RuleCheck:
    p95 = report.current.latency_p95_ms
    target = report.policy.latency_p95_ms
    basis = "the target"
    if target is None:
        before = report.baseline.latency_p95_ms
        if before is None or report.baseline.requests < MIN_BASELINE_REQUESTS:
            return RuleCheck("latency", "disabled", message="no latency target and no baseline")
        target, basis = before * DEFAULT_LATENCY_RATIO, f"{DEFAULT_LATENCY_RATIO}x the baseline p95"
    if p95 is None or report.current.requests < MIN_RATE_REQUESTS:
        return RuleCheck("latency", "no_data", threshold=target, message="too few requests")
    if p95 <= target:
        return RuleCheck("latency", "ok", value=p95, threshold=target, message=f"p95 {p95:.0f} ms")
    return RuleCheck(
        "latency",
        "firing",
        severity="critical" if p95 > CRITICAL_FACTOR * target else "warning",
        value=p95,
        threshold=target,
        message=f"p95 latency {p95:.0f} ms is above {target:.0f} ms ({basis})",
    )


def _error_rate_check(report: HealthReport) -> RuleCheck:
    rate, limit = report.current.error_rate, report.policy.error_rate
    if rate is None or report.current.requests < MIN_RATE_REQUESTS:
        return RuleCheck("error_rate", "no_data", threshold=limit, message="too few requests")
    if rate <= limit:
        return RuleCheck("error_rate", "ok", value=rate, threshold=limit)
    return RuleCheck(
        "error_rate",
        "firing",
        severity="critical",
        value=rate,
        threshold=limit,
        message=f"{rate:.1%} of {report.current.requests} requests failed (limit {limit:.1%})",
    )


def _confidence_check(report: HealthReport) -> RuleCheck:
    drop, limit = report.confidence_drop, report.policy.confidence_drop
    if drop is None or report.baseline.requests < MIN_BASELINE_REQUESTS:
        return RuleCheck("confidence", "no_data", threshold=limit, message="no baseline")
    if drop <= limit:
        return RuleCheck("confidence", "ok", value=drop, threshold=limit)
    return RuleCheck(
        "confidence",
        "firing",
        value=drop,
        threshold=limit,
        message=(
            f"mean confidence fell from {report.baseline.confidence_mean:.3f} to "
            f"{report.current.confidence_mean:.3f} (drop {drop:.3f}, limit {limit:.3f})"
        ),
    )


def _accuracy_check(report: HealthReport) -> RuleCheck:
    minimum, accuracy = report.policy.accuracy_min, report.current.accuracy
    if minimum is None:
        return RuleCheck("accuracy", "disabled", message="no accuracy_min in the policy")
    if accuracy is None or report.current.labelled < MIN_LABELS:
        return RuleCheck("accuracy", "no_data", threshold=minimum, message="too few labels")
    if accuracy >= minimum:
        return RuleCheck("accuracy", "ok", value=accuracy, threshold=minimum)
    return RuleCheck(
        "accuracy",
        "firing",
        value=accuracy,
        threshold=minimum,
        message=(
            f"accuracy {accuracy:.1%} on {report.current.labelled} labelled requests is below "
            f"{minimum:.1%}"
        ),
    )


def _title(model: str, check: RuleCheck) -> str:
    titles = {
        "drift": "input drift",
        "latency": "p95 latency above target",
        "error_rate": "error rate above limit",
        "confidence": "prediction confidence dropped",
        "accuracy": "accuracy below minimum",
    }
    return f"{model}: {titles[check.rule]}"


def _details(report: HealthReport, check: RuleCheck) -> dict[str, Any]:
    details: dict[str, Any] = {
        "value": check.value,
        "threshold": check.threshold,
        "window_start": report.window.start.isoformat(),
        "window_end": report.window.end.isoformat(),
        "requests": report.current.requests,
    }
    if check.rule == "drift" and report.drift is not None:
        details["reference"] = report.drift.reference
        details["features"] = [
            {"feature": f.feature, "method": f.method, "score": f.score, "threshold": f.threshold}
            for f in report.drift.features
            if f.drifted
        ]
    return details


def evaluate_model_health(
    store: Store,
    model: str,
    now: datetime | None = None,
    *,
    retrain: RetrainTrigger | None = None,
    notify: Notifier | None = None,
    actions: bool = True,
    actor: str = "monitoring",
) -> Evaluation:
    """Assess the model, then open, repeat or resolve its alerts and run the alert actions.

    ``retrain`` and ``notify`` override the registered hooks; ``actions=False`` records the
    alerts without notifying or retraining (for seeding demo data).
    """
    moment = now or clock_now()
    report = assess_model_health(store, model, moment)
    evaluation = Evaluation(report)
    notices: list[AlertNotice] = []
    retrain_request: RetrainRequest | None = None
    previous_retrain: datetime | None = None

    with store.session() as session:
        for check in report.checks:
            key = alert_store.dedup_key_for(check.rule, model)
            if check.status == "ok":
                resolved = alert_store.resolve_alerts(session, key, moment, "condition cleared")
                evaluation.resolved += [a.id for a in resolved]
                continue
            if check.status != "firing":
                continue
            alert, created = alert_store.raise_alert(
                session,
                kind=check.rule,
                title=_title(model, check),
                message=check.message,
                severity=check.severity,
                model=model,
                details=_details(report, check),
                dedup_key=key,
                now=moment,
            )
            (evaluation.opened if created else evaluation.repeated).append(alert.id)
            if created:
                notices.append(_notice(alert))
        if actions:
            retrain_request, previous_retrain = _claim_retrain(
                session, report, evaluation, moment, actor
            )

    if actions:
        for notice in notices:
            evaluation.notified[notice.alert_id] = notify_all(notice, notify)
        if retrain_request is not None:
            evaluation.retrain = _run_retrain(store, retrain_request, retrain, moment)
        _record_actions(store, evaluation, previous_retrain)
    return evaluation


def _notice(alert: Alert) -> AlertNotice:
    return AlertNotice(
        alert.id,
        alert.model_name,
        alert.kind,
        alert.severity,
        alert.title,
        alert.message,
        dict(alert.details or {}),
    )


def _claim_retrain(
    session: Session,
    report: HealthReport,
    evaluation: Evaluation,
    moment: datetime,
    actor: str,
) -> tuple[RetrainRequest | None, datetime | None]:
    """Decide on retraining inside the transaction, claiming the cooldown slot if it is free."""
    policy = report.policy
    firing = [c for c in report.firing if c.rule in RETRAIN_KINDS]
    if policy.on_alert != "retrain" or not firing or not policy.retrain_pipeline:
        return None, None
    row = session.get(MonitoringPolicy, report.model)
    assert row is not None  # on_alert="retrain" only comes from a stored policy

    previous = row.last_retrain_at
    next_allowed = previous + timedelta(hours=row.cooldown_hours) if previous else None
    trigger_alert = next(
        a
        for a in (session.get(Alert, i) for i in evaluation.opened + evaluation.repeated)
        if a is not None and a.kind in RETRAIN_KINDS
    )

    if next_allowed is not None and moment < next_allowed:
        evaluation.retrain = {
            "status": "cooldown",
            "alert_id": trigger_alert.id,
            "pipeline": policy.retrain_pipeline,
            "last_triggered_at": previous.isoformat() if previous else None,
            "next_allowed_at": next_allowed.isoformat(),
        }
        return None, None

    row.last_retrain_at = moment
    session.add(row)
    reasons = "; ".join(c.message for c in firing)
    request = RetrainRequest(
        report.model, policy.retrain_pipeline, trigger_alert.id, reasons, actor
    )
    return request, previous


def _run_retrain(
    store: Store, request: RetrainRequest, explicit: RetrainTrigger | None, moment: datetime
) -> dict[str, Any]:
    trigger = choose_retrain_trigger(explicit)
    outcome: dict[str, Any] = {
        "pipeline": request.pipeline,
        "alert_id": request.alert_id,
        "triggered_at": moment.isoformat(),
    }
    try:
        run_id = trigger(store, request)
    except Exception as exc:  # any failure of the trigger is recorded on the alert
        log.error("retraining %s with %s failed: %s", request.model, request.pipeline, exc)
        return {**outcome, "status": "failed", "error": str(exc)}
    log.info("retraining %s: started %s (run %s)", request.model, request.pipeline, run_id)
    return {**outcome, "status": "triggered", "pipeline_run_id": run_id}


def _record_actions(
    store: Store, evaluation: Evaluation, previous_retrain: datetime | None
) -> None:
    """Write the notification channels and the retraining outcome onto the alerts."""
    if not evaluation.notified and evaluation.retrain is None:
        return
    with store.session() as session:
        for alert_id, channels in evaluation.notified.items():
            alert = session.get(Alert, alert_id)
            if alert is not None and channels:
                alert.notified = ", ".join(channels)
                session.add(alert)
        outcome = evaluation.retrain
        if outcome is None:
            return
        retrain_alert_id = outcome.get("alert_id")
        target = session.get(Alert, retrain_alert_id) if retrain_alert_id else None
        if target is None:
            target = next(
                (session.get(Alert, i) for i in evaluation.opened + evaluation.repeated), None
            )
        if target is not None:
            target.details = {**(target.details or {}), "retrain": outcome}
            if outcome.get("pipeline_run_id"):
                target.pipeline_run_id = outcome["pipeline_run_id"]
            session.add(target)
        if outcome.get("status") == "failed":
            # A failed trigger must not block the next attempt for a whole cooldown.
            row = session.get(MonitoringPolicy, evaluation.report.model)
            if row is not None:
                row.last_retrain_at = previous_retrain
                session.add(row)
