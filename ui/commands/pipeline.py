"""``modelpilot pipeline``: register, list, run and inspect training pipelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from tools.errors import InvalidInputError, ReadOnlyError
from tools.settings import get_settings
from ui.commands._common import echo_json, read_tool
from ui.commands._confirm import run_change

pipeline_app = typer.Typer(
    help="Declare, run and inspect training pipelines.", no_args_is_help=True
)


def _parse_params(values: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in values:
        key, separator, text = item.partition("=")
        if not separator or not key.strip():
            raise InvalidInputError(f"invalid --param {item!r}; write KEY=VALUE, e.g. max_depth=4")
        # YAML scalars give 4 → int, 0.1 → float, true → bool, anything else → text.
        params[key.strip()] = yaml.safe_load(text) if text.strip() else ""
    return params


def _print_run(run: dict[str, Any]) -> None:
    typer.echo(
        f"{run['pipeline']} run {run['pipeline_run_id'][:8]}: {run['status']} "
        f"(trigger {run['trigger']}, {run['orchestrator']})"
    )
    for step in run.get("steps", []):
        duration = f"{step['duration_s']:.1f} s" if step.get("duration_s") is not None else "-"
        line = f"  {step['position']}. {step['name']:<10} {step['status']:<10} {duration:>8}"
        if step.get("error"):
            line += f"  {step['error']}"
        typer.echo(line)
    if run.get("metrics"):
        shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted(run["metrics"].items()))
        typer.echo(f"  metrics: {shown}")
    if run.get("model_version") is not None:
        typer.echo(f"  model version: {run['model']} v{run['model_version']}")


@pipeline_app.command("register")
def register_file(
    path: Path = typer.Argument(..., help="Pipeline YAML file."),
) -> None:
    """Validate a pipeline file, copy it into the workspace and record it."""
    from tools.pipelines.workspace import register_pipeline_file
    from tools.store.db import open_store

    settings = get_settings()
    if settings.read_only:
        raise ReadOnlyError("cannot register a pipeline: the workspace is read-only")
    definition = register_pipeline_file(open_store(settings), settings, path)
    typer.echo(
        f"registered pipeline {definition.name}: trains {definition.model} on "
        f"{definition.dataset.label()}, owner {definition.owner}, "
        f"steps {', '.join(definition.steps)}"
    )


@pipeline_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """List the declared pipelines with their last run."""
    result = read_tool("list_pipelines", {}, user)
    if as_json:
        echo_json(result)
        return
    if not result["pipelines"]:
        typer.echo("no pipelines; declare one with `modelpilot pipeline register FILE`")
    for item in result["pipelines"]:
        last = item.get("last_run")
        status = f"last run {last['status']} {last['created_at']}" if last else "never run"
        described = f"{item['model']} on {item['dataset']}, owner {item['owner']}"
        typer.echo(f"{item['name']}: {described}; {status}")


@pipeline_app.command("run")
def run_command(
    name: str = typer.Argument(..., help="Pipeline name."),
    param: list[str] = typer.Option([], "--param", "-p", help="Override a param: KEY=VALUE."),
    orchestrator: str | None = typer.Option(
        None, "--orchestrator", help="Where the steps run: local or ray (default: the file's)."
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait until the run ends and print it."),
    timeout: float | None = typer.Option(
        None, "--timeout", help="With --wait, give up waiting after this many seconds."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm without a prompt."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """Start a pipeline run (needs the editor role); --wait follows it to the end."""
    arguments: dict[str, Any] = {"pipeline": name}
    if param:
        arguments["params"] = _parse_params(param)
    if orchestrator:
        arguments["orchestrator"] = orchestrator
    outcome = run_change("trigger_pipeline", arguments, yes=yes, user=user)
    if outcome is None or outcome.result is None:
        return
    run_id = outcome.result["pipeline_run_id"]
    typer.echo(f"pipeline run id: {run_id}")
    if not wait:
        return
    from tools.pipelines.launch import wait_for_run
    from tools.store.db import open_store

    settings = get_settings()
    final = wait_for_run(open_store(settings), settings, run_id, timeout_s=timeout)
    detail = read_tool("pipeline_run_status", {"run_id": run_id}, user)["run"]
    _print_run(detail)
    if final.status != "succeeded":
        raise typer.Exit(1)


@pipeline_app.command("status")
def status_command(
    name: str | None = typer.Argument(None, help="Pipeline name: show its latest run."),
    run_id: str | None = typer.Option(None, "--run", help="Pipeline run id or prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """Show a pipeline run and its steps."""
    result = read_tool("pipeline_run_status", {"pipeline": name, "run_id": run_id}, user)
    if as_json:
        echo_json(result)
    else:
        _print_run(result["run"])


@pipeline_app.command("runs")
def runs_command(
    name: str | None = typer.Argument(None, help="Pipeline name; all pipelines if omitted."),
    status: str | None = typer.Option(None, "--status", help="queued, running, succeeded..."),
    period: str | None = typer.Option(None, "--period", help="e.g. 'last 3 months'."),
    limit: int = typer.Option(20, "--limit", help="How many runs, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """List pipeline runs, newest first."""
    arguments = {"pipeline": name, "status": status, "period": period, "limit": limit}
    result = read_tool("list_pipeline_runs", arguments, user)
    if as_json:
        echo_json(result)
        return
    for run in result["runs"]:
        line = f"{run['pipeline_run_id'][:8]} {run['pipeline']:<24} {run['status']:<10} "
        line += f"{run['created_at']}"
        if run.get("failed_step"):
            line += f"  failed at {run['failed_step']}"
        typer.echo(line)


@pipeline_app.command("explain")
def explain_command(
    name: str | None = typer.Argument(None, help="Pipeline name: its latest failed run."),
    run_id: str | None = typer.Option(None, "--run", help="Failed pipeline run id or prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """Explain why a pipeline run failed and what changed since the last good run."""
    result = read_tool("explain_pipeline_failure", {"pipeline": name, "run_id": run_id}, user)
    if as_json:
        echo_json(result)
        return
    typer.echo(result["summary"])
    if result["log_tail"]:
        typer.echo("last log lines:")
        for line in result["log_tail"]:
            typer.echo(f"  {line}")
    if result.get("code_diff"):
        typer.echo(result["code_diff"])


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")
