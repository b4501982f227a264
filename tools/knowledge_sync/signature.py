"""A cheap summary of the store's indexed text, to tell whether a sync has anything to do.

It runs on every knowledge search, so it is one statement of aggregates over four tables.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from tools.clock import ensure_utc

# Plain SQL on purpose: duckdb-engine turns off SQLAlchemy's statement cache, so a Core
# expression would be compiled again on every search, which costs several milliseconds here.
# Lengths stand in for edits that keep the row count and timestamps: MLflow re-imports
# replace note bodies and run notes.
# NOTE: an edit that keeps a text's length and its row's timestamps goes undetected. A
# content hash per row would catch it, at the cost of reading all the text on each search.
_SIGNATURE_SQL = text(
    """
    SELECT 'notes', count(*), max(created_at), NULL, sum(length(body))
    FROM note
    UNION ALL
    SELECT 'cards', count(*), max(updated_at), max(created_at), sum(length(model_card))
    FROM model_version WHERE model_card IS NOT NULL
    UNION ALL
    SELECT 'run_notes', count(*), NULL, NULL, sum(length(note))
    FROM run WHERE note IS NOT NULL
    UNION ALL
    SELECT 'failed_steps', count(*), max(ended_at), NULL, NULL
    FROM step_run WHERE status = 'failed'
    """
)


def store_signature(connection: Connection) -> dict[str, list[Any]]:
    """Return JSON-ready counts, latest timestamps and text lengths of the indexed texts."""
    rows = connection.execute(_SIGNATURE_SQL).all()
    return {str(row[0]): [_plain(value) for value in row[1:]] for row in rows}


def _plain(value: Any) -> Any:
    # Timestamps come back in the connection's time zone, so they are converted to UTC for
    # processes with different TZ settings to produce the same signature.
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat()
    # Some databases return sums as Decimal, which json cannot write.
    if isinstance(value, Decimal):
        return int(value)
    return value
