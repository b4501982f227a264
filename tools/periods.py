"""Turning the time arguments of a tool call into one explicit UTC range."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tools.clock import now, parse_instant
from tools.errors import InvalidInputError
from tools.timerange import TimeRange, parse_period


class PeriodArgs(BaseModel):
    """Arguments shared by every tool that takes a time window."""

    period: str | None = Field(
        default=None,
        description=(
            "Time window exactly as the user said it, e.g. 'last 3 months', 'last quarter', "
            "'since Q2', 'in March', '最近三个月', '上个月'. Do not compute dates yourself."
        ),
    )
    start: str | None = Field(default=None, description="Explicit start (ISO 8601), inclusive.")
    end: str | None = Field(default=None, description="Explicit end (ISO 8601), exclusive.")


def resolve_window(args: PeriodArgs) -> TimeRange | None:
    """Return the window the arguments describe, or None when they give none."""
    if args.period:
        window = parse_period(args.period, now())
        if args.start or args.end:
            raise InvalidInputError("give either period or start/end, not both")
        return window
    if not (args.start or args.end):
        return None
    start: datetime | None = parse_instant(args.start) if args.start else None
    end: datetime | None = parse_instant(args.end) if args.end else None
    if start and end and start >= end:
        raise InvalidInputError(f"start {args.start} is not before end {args.end}")
    return TimeRange(start=start, end=end, phrase=f"{args.start or ''}..{args.end or ''}")
