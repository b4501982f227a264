"""Copying notes, model cards, run notes and failed pipeline-step logs into the knowledge index.

The store is the source of truth; the index is rebuilt from it incrementally. A signature of
the store's text (counts and latest timestamps) is kept beside the index, so a search only
re-reads the store when something was added since the last sync, and the index itself skips
chunks whose content hash is unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from knowledge.index import KnowledgeIndex
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


def open_index(settings: Settings) -> KnowledgeIndex:
    settings.knowledge_dir.mkdir(parents=True, exist_ok=True)
    return KnowledgeIndex(settings.knowledge_dir)


def _signature(session: Session) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    notes = session.exec(select(func.count(), func.max(Note.created_at))).one()
    cards = session.exec(
        select(
            func.count(), func.max(ModelVersion.updated_at), func.max(ModelVersion.created_at)
        ).where(col(ModelVersion.model_card).is_not(None))
    ).one()
    run_notes = session.exec(select(func.count()).where(col(Run.note).is_not(None))).one()
    failed_steps = session.exec(
        select(func.count(), func.max(StepRun.ended_at)).where(StepRun.status == "failed")
    ).one()
    return {
        "notes": [notes[0], stamp(notes[1])],
        "cards": [cards[0], stamp(cards[1]), stamp(cards[2])],
        "run_notes": run_notes,
        "failed_steps": [failed_steps[0], stamp(failed_steps[1])],
    }


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
    saved = json.loads(signature_path.read_text()) if signature_path.exists() else {}
    with store.session() as session:
        signature = _signature(session)
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
    signature_path.write_text(json.dumps({"signature": signature, "sources": sorted(wanted)}))
    log.info("knowledge index synced with the store: %d sources changed", changed)
    return changed
