"""``modelpilot import mlflow SOURCE``: import MLflow experiments, runs and models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tools.errors import ReadOnlyError
from tools.mlflow_import import (
    ImportProgress,
    ImportSummary,
    NothingImportedError,
    ProgressCallback,
    import_mlflow,
)
from tools.mlflow_import.summary import ENTITIES, skip_lines
from tools.settings import get_settings
from tools.store import open_store

# Skips listed on screen; the import record in the store keeps more.
SHOWN_SKIPS = 30


class ReaderChoice(StrEnum):
    auto = "auto"
    files = "files"
    client = "client"


def mlflow(
    source: str = typer.Argument(
        ...,
        help="An mlruns folder, a folder with mlruns folders anywhere below it, or a tracking "
        "URI (sqlite:///mlflow.db, http://host:5000, postgresql://...).",
    ),
    experiment: list[str] | None = typer.Option(
        None,
        "--experiment",
        "-e",
        help="Import only the experiment with this name or MLflow id; repeat for several.",
    ),
    reader: ReaderChoice = typer.Option(
        ReaderChoice.auto,
        "--reader",
        help="auto: folders are read from their files, URIs with MLflow's client; client: "
        "read folders with MLflow's client too (needs MLFLOW_ALLOW_FILE_STORE=true).",
    ),
) -> None:
    """Import experiments, runs, metric history, registered models and logged models.

    Importing the same source again updates the rows it imported before.
    """
    settings = get_settings()
    if settings.read_only:
        raise ReadOnlyError(
            "the workspace is read-only (MODELPILOT_READ_ONLY); unset it to import MLflow data"
        )
    store = open_store(settings)
    try:
        with _progress_reporter() as report:
            summary = import_mlflow(
                source, store, progress=report, experiments=experiment, reader=reader.value
            )
    except NothingImportedError as exc:
        print_summary(exc.summary)
        raise
    print_summary(summary)


@contextmanager
def _progress_reporter() -> Iterator[ProgressCallback]:
    """Yield a progress callback: a rich progress bar on a terminal, log lines otherwise."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _print_progress_line
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def update(event: ImportProgress) -> None:
            if event.stage not in tasks:
                tasks[event.stage] = progress.add_task(f"importing {event.stage}", total=None)
            progress.update(
                tasks[event.stage],
                completed=event.done,
                total=event.total,
                description=f"{event.stage}: {event.detail}",
            )

        yield update


def _print_progress_line(event: ImportProgress) -> None:
    total = f"/{event.total}" if event.total is not None else ""
    typer.echo(f"{event.stage}: {event.done}{total} ({event.detail})", err=True)


def print_summary(summary: ImportSummary) -> None:
    """Print the summary as a table on a terminal and as plain lines otherwise."""
    console = Console()
    if not console.is_terminal:
        for line in summary.lines(max_skips=SHOWN_SKIPS):
            typer.echo(line)
        return
    table = Table(title=f"Imported from {summary.source}")
    for column in ("entity", "imported", "updated", "unchanged", "skipped"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for name in ENTITIES:
        counts = summary.counts[name]
        table.add_row(
            name.replace("_", " "),
            str(counts.imported),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.skipped),
        )
    console.print(table)
    for root in summary.roots:
        console.print(f"store: {root}", markup=False, highlight=False)
    for line in skip_lines(summary.skips, SHOWN_SKIPS):
        console.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    _import_group(app).command("mlflow")(mlflow)


def _import_group(app: typer.Typer) -> typer.Typer:
    """Return the ``import`` command group, creating it unless another module already did."""
    for info in app.registered_groups:
        if info.name == "import" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(
        name="import", help="Import data from other tools into the store.", no_args_is_help=True
    )
    app.add_typer(group, name="import")
    return group
