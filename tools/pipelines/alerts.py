"""Alerts for failed pipeline runs and failed gates, with their notification."""

from __future__ import annotations

import logging
from typing import Any, Literal

from tools.notify import notify
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import Alert

log = logging.getLogger(__name__)

AlertKind = Literal["pipeline_failed", "gate_failed"]


def raise_pipeline_alert(
    store: Store,
    settings: Settings,
    *,
    kind: AlertKind,
    pipeline: str,
    pipeline_run_id: str,
    model: str | None,
    owner: str | None,
    step: str | None,
    error: str,
) -> str:
    """Store an alert for a failed run and notify the alert channel; return the alert id."""
    if kind == "gate_failed":
        title = f"Pipeline {pipeline}: {model} did not pass its gate"
    else:
        title = f"Pipeline {pipeline} failed at step {step or 'start'}"
    message = f"{error} (run {pipeline_run_id[:8]}, owner {owner or 'unknown'})"
    details: dict[str, Any] = {"pipeline": pipeline, "step": step, "error": error}
    with store.session() as session:
        alert = Alert(
            kind=kind,
            severity="warning" if kind == "gate_failed" else "critical",
            model_name=model,
            pipeline_run_id=pipeline_run_id,
            dedup_key=f"{kind}:{pipeline}:{pipeline_run_id}",
            title=title,
            message=message,
            details=details,
            owner=owner,
        )
        session.add(alert)
    log.info("alert %s: %s: %s", alert.id[:8], title, error)

    sent_to = notify(settings, f"{title}: {message}", _blocks(title, message, pipeline, owner))
    if sent_to is not None:
        with store.session() as session:
            stored = session.get(Alert, alert.id)
            if stored is not None:
                stored.notified = sent_to
                session.add(stored)
    return alert.id


def _blocks(title: str, message: str, pipeline: str, owner: str | None) -> list[dict[str, Any]]:
    hint = f'Ask "why did {pipeline} fail?" for the failed step, its log and what changed.'
    mention = f"Owner: {owner}" if owner else "No owner recorded"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": message[:2900]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{mention}. {hint}"}]},
    ]
