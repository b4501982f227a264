"""``modelpilot index PATH``: add Markdown and text documents to the knowledge index."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tools.errors import NotFoundError
from tools.settings import get_settings
from tools.store.db import open_store


def _index_one(knowledge: Any, path: Path) -> Any:
    """Index one path, with a progress bar when stderr is a terminal."""
    if not sys.stderr.isatty():
        return knowledge.index_path(path)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(f"indexing {path}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return knowledge.index_path(path, progress=advance)


def index(
    paths: list[Path] = typer.Argument(..., help="Files or folders of .md, .markdown and .txt."),
) -> None:
    """Index documents so answers can cite them; unchanged files are not embedded again."""
    from tools.knowledge_sync import open_index, sync_store_documents

    settings = get_settings()
    for path in paths:
        if not path.exists():
            raise NotFoundError(f"no file or folder at {path}; check the path")
    with open_index(settings) as knowledge:
        for path in paths:
            report = _index_one(knowledge, path)
            typer.echo(
                f"{path}: {report.sources_seen} files, {report.sources_changed} changed, "
                f"{report.sources_removed} removed, {report.chunks_embedded} chunks embedded "
                f"in {report.seconds:.1f} s"
            )
        synced = sync_store_documents(open_store(settings), knowledge, settings.knowledge_dir)
        stats = knowledge.stats()
    typer.echo(f"index: {stats.chunks} chunks from {stats.sources} sources")
    typer.echo(f"store documents updated: {synced}")


def register(app: typer.Typer) -> None:
    app.command()(index)
