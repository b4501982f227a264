"""Reading the audit log: who ran which tool on which model, and when."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from tools.errors import InvalidInputError
from tools.registry_service.views import AuditEntryView
from tools.store.schema import AuditEntry


@dataclass(frozen=True)
class AuditQuery:
    user: str | None = None
    tool: str | None = None
    model: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    mutating_only: bool = True
    outcome: str | None = None
    limit: int = 20


def _mentions(entry: AuditEntry, model: str) -> bool:
    """Return whether the entry's arguments or summary name ``model`` as a whole word.

    The SQL filter is a substring match, so "fraud-detector" would also match
    "fraud-detector-v2"; this check keeps only whole names.
    """
    pattern = re.compile(rf"(?<![\w-]){re.escape(model)}(?![\w-])", re.IGNORECASE)
    arguments = json.dumps(entry.arguments or {}, ensure_ascii=False)
    return bool(pattern.search(arguments) or pattern.search(entry.detail or ""))


def _statement(query: AuditQuery) -> SelectOfScalar[AuditEntry]:
    statement = select(AuditEntry)
    if query.user is not None:
        statement = statement.where(AuditEntry.user == query.user)
    if query.tool is not None:
        statement = statement.where(col(AuditEntry.tool).ilike(f"%{query.tool}%"))
    if query.mutating_only:
        statement = statement.where(col(AuditEntry.mutating).is_(True))
    if query.outcome is not None:
        statement = statement.where(AuditEntry.outcome == query.outcome)
    if query.start is not None:
        statement = statement.where(col(AuditEntry.occurred_at) >= query.start)
    if query.end is not None:
        statement = statement.where(col(AuditEntry.occurred_at) < query.end)
    if query.model is not None:
        statement = statement.where(
            or_(
                col(AuditEntry.arguments).contains(query.model),
                col(AuditEntry.detail).contains(query.model),
            )
        )
    return statement.order_by(col(AuditEntry.occurred_at).desc(), col(AuditEntry.id).desc())


def search_audit(session: Session, query: AuditQuery) -> list[AuditEntryView]:
    """Return matching audit entries, newest first."""
    if query.limit < 1 or query.limit > 1000:
        raise InvalidInputError(f"limit {query.limit} is out of range; use 1 to 1000")
    found: list[AuditEntryView] = []
    for entry in session.exec(_statement(query)):
        if query.model is not None and not _mentions(entry, query.model):
            continue
        found.append(_view(entry))
        if len(found) == query.limit:
            break
    return found


def _view(entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        id=entry.id,
        occurred_at=entry.occurred_at,
        user=entry.user,
        channel=entry.channel,
        tool=entry.tool,
        arguments=entry.arguments or {},
        mutating=entry.mutating,
        outcome=entry.outcome,
        detail=entry.detail,
    )
