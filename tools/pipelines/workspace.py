"""Pipeline files in the workspace and their rows in the ``pipeline`` table.

A pipeline is declared in ``<home>/pipelines/NAME.yaml``. ``register_pipeline_file`` copies a
file there (when it lives elsewhere) and records it; ``find_pipeline`` also picks up a file
that was added or edited by hand since it was last recorded.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlmodel import Session, select

from tools.clock import now
from tools.errors import InvalidInputError
from tools.pipelines.definition import PipelineDefinition, load_definition
from tools.resolve import match_name, not_found
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import Pipeline

log = logging.getLogger(__name__)

FolderState = tuple[tuple[str, int, int], ...]
# The pipeline files as they were when the store last matched them, per store and folder.
# Reading and recording every file on each read cost more than most reads themselves.
_in_sync: dict[tuple[str, Path], FolderState] = {}


def pipelines_dir(settings: Settings) -> Path:
    return settings.home / "pipelines"


def work_dir(settings: Settings, pipeline_run_id: str) -> Path:
    """Return the folder that keeps one pipeline run's step logs and code snapshot."""
    return settings.home / "pipeline_runs" / pipeline_run_id


def register_pipeline_file(store: Store, settings: Settings, path: Path) -> PipelineDefinition:
    """Validate a pipeline file, place it in the workspace and record it."""
    definition = load_definition(path)
    target = pipelines_dir(settings) / f"{definition.name}.yaml"
    if path.resolve() != target.resolve():
        if _has_relative_script(definition):
            raise InvalidInputError(
                f"{path} names the script {definition.entry_point!r} by a relative path; "
                f"put the file in {pipelines_dir(settings)} or make the path absolute"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    with store.session() as session:
        record_definition(session, definition, target)
    log.info("registered pipeline %s from %s", definition.name, target)
    return definition


def _has_relative_script(definition: PipelineDefinition) -> bool:
    from tools.pipelines.definition import is_script
    from tools.pipelines.training import split_entry_point

    if not is_script(definition.entry_point):
        return False
    return not Path(split_entry_point(definition.entry_point)[0]).is_absolute()


def record_definition(session: Session, definition: PipelineDefinition, path: Path) -> Pipeline:
    """Insert or update the pipeline row for ``definition``."""
    row = session.exec(select(Pipeline).where(Pipeline.name == definition.name)).first()
    data = definition.model_dump(mode="json")
    if row is None:
        row = Pipeline(name=definition.name)
    elif row.definition == data and row.definition_path == str(path):
        return row
    row.model_name = definition.model
    row.owner = definition.owner
    row.definition_path = str(path)
    row.definition = data
    row.updated_at = now()
    session.add(row)
    session.flush()
    return row


def sync_workspace(session: Session, settings: Settings) -> list[str]:
    """Record every valid pipeline file of the workspace; return the names that changed.

    Files unchanged since the store last matched them are not read again.
    """
    folder = pipelines_dir(settings)
    key = (settings.resolved_store_url, folder)
    state = _folder_state(folder)
    if _in_sync.get(key) == state:
        return []
    changed = _record_files(session, folder)
    if not changed:
        # Only now: recorded changes stay unconfirmed until the caller's transaction commits.
        _in_sync[key] = state
    return changed


def _folder_state(folder: Path) -> FolderState:
    if not folder.is_dir():
        return ()
    entries = []
    for path in sorted(folder.glob("*.y*ml")):
        stat = path.stat()
        entries.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _record_files(session: Session, folder: Path) -> list[str]:
    changed: list[str] = []
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            definition = load_definition(path)
        except InvalidInputError as exc:
            log.warning("skipping pipeline file %s: %s", path, exc)
            continue
        before = session.exec(select(Pipeline).where(Pipeline.name == definition.name)).first()
        snapshot = None if before is None else (before.definition, before.definition_path)
        row = record_definition(session, definition, path)
        if snapshot != (row.definition, row.definition_path):
            changed.append(definition.name)
    return changed


def find_pipeline(
    session: Session, settings: Settings, name: str, *, sync: bool = True
) -> tuple[Pipeline, PipelineDefinition]:
    """Return the pipeline row and its definition, with did-you-mean for unknown names."""
    if sync:
        sync_workspace(session, settings)
    names = list(session.exec(select(Pipeline.name)).all())
    found = match_name(name, names)
    if found is None:
        raise not_found(
            "pipeline",
            name,
            names,
            f"declare it in {pipelines_dir(settings)}/{name}.yaml or run "
            "`modelpilot pipeline register FILE`",
        )
    row = session.exec(select(Pipeline).where(Pipeline.name == found)).one()
    return row, definition_of(row)


def definition_of(row: Pipeline) -> PipelineDefinition:
    return PipelineDefinition.model_validate(row.definition or {})


def script_base(row: Pipeline, settings: Settings) -> Path:
    """Return the folder that relative script paths of this pipeline start from."""
    if row.definition_path:
        return Path(row.definition_path).parent
    return pipelines_dir(settings)
