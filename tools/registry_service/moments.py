"""Turning "at" arguments (an ISO instant, an ISO date or a phrase) into a point in time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tools.clock import now, parse_instant
from tools.errors import InvalidInputError
from tools.timerange import TimeRange, parse_period

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d")
_INCLUSIVE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Moment:
    """A point in time: the state reported is the one left by events strictly before ``cutoff``.

    ``window`` is the day or period the text named, if it named one: for "3 March" the state
    is the one at the end of that day, and the changes inside the day are worth showing too.
    """

    cutoff: datetime
    window: TimeRange | None

    @property
    def as_of(self) -> datetime:
        """The instant to show: the one given, or the end of the day or period named."""
        return self.cutoff - _INCLUSIVE if self.window is None else self.cutoff


def resolve_moment(text: str) -> Moment:
    """Resolve "2026-03-03T12:00Z", "2026-03-03", "3 March" or "last week" against now."""
    stripped = text.strip()
    if _ISO_DATE.match(stripped):
        try:
            day = date.fromisoformat(stripped)
        except ValueError as exc:
            raise InvalidInputError(f"invalid date {text!r}; use YYYY-MM-DD") from exc
        start = datetime.combine(day, time(), tzinfo=UTC)
        return Moment(start + timedelta(days=1), TimeRange(start, start + timedelta(days=1), text))
    if _ISO_INSTANT.match(stripped):
        # An exact instant includes the events that happened at that instant.
        return Moment(parse_instant(stripped) + _INCLUSIVE, None)
    window = parse_period(stripped, now())
    return Moment(window.end or now(), window)
