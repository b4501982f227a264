"""Notes written on registry and tracking entities, with hooks for the knowledge index."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from tools.clock import now
from tools.errors import InvalidInputError, NotFoundError
from tools.registry_service.fingerprint import fingerprint
from tools.registry_service.lookup import find_version, require_model
from tools.resolve import match_name, resolve_run, suggest
from tools.store.schema import Dataset, Experiment, Note, RegisteredModel

log = logging.getLogger(__name__)

# Called after the transaction that wrote a note commits. The knowledge index appends its
# indexer here, so this module never imports knowledge/.
on_note_added: list[Callable[[Note], None]] = []

# "fraud-detector v7", "fraud-detector version 7", "fraud-detector:7"
_VERSION_REFERENCE = re.compile(r"^(?P<model>.+?)\s*(?:\bv|\bversion\s*|:)\s*(?P<version>\d+)$")
# "fraud-detector@production"
_ALIAS_REFERENCE = re.compile(r"^(?P<model>[^@]+?)\s*@\s*(?P<alias>[A-Za-z0-9_-]+)$")
_MAX_NOTE_CHARS = 20_000


@dataclass(frozen=True)
class NoteTarget:
    """The entity a note is attached to."""

    entity_type: str
    entity_id: str
    label: str


@dataclass(frozen=True)
class NotePlan:
    target: NoteTarget
    kind: str
    title: str
    text: str
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        preview = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        noun = "model card" if self.kind == "model_card" else "note"
        return f"add {noun} on {self.target.label}: {preview!r}"

    @property
    def fingerprint(self) -> str:
        target = [self.target.entity_type, self.target.entity_id]
        return fingerprint("note", target, self.kind, self.title, self.text, self.state)


def resolve_entity(session: Session, reference: str) -> NoteTarget:
    """Find what a note refers to: a model version, registered model, run, experiment, dataset.

    A name that looks like a version reference but is not one ("bert-v2" as a model name)
    falls back to the other kinds of entity.
    """
    text = reference.strip()
    try:
        version_target = _resolve_version(session, text)
    except NotFoundError as version_error:
        try:
            return _resolve_named_entity(session, text)
        except NotFoundError:
            raise version_error from None
    return version_target or _resolve_named_entity(session, text)


def _resolve_version(session: Session, text: str) -> NoteTarget | None:
    version_match = _VERSION_REFERENCE.match(text)
    alias_match = _ALIAS_REFERENCE.match(text)
    if version_match:
        model = require_model(session, version_match["model"]).name
        version = find_version(session, model, version=int(version_match["version"]))
    elif alias_match:
        model = require_model(session, alias_match["model"]).name
        version = find_version(session, model, alias=alias_match["alias"])
    else:
        return None
    return NoteTarget("model_version", version.id, f"{model} v{version.version}")


def _resolve_named_entity(session: Session, text: str) -> NoteTarget:
    models = {row.name: row.id for row in session.exec(select(RegisteredModel)).all()}
    found = match_name(text, list(models))
    if found is not None:
        return NoteTarget("registered_model", models[found], found)
    experiments = {row.name: row.id for row in session.exec(select(Experiment)).all()}
    found = match_name(text, list(experiments))
    if found is not None:
        return NoteTarget("experiment", experiments[found], f"experiment {found}")
    datasets = {row.name: row.id for row in session.exec(select(Dataset)).all()}
    found = match_name(text, list(datasets))
    if found is not None:
        return NoteTarget("dataset", datasets[found], f"dataset {found}")
    try:
        run = resolve_run(session, text)
    except NotFoundError:
        base = f"no model version, registered model, experiment, dataset or run named {text!r}"
        close = suggest(text, [*models, *experiments, *datasets])
        if close:
            raise NotFoundError(
                f"{base}; did you mean {' or '.join(repr(c) for c in close)}?"
            ) from None
        raise NotFoundError(f"{base}; write a model version as 'MODEL vN'") from None
    return NoteTarget("run", run.id, f"run {run.name or run.id[:8]}")


def plan_note(session: Session, entity: str, text: str, kind: str, title: str | None) -> NotePlan:
    body = text.strip()
    if not body:
        raise InvalidInputError("the note is empty; give the text to write")
    if len(body) > _MAX_NOTE_CHARS:
        raise InvalidInputError(
            f"the note has {len(body)} characters; keep it under {_MAX_NOTE_CHARS}"
        )
    target = resolve_entity(session, entity)
    heading = title or f"{'Model card' if kind == 'model_card' else 'Note'} on {target.label}"
    return NotePlan(target, kind, heading, body)


def apply_note(session: Session, plan: NotePlan, author: str) -> Note:
    note = Note(
        entity_type=plan.target.entity_type,
        entity_id=plan.target.entity_id,
        kind=plan.kind,
        title=plan.title,
        body=plan.text,
        author=author,
        created_at=now(),
    )
    session.add(note)
    return note


def notify_note_added(note: Note) -> None:
    """Run the ``on_note_added`` hooks; a failing hook is logged and never undoes the note."""
    for hook in list(on_note_added):
        try:
            hook(note)
        except Exception:
            log.exception("note hook %r failed for note %s", hook, note.id)
