"""Alerts with deduplication: a condition that keeps firing updates one alert, not many rows.

Every alert has a ``dedup_key`` (by default ``KIND:MODEL``). While an alert with that key is
open or acknowledged, raising it again increments ``occurrences`` and moves ``updated_at``.
Once it is resolved, the next occurrence opens a new alert.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from tools.clock import now as clock_now
from tools.errors import InvalidInputError, NotFoundError
from tools.store.schema import Alert

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("open", "acknowledged")
StatusFilter = Literal["open", "acknowledged", "resolved", "active", "all"]
STATUS_FILTERS: tuple[str, ...] = ("open", "acknowledged", "resolved", "active", "all")
MIN_ID_PREFIX = 6


def dedup_key_for(kind: str, model: str | None) -> str:
    return f"{kind}:{model or '-'}"


def active_alert(session: Session, dedup_key: str) -> Alert | None:
    statement = (
        select(Alert)
        .where(Alert.dedup_key == dedup_key, col(Alert.status).in_(ACTIVE_STATUSES))
        .order_by(col(Alert.created_at).desc())
    )
    return session.exec(statement).first()


def raise_alert(
    session: Session,
    *,
    kind: str,
    title: str,
    message: str | None = None,
    severity: str = "warning",
    model: str | None = None,
    details: dict[str, Any] | None = None,
    dedup_key: str | None = None,
    pipeline_run_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or count one more occurrence of the active alert with the same key.

    Returns the alert and whether it was created just now.
    """
    moment = now or clock_now()
    key = dedup_key or dedup_key_for(kind, model)
    alert = active_alert(session, key)
    if alert is not None:
        alert.occurrences += 1
        alert.updated_at = moment
        alert.title, alert.message, alert.severity = title, message, severity
        alert.details = {**(alert.details or {}), **(details or {})}
        session.add(alert)
        session.flush()
        return alert, False
    alert = Alert(
        kind=kind,
        severity=severity,
        status="open",
        model_name=model,
        pipeline_run_id=pipeline_run_id,
        dedup_key=key,
        title=title,
        message=message,
        details=details or {},
        created_at=moment,
        updated_at=moment,
    )
    session.add(alert)
    session.flush()
    log.info("alert opened: %s (%s)", title, key)
    return alert, True


def resolve_alerts(
    session: Session, dedup_key: str, now: datetime | None = None, reason: str | None = None
) -> list[Alert]:
    """Resolve the active alerts with ``dedup_key``; return them."""
    moment = now or clock_now()
    statement = select(Alert).where(
        Alert.dedup_key == dedup_key, col(Alert.status).in_(ACTIVE_STATUSES)
    )
    resolved = list(session.exec(statement).all())
    for alert in resolved:
        alert.status = "resolved"
        alert.updated_at = moment
        if reason:
            alert.details = {**(alert.details or {}), "resolution": reason}
        session.add(alert)
    session.flush()
    return resolved


def find_alert(session: Session, alert_id: str) -> Alert:
    """Return the alert with this id or unique id prefix (at least 6 characters)."""
    alert = session.get(Alert, alert_id)
    if alert is not None:
        return alert
    if len(alert_id) >= MIN_ID_PREFIX:
        matches = list(
            session.exec(select(Alert).where(col(Alert.id).startswith(alert_id)).limit(2)).all()
        )
        if len(matches) == 1:
            return matches[0]
    raise NotFoundError(f"no alert with id {alert_id!r}; list them with the list_alerts tool")


def acknowledge_alert(
    session: Session,
    alert_id: str,
    user: str,
    comment: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Mark an open alert as acknowledged by ``user``, keeping the comment in its details."""
    moment = now or clock_now()
    alert = find_alert(session, alert_id)
    if alert.status == "resolved":
        raise InvalidInputError(f"alert {alert.id[:8]} is already resolved; nothing to acknowledge")
    alert.status = "acknowledged"
    alert.acknowledged_by = user
    alert.acknowledged_at = moment
    alert.updated_at = moment
    notes = list((alert.details or {}).get("acknowledgements", []))
    notes.append({"by": user, "at": moment.isoformat(), "comment": comment})
    alert.details = {**(alert.details or {}), "acknowledgements": notes}
    session.add(alert)
    session.flush()
    return alert


def list_alerts(
    session: Session,
    status: str = "open",
    model: str | None = None,
    limit: int = 100,
) -> list[Alert]:
    """Return alerts, most recently updated first; ``status`` may be active or all."""
    if status not in STATUS_FILTERS:
        raise InvalidInputError(
            f"invalid alert status {status!r}; use one of {', '.join(STATUS_FILTERS)}"
        )
    statement = select(Alert)
    if status == "active":
        statement = statement.where(col(Alert.status).in_(ACTIVE_STATUSES))
    elif status != "all":
        statement = statement.where(Alert.status == status)
    if model:
        statement = statement.where(Alert.model_name == model)
    statement = statement.order_by(
        col(Alert.updated_at).desc().nulls_last(), col(Alert.created_at).desc()
    ).limit(limit)
    return list(session.exec(statement).all())
