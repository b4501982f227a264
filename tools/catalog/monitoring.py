"""Tools over production monitoring: model health, drift, latency, alerts and policies."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.clock import now
from tools.errors import ToolError
from tools.monitoring import alerts as alert_service
from tools.monitoring.feature_drift import compute_drift
from tools.monitoring.health import assess_model_health, resolve_monitored_model
from tools.monitoring.metrics import (
    Window,
    duckdb_connection,
    resolve_granularity,
    series,
    window_stats,
)
from tools.monitoring.policy import SETTABLE, effective_policy, get_policy, set_policy
from tools.periods import PeriodArgs, resolve_window
from tools.store.schema import Alert, MonitoringPolicy
from tools.tool_registry import ChangePlan, ToolContext, tool

MODEL_FIELD = Field(description="Model name, e.g. fraud-detector.")
DEFAULT_REPORT_DAYS = 7
# Policy columns whose effective value has another name on EffectivePolicy.
POLICY_FIELDS = {
    "numeric_drift_method": "numeric_method",
    "categorical_drift_method": "categorical_method",
}


def _window(args: PeriodArgs, default: timedelta) -> Window | None:
    """Return the window the user requested, or None to use the default one."""
    asked = resolve_window(args)
    if asked is None:
        return None
    end = asked.end or now()
    start = asked.start or end - default
    return Window(start, end)


def _resolve_model(ctx: ToolContext, model: str) -> str:
    with ctx.store.session() as session:
        return resolve_monitored_model(session, model)


# --- views -----------------------------------------------------------------------------------


class AlertView(BaseModel):
    id: str
    kind: str
    severity: str
    status: str
    model: str | None
    title: str
    message: str | None
    occurrences: int
    created_at: datetime
    updated_at: datetime | None
    acknowledged_by: str | None
    notified: str | None
    pipeline_run_id: str | None
    retrain: dict[str, Any] | None = None


def alert_view(alert: Alert) -> AlertView:
    return AlertView(
        id=alert.id,
        kind=alert.kind,
        severity=alert.severity,
        status=alert.status,
        model=alert.model_name,
        title=alert.title,
        message=alert.message,
        occurrences=alert.occurrences,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        acknowledged_by=alert.acknowledged_by,
        notified=alert.notified,
        pipeline_run_id=alert.pipeline_run_id,
        retrain=(alert.details or {}).get("retrain"),
    )


class LatencyView(BaseModel):
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None


class CheckView(BaseModel):
    rule: str
    status: str
    severity: str
    value: float | None
    threshold: float | None
    message: str


class DriftedFeature(BaseModel):
    feature: str
    method: str
    score: float | None
    threshold: float


class DriftSummary(BaseModel):
    reference: str
    features_checked: int
    drifted: list[DriftedFeature]


class ModelHealthResult(BaseModel):
    model: str
    verdict: Literal["healthy", "degraded", "unhealthy", "no_data"]
    summary: str
    window_start: datetime
    window_end: datetime
    baseline_start: datetime
    requests: int
    errors: int
    error_rate: float | None
    latency: LatencyView
    baseline_latency_p95_ms: float | None
    confidence_mean: float | None
    baseline_confidence_mean: float | None
    confidence_drop: float | None
    accuracy: float | None
    labelled: int
    versions: dict[str, int] = Field(description="Requests per model version in the window.")
    drift: DriftSummary | None
    checks: list[CheckView]
    open_alerts: list[AlertView]


class ModelHealthArgs(PeriodArgs):
    model: str = MODEL_FIELD


@tool(
    category="monitoring",
    examples=("is the fraud model healthy?", "how is churn-model doing in production?"),
)
def model_health(ctx: ToolContext, args: ModelHealthArgs) -> ModelHealthResult:
    """Report a deployed model's health: traffic, latency, errors, confidence, drift, alerts.

    By default it looks at the last 24 hours against the 7 days before; give a period to look
    at another window. The verdict is healthy, degraded (a warning rule fires), unhealthy (a
    critical rule fires) or no_data (no requests in the window).
    """
    model = _resolve_model(ctx, args.model)
    window = _window(args, timedelta(hours=24))
    report = assess_model_health(ctx.store, model, now(), window=window)
    with ctx.store.session() as session:
        open_alerts = alert_service.list_alerts(session, "active", model)
    firing = [c.message for c in report.firing]
    summary = f"{model} is {report.verdict.replace('_', ' ')}" + (
        f": {'; '.join(firing)}" if firing else ""
    )
    drift = report.drift
    return ModelHealthResult(
        model=model,
        verdict=report.verdict,
        summary=summary,
        window_start=report.window.start,
        window_end=report.window.end,
        baseline_start=report.baseline_window.start,
        requests=report.current.requests,
        errors=report.current.errors,
        error_rate=report.current.error_rate,
        latency=LatencyView(
            p50_ms=report.current.latency_p50_ms,
            p95_ms=report.current.latency_p95_ms,
            p99_ms=report.current.latency_p99_ms,
            mean_ms=report.current.latency_mean_ms,
        ),
        baseline_latency_p95_ms=report.baseline.latency_p95_ms,
        confidence_mean=report.current.confidence_mean,
        baseline_confidence_mean=report.baseline.confidence_mean,
        confidence_drop=report.confidence_drop,
        accuracy=report.current.accuracy,
        labelled=report.current.labelled,
        versions={f"v{v}": n for v, n in report.current.versions.items()},
        drift=None
        if drift is None
        else DriftSummary(
            reference=drift.reference,
            features_checked=len(drift.scored),
            drifted=[
                DriftedFeature(
                    feature=f.feature, method=f.method, score=f.score, threshold=f.threshold
                )
                for f in drift.features
                if f.drifted
            ],
        ),
        checks=[CheckView(**vars(c)) for c in report.checks],
        open_alerts=[alert_view(a) for a in open_alerts],
    )


class DriftReportArgs(PeriodArgs):
    model: str = MODEL_FIELD


class FeatureDriftView(BaseModel):
    feature: str
    kind: str
    method: str
    score: float | None
    threshold: float
    drifted: bool
    status: str = Field(
        description="ok, watch (PSI 0.1-0.2), drifted, insufficient_data (under 100 values), "
        "not_in_reference or type_mismatch."
    )
    psi: float | None
    js_distance: float | None
    chi2_pvalue: float | None
    l_infinity: float | None
    reference_count: int
    current_count: int
    reference_mean: float | None
    current_mean: float | None
    bins: list[str]
    reference_shares: list[float]
    current_shares: list[float]


class DriftReportResult(BaseModel):
    model: str
    window_start: datetime
    window_end: datetime
    reference_kind: str
    reference: str
    drifted: list[str]
    features: list[FeatureDriftView]


@tool(
    category="monitoring",
    examples=("is there drift in the fraud model's inputs?", "drift report for churn last week"),
)
def drift_report(ctx: ToolContext, args: DriftReportArgs) -> DriftReportResult:
    """Compare each input feature of a model's recent traffic with its reference distribution.

    The reference is the model's training dataset version (through lineage) or, without one,
    the model's own traffic in the 7 days before the window. Numeric features use PSI (drift at
    0.2) and also report the Jensen-Shannon distance. Categorical features use the L-infinity
    distance (drift at 0.1) and also report the chi-squared p-value. Bins and shares are
    chart-ready.
    """
    model = _resolve_model(ctx, args.model)
    with ctx.store.session() as session:
        policy = get_policy(session, model)
        window = _window(args, timedelta(hours=policy.window_hours)) or Window(
            now() - timedelta(hours=policy.window_hours), now()
        )
        report = compute_drift(
            session, duckdb_connection(session.connection()), model, window, policy
        )
    return DriftReportResult(
        model=model,
        window_start=window.start,
        window_end=window.end,
        reference_kind=report.reference_kind,
        reference=report.reference,
        drifted=report.drifted,
        features=[FeatureDriftView(**vars(f)) for f in report.features],
    )


class LatencyReportArgs(PeriodArgs):
    model: str = MODEL_FIELD
    granularity: Literal["hour", "day", "auto"] = Field(
        default="auto", description="Points per hour or per day; auto picks by window length."
    )


class LatencyPoint(BaseModel):
    time: datetime
    requests: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class LatencyReportResult(BaseModel):
    model: str
    window_start: datetime
    window_end: datetime
    granularity: str
    requests: int
    error_rate: float | None
    latency: LatencyView
    target_p95_ms: float | None
    points: list[LatencyPoint]


@tool(
    category="monitoring",
    examples=("show the image classifier's latency over the last month", "p99 latency per day"),
)
def latency_report(ctx: ToolContext, args: LatencyReportArgs) -> LatencyReportResult:
    """Show a model's latency percentiles (p50, p95, p99) and request volume over time.

    Defaults to the last 7 days; points are hourly for windows up to 3 days, else daily (UTC).
    """
    model = _resolve_model(ctx, args.model)
    default = timedelta(days=DEFAULT_REPORT_DAYS)
    window = _window(args, default) or Window(now() - default, now())
    granularity = resolve_granularity(args.granularity, window)
    with ctx.store.session() as session:
        policy = get_policy(session, model)
        conn = duckdb_connection(session.connection())
        overall = window_stats(conn, model, window)
        points = series(conn, model, window, granularity)
    return LatencyReportResult(
        model=model,
        window_start=window.start,
        window_end=window.end,
        granularity=granularity,
        requests=overall.requests,
        error_rate=overall.error_rate,
        latency=LatencyView(
            p50_ms=overall.latency_p50_ms,
            p95_ms=overall.latency_p95_ms,
            p99_ms=overall.latency_p99_ms,
            mean_ms=overall.latency_mean_ms,
        ),
        target_p95_ms=policy.latency_p95_ms,
        points=[
            LatencyPoint(
                time=p.bucket,
                requests=p.requests,
                errors=p.errors,
                p50_ms=p.latency_p50_ms,
                p95_ms=p.latency_p95_ms,
                p99_ms=p.latency_p99_ms,
            )
            for p in points
        ],
    )


class ListAlertsArgs(BaseModel):
    status: Literal["open", "acknowledged", "resolved", "active", "all"] = Field(
        default="open", description="open, acknowledged, resolved, active (open or acked), all."
    )
    model: str | None = Field(default=None, description="Only this model's alerts.")


class ListAlertsResult(BaseModel):
    alerts: list[AlertView]


@tool(category="monitoring", examples=("any open alerts?", "alerts for the fraud model"))
def list_alerts(ctx: ToolContext, args: ListAlertsArgs) -> ListAlertsResult:
    """List alerts (drift, latency, error rate, confidence, accuracy, pipeline failures).

    Repeats of the same condition are counted in ``occurrences`` of one alert. Most recently
    updated first.
    """
    model = _resolve_model(ctx, args.model) if args.model else None
    with ctx.store.session() as session:
        alerts = alert_service.list_alerts(session, args.status, model)
    return ListAlertsResult(alerts=[alert_view(a) for a in alerts])


# --- mutating tools --------------------------------------------------------------------------


def _session(ctx: ToolContext) -> Any:
    if ctx.session is None:
        raise ToolError("this tool changes the store; run it through the governor and confirm")
    return ctx.session


def _fingerprint(state: Any) -> str:
    encoded = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


class AcknowledgeAlertArgs(BaseModel):
    alert_id: str = Field(description="Alert id, or its first 8 characters.")
    comment: str | None = Field(default=None, description="Why, or what is being done about it.")


class AcknowledgeAlertResult(BaseModel):
    summary: str
    alert: AlertView


def plan_acknowledge(ctx: ToolContext, args: AcknowledgeAlertArgs) -> ChangePlan:
    alert = alert_service.find_alert(_session(ctx), args.alert_id)
    return ChangePlan(
        summary=f"acknowledge alert {alert.id[:8]} ({alert.title})",
        fingerprint=_fingerprint([alert.id, alert.status, alert.updated_at]),
        details={"alert_id": alert.id},
    )


@tool(category="monitoring", mutating=True, role="editor", plan=plan_acknowledge)
def acknowledge_alert(ctx: ToolContext, args: AcknowledgeAlertArgs) -> AcknowledgeAlertResult:
    """Acknowledge an open alert: someone is looking at it. It stays until the condition clears."""
    alert = alert_service.acknowledge_alert(_session(ctx), args.alert_id, ctx.user, args.comment)
    return AcknowledgeAlertResult(
        summary=f"acknowledged alert {alert.id[:8]} ({alert.title})", alert=alert_view(alert)
    )


class SetMonitoringPolicyArgs(BaseModel):
    model: str = MODEL_FIELD
    latency_p95_ms: float | None = Field(default=None, description="p95 latency target (ms).")
    drift_psi: float | None = Field(default=None, description="PSI at which a feature drifted.")
    drift_js: float | None = Field(default=None, description="Jensen-Shannon distance threshold.")
    drift_linf: float | None = Field(default=None, description="L-infinity threshold (0-1).")
    drift_pvalue: float | None = Field(default=None, description="Chi-squared p-value threshold.")
    numeric_drift_method: Literal["psi", "jensen_shannon"] | None = None
    categorical_drift_method: Literal["l_infinity", "chi_squared"] | None = None
    error_rate: float | None = Field(default=None, description="Highest share of failed requests.")
    confidence_drop: float | None = Field(
        default=None, description="Largest allowed fall of mean confidence against the baseline."
    )
    accuracy_min: float | None = Field(default=None, description="Lowest accuracy (0-1).")
    window_hours: float | None = Field(default=None, description="Length of the current window.")
    baseline_hours: float | None = Field(default=None, description="Length of the baseline.")
    on_alert: Literal["notify", "retrain"] | None = Field(
        default=None, description="notify only, or also retrain on drift/confidence/accuracy."
    )
    retrain_pipeline: str | None = Field(default=None, description="Pipeline that retrains it.")
    cooldown_hours: float | None = Field(
        default=None, description="Hours between two automatic retraining runs."
    )


class SetMonitoringPolicyResult(BaseModel):
    summary: str
    policy: dict[str, Any]


def _changes(args: SetMonitoringPolicyArgs) -> dict[str, object]:
    given = args.model_dump(exclude={"model"}, exclude_none=True)
    return {k: v for k, v in given.items() if k in SETTABLE}


def _policy_state(row: MonitoringPolicy | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {field_name: getattr(row, field_name) for field_name in SETTABLE}


def plan_set_policy(ctx: ToolContext, args: SetMonitoringPolicyArgs) -> ChangePlan:
    session = _session(ctx)
    model = resolve_monitored_model(session, args.model)
    changes = _changes(args)
    if not changes:
        raise ToolError(f"no policy setting given for {model}; name at least one to change")
    row = session.get(MonitoringPolicy, model)
    current = effective_policy(model, row)
    parts = []
    for field_name, value in changes.items():
        before = getattr(current, POLICY_FIELDS.get(field_name, field_name), None)
        parts.append(f"{field_name} {before} → {value}")
    return ChangePlan(
        summary=f"monitoring policy of {model}: " + ", ".join(parts),
        fingerprint=_fingerprint(_policy_state(row)),
        details={"model": model, "changes": changes},
    )


@tool(category="monitoring", mutating=True, role="approver", plan=plan_set_policy)
def set_monitoring_policy(
    ctx: ToolContext, args: SetMonitoringPolicyArgs
) -> SetMonitoringPolicyResult:
    """Change a model's monitoring thresholds and what an alert does (notify or retrain).

    Only the settings given change. With on_alert=retrain, a drift, confidence or accuracy
    alert starts retrain_pipeline, at most once per cooldown_hours.
    """
    session = _session(ctx)
    model = resolve_monitored_model(session, args.model)
    row = set_policy(session, model, _changes(args), actor=ctx.user)
    policy = effective_policy(model, row)
    shown = {k: v for k, v in vars(policy).items() if k not in ("configured", "last_retrain_at")}
    return SetMonitoringPolicyResult(
        summary=f"updated the monitoring policy of {model}",
        policy=json.loads(json.dumps(shown, default=str)),
    )
