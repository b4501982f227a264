"""``modelpilot monitor``: ingest inference logs, check model health, manage alerts."""

from __future__ import annotations

from typing import Any

import typer

from tools.errors import ReadOnlyError
from tools.settings import get_settings
from ui.actor import cli_user
from ui.commands._common import AS_JSON, AS_USER, YES, echo_json, read_tool
from ui.commands._confirm import run_change

monitor_app = typer.Typer(
    help="Production monitoring: inference logs, health, drift, latency and alerts.",
    no_args_is_help=True,
)

PERIOD = typer.Option(None, "--period", help="Time window, e.g. 'last 7 days' or 'yesterday'.")


def _number(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


@monitor_app.command("ingest")
def ingest_command(
    path: str = typer.Argument(..., help="Inference log: .jsonl, .json, .csv or .parquet."),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model of the rows that name none (or of all rows)."
    ),
) -> None:
    """Load an inference log (timestamp, model, latency_ms, status, prediction, features...)."""
    from tools.monitoring.ingest import ingest_inference_log
    from tools.store.db import open_store

    settings = get_settings()
    if settings.read_only:
        raise ReadOnlyError("cannot ingest: the workspace is read-only (MODELPILOT_READ_ONLY)")
    result = ingest_inference_log(open_store(settings), path, model=model)
    typer.echo(result.summary)
    if result.invalid_values:
        shown = ", ".join(f"{n} {field}" for field, n in result.invalid_values.items())
        typer.echo(f"values that were not numbers and were stored as empty: {shown}")
    if result.unknown_models:
        typer.echo(f"not registered models (stored anyway): {', '.join(result.unknown_models)}")


@monitor_app.command("health")
def health_command(
    model: str = typer.Argument(..., help="Model name."),
    period: str | None = PERIOD,
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """Show a model's health: traffic, latency, errors, confidence, drift and open alerts."""
    result = read_tool("model_health", {"model": model, "period": period}, user)
    if as_json:
        echo_json(result)
        return
    latency = result["latency"]
    typer.echo(result["summary"])
    typer.echo(
        f"  {result['requests']} requests, error rate {_number(result['error_rate'], '', 3)}, "
        f"latency p50/p95/p99 {_number(latency['p50_ms'])}/{_number(latency['p95_ms'])}/"
        f"{_number(latency['p99_ms'])} ms, confidence {_number(result['confidence_mean'], '', 3)}"
    )
    for check in result["checks"]:
        typer.echo(f"  {check['rule']:<11} {check['status']:<8} {check['message']}")
    for alert in result["open_alerts"]:
        typer.echo(f"  alert {alert['id'][:8]} [{alert['severity']}] {alert['title']}")


@monitor_app.command("evaluate")
def evaluate_command(
    models: list[str] = typer.Argument(None, help="Models to evaluate; all monitored if none."),
) -> None:
    """Apply the alert rules now: open, repeat or resolve alerts, notify, retrain if set.

    This is the command to run on a schedule (for example hourly from cron).
    """
    from tools.monitoring.health import evaluate_model_health, resolve_monitored_model
    from tools.monitoring.metrics import duckdb_connection, monitored_models
    from tools.store.db import open_store

    settings = get_settings()
    if settings.read_only:
        raise ReadOnlyError("cannot evaluate alerts: the workspace is read-only")
    store = open_store(settings)
    with store.session() as session:
        if models:
            names = [resolve_monitored_model(session, m) for m in models]
        else:
            names = monitored_models(duckdb_connection(session.connection()))
    if not names:
        typer.echo("no inference records yet; ingest a log with `modelpilot monitor ingest PATH`")
    for name in names:
        evaluation = evaluate_model_health(store, name, actor=cli_user(settings))
        line = (
            f"{name}: {evaluation.report.verdict}; {len(evaluation.opened)} alerts opened, "
            f"{len(evaluation.repeated)} repeated, {len(evaluation.resolved)} resolved"
        )
        if evaluation.retrain:
            line += f"; retraining {evaluation.retrain['status']}"
        typer.echo(line)


@monitor_app.command("drift")
def drift_command(
    model: str = typer.Argument(..., help="Model name."),
    period: str | None = PERIOD,
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """Show per-feature drift against the model's reference distribution."""
    result = read_tool("drift_report", {"model": model, "period": period}, user)
    if as_json:
        echo_json(result)
        return
    typer.echo(f"{result['model']} against {result['reference']}")
    for feature in result["features"]:
        score = _number(feature["score"], "", 3)
        typer.echo(
            f"  {feature['feature']:<24} {feature['method']:<14} {score:>8} "
            f"(threshold {feature['threshold']}) {feature['status']}"
        )


@monitor_app.command("latency")
def latency_command(
    model: str = typer.Argument(..., help="Model name."),
    period: str | None = PERIOD,
    granularity: str = typer.Option("auto", "--granularity", help="hour, day or auto."),
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """Show latency percentiles and request volume over time."""
    arguments = {"model": model, "period": period, "granularity": granularity}
    result = read_tool("latency_report", arguments, user)
    if as_json:
        echo_json(result)
        return
    for point in result["points"]:
        typer.echo(
            f"{point['time']}  {point['requests']:>6} requests  p50 {_number(point['p50_ms'])}"
            f"  p95 {_number(point['p95_ms'])}  p99 {_number(point['p99_ms'])} ms"
        )


@monitor_app.command("alerts")
def alerts_command(
    status: str = typer.Option("open", "--status", help="open, acknowledged, resolved, all."),
    model: str | None = typer.Option(None, "--model", "-m", help="Only this model's alerts."),
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """List alerts, most recently updated first."""
    result = read_tool("list_alerts", {"status": status, "model": model}, user)
    if as_json:
        echo_json(result)
        return
    if not result["alerts"]:
        typer.echo(f"no {status} alerts")
    for alert in result["alerts"]:
        typer.echo(
            f"{alert['id'][:8]} [{alert['severity']}] {alert['status']:<12} {alert['title']} "
            f"(x{alert['occurrences']}, updated {alert['updated_at']})"
        )


@monitor_app.command("ack")
def ack_command(
    alert_id: str = typer.Argument(..., help="Alert id or its first 8 characters."),
    comment: str | None = typer.Option(None, "--comment", "-c", help="What is being done."),
    yes: bool = YES,
    user: str | None = AS_USER,
) -> None:
    """Acknowledge an alert (needs the editor role)."""
    run_change("acknowledge_alert", {"alert_id": alert_id, "comment": comment}, yes=yes, user=user)


@monitor_app.command("policy")
def policy_command(
    model: str = typer.Argument(..., help="Model name."),
    latency_p95_ms: float | None = typer.Option(None, "--latency-p95-ms", help="Target (ms)."),
    drift_psi: float | None = typer.Option(None, "--drift-psi", help="PSI drift threshold."),
    drift_linf: float | None = typer.Option(None, "--drift-linf", help="L-infinity threshold."),
    error_rate: float | None = typer.Option(None, "--error-rate", help="Highest error share."),
    confidence_drop: float | None = typer.Option(
        None, "--confidence-drop", help="Largest fall of mean confidence."
    ),
    on_alert: str | None = typer.Option(None, "--on-alert", help="notify or retrain."),
    retrain_pipeline: str | None = typer.Option(
        None, "--retrain-pipeline", help="Pipeline that retrains the model."
    ),
    cooldown_hours: float | None = typer.Option(
        None, "--cooldown-hours", help="Hours between two automatic retraining runs."
    ),
    yes: bool = YES,
    user: str | None = AS_USER,
) -> None:
    """Change a model's monitoring policy (needs the approver role)."""
    arguments: dict[str, Any] = {
        "model": model,
        "latency_p95_ms": latency_p95_ms,
        "drift_psi": drift_psi,
        "drift_linf": drift_linf,
        "error_rate": error_rate,
        "confidence_drop": confidence_drop,
        "on_alert": on_alert,
        "retrain_pipeline": retrain_pipeline,
        "cooldown_hours": cooldown_hours,
    }
    run_change("set_monitoring_policy", arguments, yes=yes, user=user)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
