"""The one clock: ``now()`` honours ``MODELPILOT_NOW`` so relative dates are reproducible."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from tools.errors import ConfigError


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a value without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"invalid ISO 8601 time {text!r}; use a form like 2026-12-04T10:30:00Z"
        ) from exc
    return ensure_utc(value)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime, treating a naive one as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def now() -> datetime:
    """Return the current time in UTC, or the instant pinned by ``MODELPILOT_NOW``."""
    pinned = os.environ.get("MODELPILOT_NOW", "").strip()
    if pinned:
        return parse_instant(pinned)
    return datetime.now(UTC)
