"""``modelpilot dataset``: register dataset versions and inspect their profiles and lineage."""

from __future__ import annotations

from typing import Any

import typer

from tools.errors import InvalidInputError
from ui.commands._common import AS_JSON, AS_USER, YES, echo_json, read_tool
from ui.commands._confirm import run_change

dataset_app = typer.Typer(
    help="Register dataset versions (CSV, Parquet, HDF5) and inspect them.", no_args_is_help=True
)


def parse_tags(values: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in values:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise InvalidInputError(f"invalid --tag {item!r}; write KEY=VALUE, e.g. owner=risk")
        tags[key.strip()] = value.strip()
    return tags


def _print_findings(findings: list[dict[str, Any]], indent: str = "  ") -> None:
    for finding in findings:
        typer.echo(f"{indent}[{finding['severity']}] {finding['message']}")


@dataset_app.command("register")
def register_command(
    path: str = typer.Argument(
        ..., help="CSV, Parquet or HDF5 file, or a folder of them; FILE.h5#KEY for one table."
    ),
    name: str = typer.Option(..., "--name", "-n", help="Dataset name, e.g. telco-churn."),
    split: str | None = typer.Option(None, "--split", help="train, validation or test."),
    source: str | None = typer.Option(
        None, "--source", help="Where the data comes from, e.g. internal or third-party."
    ),
    tag: list[str] = typer.Option([], "--tag", "-t", help="A tag KEY=VALUE; repeat for more."),
    yes: bool = YES,
    user: str | None = AS_USER,
) -> None:
    """Register a file or folder as a new dataset version (needs the editor role).

    The same content again changes nothing; changed content becomes the next version.
    """
    arguments = {
        "path": path,
        "name": name,
        "split": split,
        "source": source,
        "tags": parse_tags(tag),
    }
    outcome = run_change("register_dataset", arguments, yes=yes, user=user)
    if outcome is None or outcome.result is None:
        return
    result = outcome.result
    if result["created"]:
        typer.echo(f"{result['rows']} rows, {result['columns']} columns")
    _print_findings(result["quality"])


@dataset_app.command("list")
def list_command(as_json: bool = AS_JSON, user: str | None = AS_USER) -> None:
    """List datasets with their number of versions and latest version."""
    result = read_tool("list_datasets", {}, user)
    if as_json:
        echo_json(result)
        return
    if not result["datasets"]:
        typer.echo("no datasets; register one with `modelpilot dataset register PATH --name NAME`")
    for item in result["datasets"]:
        typer.echo(
            f"{item['name']}: v{item['latest_version']} of {item['versions']}, "
            f"{item['rows']} rows x {item['columns']} columns, {item['format']}, "
            f"{item['warnings']} quality warnings"
        )


@dataset_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Dataset name."),
    version: int | None = typer.Option(None, "--version", "-v", help="Version; latest if omitted."),
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """Show a dataset version's schema, profile and quality findings."""
    result = read_tool("get_dataset_version", {"dataset": name, "version": version}, user)
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"{result['dataset']} v{result['version']}: {result['rows']} rows, "
        f"{result['size_bytes']} bytes, {result['format']}, from {result['path']}"
    )
    for column in result["columns"]:
        line = f"  {column['name']:<28} {column['type']:<10} missing {column['missing_rate']:.1%}"
        if column.get("mean") is not None:
            line += f"  mean {column['mean']:.4g}  std {column['std'] or 0:.4g}"
        typer.echo(line)
    if result["quality"]:
        typer.echo("quality findings:")
        _print_findings(result["quality"])


@dataset_app.command("compare")
def compare_command(
    name: str = typer.Argument(..., help="Dataset name."),
    from_version: int | None = typer.Option(None, "--from", help="Older version."),
    to_version: int | None = typer.Option(None, "--to", help="Newer version (default: latest)."),
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """Compare two versions: schema changes and per-column distribution changes."""
    arguments = {"dataset": name, "from_version": from_version, "to_version": to_version}
    result = read_tool("compare_dataset_versions", arguments, user)
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"{result['dataset']} v{result['from_version']} -> v{result['to_version']}: "
        f"{result['rows_from']} -> {result['rows_to']} rows"
    )
    for change in result["schema_changes"]:
        typer.echo(f"  {change['message']}")
    for column in result["columns"]:
        if column["changed"]:
            psi = f" PSI {column['psi']:.3f}" if column["psi"] is not None else ""
            typer.echo(f"  changed: {column['column']}{psi}")


@dataset_app.command("lineage")
def lineage_command(
    name: str = typer.Argument(..., help="Dataset name."),
    version: int | None = typer.Option(None, "--version", "-v", help="One version only."),
    as_json: bool = AS_JSON,
    user: str | None = AS_USER,
) -> None:
    """List the runs and model versions trained on a dataset."""
    result = read_tool("dataset_lineage", {"dataset": name, "version": version}, user)
    if as_json:
        echo_json(result)
        return
    if not result["runs"] and not result["model_versions"]:
        typer.echo(f"no run or model version used {result['dataset']} yet")
    for model in result["model_versions"]:
        typer.echo(
            f"{model['model']} v{model['version']} (run {str(model['run_id'])[:8]}) "
            f"trained on v{model['dataset_version']}"
        )
    for run in result["runs"]:
        typer.echo(
            f"run {run['run_id'][:8]} {run['run_name'] or ''} used v{run['dataset_version']} "
            f"for {run['context']}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
