"""Copying notes, model cards, run notes and failed pipeline-step logs into the knowledge index.

The store is the source of truth; the index is rebuilt from it incrementally. A signature of
the store's text (counts, latest timestamps and lengths) is kept beside the index, so a search
only re-reads the store when something changed since the last sync by any process, and the
index itself skips chunks whose content hash is unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from knowledge.index import KnowledgeIndex
from knowledge.shared import shared_index
from tools.knowledge_sync.signature import store_signature
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import ModelVersion, Note, Run, StepRun

log = logging.getLogger(__name__)

SIGNATURE_FILE = "store_signature.json"
# Only the tail of a step log is worth indexing: that is where errors and final metrics are.
LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class EntityDocument:
    source_id: str
    text: str
    title: str
    entity_type: str
    entity_id: str
    kind: str


@contextmanager
def open_index(settings: Settings) -> Iterator[KnowledgeIndex]:
    """Yield the workspace's knowledge index, kept open in this process between calls.

    The index reopens itself when another process wrote to it, and it must not be closed
    by the caller: the block's end only lets other threads use it.
    """
    settings.knowledge_dir.mkdir(parents=True, exist_ok=True)
    with shared_index(settings.knowledge_dir) as index:
        yield index


def _documents(session: Session) -> list[EntityDocument]:
    documents: list[EntityDocument] = []
    for note in session.exec(select(Note)).all():
        kind = note.kind if note.kind in ("model_card", "run_note", "note") else "note"
        title = (
            note.title
            or f"{note.kind} on {note.entity_type or 'workspace'} {note.entity_id or ''}".strip()
        )
        documents.append(
            EntityDocument(
                f"note:{note.id}",
                note.body,
                title,
                note.entity_type or "workspace",
                note.entity_id or "",
                kind,
            )
        )
    for version in session.exec(
        select(ModelVersion).where(col(ModelVersion.model_card).is_not(None))
    ).all():
        documents.append(
            EntityDocument(
                f"model_card:{version.model_name}/{version.version}",
                version.model_card or "",
                f"Model card: {version.model_name} v{version.version}",
                "model_version",
                f"{version.model_name}/{version.version}",
                "model_card",
            )
        )
    for run_id, name, run_note in session.exec(
        select(Run.id, Run.name, Run.note).where(col(Run.note).is_not(None))
    ).all():
        documents.append(
            EntityDocument(
                f"run_note:{run_id}",
                run_note or "",
                f"Run note: {name or run_id[:8]}",
                "run",
                run_id,
                "run_note",
            )
        )
    for step in session.exec(select(StepRun).where(StepRun.status == "failed")).all():
        tail = (step.log or "")[-LOG_TAIL_CHARS:]
        text = f"Step {step.name} ({step.kind}) failed: {step.error or ''}\n\n{tail}"
        documents.append(
            EntityDocument(
                f"pipeline_log:{step.id}",
                text,
                f"Pipeline step log: {step.name}",
                "pipeline_run",
                step.pipeline_run_id,
                "pipeline_log",
            )
        )
    return [document for document in documents if document.text.strip()]


def sync_store_documents(
    store: Store, index: KnowledgeIndex, directory: Path, *, force: bool = False
) -> int:
    """Bring the index up to date with the store's text; return how many sources changed."""
    signature_path = directory / SIGNATURE_FILE
    saved = _read_saved(signature_path)
    with store.session() as session:
        signature = store_signature(session.connection())
        if saved.get("signature") == signature and not force:
            return 0
        documents = _documents(session)
    changed = 0
    wanted = {document.source_id for document in documents}
    for document in documents:
        report = index.upsert_entity_document(
            document.source_id,
            document.text,
            title=document.title,
            entity_type=document.entity_type,
            entity_id=document.entity_id,
            kind=document.kind,  # type: ignore[arg-type]
        )
        changed += report.sources_changed
    # Sources synced last time but gone from the store now (a deleted note) leave the index.
    for source in set(saved.get("sources", [])) - wanted:
        index.remove_source(source)
        changed += 1
    _write_saved(signature_path, {"signature": signature, "sources": sorted(wanted)})
    log.info("knowledge index synced with the store: %d sources changed", changed)
    return changed


_saved_cache: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}
_saved_lock = threading.Lock()


def _read_saved(path: Path) -> dict[str, Any]:
    """Read the signature file, parsing it again only when its stat changed.

    The file lists every synced source, so on a large workspace parsing it on each search
    would cost more than the stat.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _saved_lock:
        cached = _saved_cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
    saved: dict[str, Any] = json.loads(path.read_text())
    with _saved_lock:
        _saved_cache[path] = (key, saved)
    return saved


def _write_saved(path: Path, saved: dict[str, Any]) -> None:
    # Written aside and renamed, so a search in another process never reads half a file.
    scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(saved))
    os.replace(scratch, path)
