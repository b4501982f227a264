"""Resolve English and Chinese time phrases ("last 3 months", "上个季度") to explicit UTC ranges.

Conventions, shared by both languages:
- "last/past N units" (最近/近/过去 N 个单位) is a rolling window from the same clock time N units
  back up to now. Month arithmetic clamps the day of month (31 March minus one month is 28 or
  29 February). A fractional amount moves to the next smaller unit: half a year is 6 months,
  half a month 15 days.
- A named calendar unit (yesterday, last week, last quarter, 上个月, 去年) is the whole unit, end
  exclusive. Weeks are ISO weeks starting on Monday. "This …" and any named unit that contains
  now (today, this week, "in December" on 4 December) end at now.
- A month, quarter, half year or date without a year is the most recent one that starts no
  later than now. "N units ago" (N天前) is the whole calendar unit that contained that moment.
- "since X" runs from the start of X to now, "before X" ends at the start of X, "after X"
  starts at the end of X and "until X" ends at the end of X. Ranges of dates ("between A and B",
  "A..B", "A到B之间") include both ends.

Calendar boundaries are UTC because the workspace has no time-zone setting yet.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from tools.clock import ensure_utc
from tools.errors import InvalidInputError

logger = logging.getLogger(__name__)

Unit = Literal["minute", "hour", "day", "week", "month", "quarter", "year"]

__all__ = ["ACCEPTED_FORMS", "TimeRange", "find_time_range", "parse_period"]

ACCEPTED_FORMS = (
    "'last 3 months', 'past 90 days', 'yesterday', 'last week', 'this quarter', 'Q3 2025', "
    "'March 2026', 'since 2026-06-01', 'before 2026-01-01', '2025-10-23..2025-10-25', "
    "'最近三个月', '上个月', '2025年第三季度'"
)


@dataclass(frozen=True)
class TimeRange:
    """A half-open UTC interval [start, end); a None bound leaves that side open."""

    start: datetime | None
    end: datetime | None
    phrase: str = ""

    def __post_init__(self) -> None:
        if self.start is not None:
            object.__setattr__(self, "start", ensure_utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", ensure_utc(self.end))
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidInputError(
                f"time range {self.phrase!r} starts at {_iso(self.start)}, after its end "
                f"{_iso(self.end)}; give the earlier bound first"
            )

    def contains(self, t: datetime) -> bool:
        """Return whether ``t`` (a naive value counts as UTC) lies inside the range."""
        t = ensure_utc(t)
        if self.start is not None and t < self.start:
            return False
        return self.end is None or t < self.end

    def to_dict(self) -> dict[str, str | None]:
        """Return the bounds as ISO 8601 strings ending in ``Z`` (None for an open side)."""
        return {
            "start": _iso(self.start) if self.start else None,
            "end": _iso(self.end) if self.end else None,
            "phrase": self.phrase,
        }


def find_time_range(text: str, now: datetime) -> TimeRange | None:
    """Find the time expression in a request and resolve it against ``now``.

    Returns None when the text has no time expression. When it has several, the longest wins
    (then the first). ``phrase`` is the matched text, so a caller can strip it from the request.
    Bare years ("2025"), bare month names ("March") and bare day numbers count only after a
    preposition or inside a range ("in 2025", "since March"), because on their own they are
    often part of a name or a count.
    """
    return _best_match(text, ensure_utc(now), weak=False)


def parse_period(text: str, now: datetime) -> TimeRange:
    """Resolve a period given on its own ("last 3 months", "2025-10-23..2025-10-25", "上个月").

    Accepts everything ``find_time_range`` finds, plus a bare year ("2025"), month name ("March")
    or half year ("H1"). Raises InvalidInputError when no period is found, or when words other
    than the period remain ("last 3 months 2025", "May I see"), since they would be ignored.
    """
    stripped = text.strip()
    found = _best_match(stripped, ensure_utc(now), weak=True) if stripped else None
    # Only punctuation may surround the period, so that no part of the text is silently dropped.
    if found is None or not re.fullmatch(r"[\W_]*", stripped.replace(found.phrase, "", 1)):
        raise InvalidInputError(f"invalid period {text!r}; use a form like {ACCEPTED_FORMS}")
    return found


# ---------------------------------------------------------------------------
# Calendar arithmetic


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _add_months(t: datetime, months: int) -> datetime:
    """Shift by whole months, clamping the day to the target month's length."""
    index = t.year * 12 + t.month - 1 + months
    year, month = divmod(index, 12)
    next_month = datetime(year + (month + 1) // 12, (month + 1) % 12 + 1, 1, tzinfo=UTC)
    last_day = (next_month - timedelta(days=1)).day
    return t.replace(year=year, month=month + 1, day=min(t.day, last_day))


_MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "year": 12}
_TIMEDELTA_PER_UNIT = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def _shift(t: datetime, unit: Unit, amount: int) -> datetime:
    if unit in _MONTHS_PER_UNIT:
        return _add_months(t, amount * _MONTHS_PER_UNIT[unit])
    return t + amount * _TIMEDELTA_PER_UNIT[unit]


def _floor(t: datetime, unit: Unit) -> datetime:
    """Return the start of the calendar unit that contains ``t``."""
    if unit == "minute":
        return t.replace(second=0, microsecond=0)
    if unit == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


# A fractional amount is expressed in the next smaller unit: 0.5 year -> 6 months.
_SMALLER_UNIT: dict[Unit, tuple[Unit, int]] = {
    "year": ("month", 12),
    "quarter": ("month", 3),
    "month": ("day", 30),
    "week": ("day", 7),
    "day": ("hour", 24),
    "hour": ("minute", 60),
}


def _whole_amount(amount: float, unit: Unit) -> tuple[int, Unit]:
    while amount != int(amount) and unit in _SMALLER_UNIT:
        unit, factor = _SMALLER_UNIT[unit]
        amount *= factor
    return round(amount), unit


def _clip(start: datetime, end: datetime, now: datetime) -> TimeRange:
    """Make a range that contains now end at now, as "this week" and "today" do."""
    return TimeRange(start, now if start <= now < end else end)


def _rolling(amount: float, unit: Unit, now: datetime) -> TimeRange | None:
    count, unit = _whole_amount(amount, unit)
    if count <= 0:
        return None
    return TimeRange(_shift(now, unit, -count), now)


def _calendar_unit(unit: Unit, units_back: int, now: datetime) -> TimeRange:
    start = _shift(_floor(now, unit), unit, -units_back)
    return _clip(start, _shift(start, unit, 1), now)


def _whole_units(amount: float, unit: Unit, now: datetime) -> TimeRange | None:
    """Return the N complete calendar units before the current one ("last 3 full months")."""
    count, unit = _whole_amount(amount, unit)
    if count <= 0:
        return None
    end = _floor(now, unit)
    return TimeRange(_shift(end, unit, -count), end)


def _unit_ago(amount: float, unit: Unit, now: datetime) -> TimeRange | None:
    count, unit = _whole_amount(amount, unit)
    if count <= 0:
        return None
    start = _floor(_shift(now, unit, -count), unit)
    return _clip(start, _shift(start, unit, 1), now)


# ---------------------------------------------------------------------------
# Absolute dates that may lack a year


@dataclass(frozen=True)
class _DateSpec:
    """A date, ISO week, month, quarter, half year or year; a missing year is filled in later."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    quarter: int | None = None
    half: int | None = None
    week: int | None = None

    @property
    def day_only(self) -> bool:
        return self.day is not None and self.month is None


def _spec_bounds(spec: _DateSpec) -> tuple[datetime, datetime] | None:
    """Return [start, end) of a spec that has its year, or None for an impossible date."""
    if spec.year is None or spec.day_only:
        return None
    year = spec.year
    try:
        if spec.week is not None:
            monday = datetime.fromisocalendar(year, spec.week, 1).replace(tzinfo=UTC)
            return monday, monday + timedelta(weeks=1)
        if spec.month is not None and spec.day is not None:
            start = datetime(year, spec.month, spec.day, tzinfo=UTC)
            return start, start + timedelta(days=1)
        first_month, months = _spec_months(spec)
        start = datetime(year, first_month, 1, tzinfo=UTC)
    except ValueError:
        return None
    return start, _add_months(start, months)


def _spec_months(spec: _DateSpec) -> tuple[int, int]:
    """Return the first month and the length in months of a month, quarter, half or year."""
    if spec.month is not None:
        return spec.month, 1
    if spec.quarter is not None:
        return spec.quarter * 3 - 2, 3
    if spec.half is not None:
        return spec.half * 6 - 5, 6
    return 1, 12


def _resolve_spec(spec: _DateSpec, now: datetime) -> tuple[datetime, datetime] | None:
    """Fill a missing year (or month) with the most recent one that starts no later than now."""
    if spec.year is not None:
        return _spec_bounds(spec)
    if spec.day_only:
        this_month = _floor(now, "month")
        candidates = [_add_months(this_month, -back) for back in range(12)]
        specs = [replace(spec, year=c.year, month=c.month) for c in candidates]
    else:
        # Eight years back is enough to reach the previous 29 February.
        specs = [replace(spec, year=now.year - back) for back in range(9)]
    for candidate in specs:
        bounds = _spec_bounds(candidate)
        if bounds is not None and bounds[0] <= now:
            return bounds
    return None


def _complete_pair(
    first: _DateSpec, second: _DateSpec, now: datetime
) -> tuple[_DateSpec, _DateSpec] | None:
    """Let the two ends of a range lend each other a missing year or month ("23日到25日")."""
    # A bare day borrows from a full date only: "2025-10" + "-23" is not a range.
    if second.day_only:
        if first.day is None or first.month is None:
            return None
        second = replace(second, year=first.year, month=first.month)
    elif first.day_only:
        if second.day is None or second.month is None:
            return None
        first = replace(first, year=second.year, month=second.month)

    if first.year is None and second.year is None:
        resolved = _resolve_spec(second, now)
        if resolved is None:
            return None
        second = replace(second, year=resolved[0].year)

    # An end without a year takes the other end's year, moved by one if needed to keep order.
    if second.year is None:
        second = _with_year(second, first, later=True)
    elif first.year is None:
        first = _with_year(first, second, later=False)
    return first, second


def _with_year(spec: _DateSpec, other: _DateSpec, later: bool) -> _DateSpec:
    assert other.year is not None
    candidate = replace(spec, year=other.year)
    mine, theirs = _spec_bounds(candidate), _spec_bounds(other)
    if mine is None or theirs is None:
        return candidate
    if later and mine[0] < theirs[0]:
        return replace(spec, year=other.year + 1)
    if not later and mine[0] > theirs[0]:
        return replace(spec, year=other.year - 1)
    return candidate


# ---------------------------------------------------------------------------
# Vocabulary of the patterns

_EN_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_EN_UNITS: dict[str, Unit] = {
    "minutes": "minute", "minute": "minute", "mins": "minute", "min": "minute",
    "hours": "hour", "hour": "hour", "hrs": "hour", "hr": "hour", "h": "hour",
    "days": "day", "day": "day", "d": "day",
    "weeks": "week", "week": "week", "wks": "week", "wk": "week", "w": "week",
    "months": "month", "month": "month", "mos": "month", "mo": "month",
    "quarters": "quarter", "quarter": "quarter", "qtrs": "quarter", "qtr": "quarter",
    "years": "year", "year": "year", "yrs": "year", "yr": "year", "y": "year",
}  # fmt: skip
_EN_ONES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}  # fmt: skip
_EN_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
# "a few" and 几 are read as 3. A user who means another number can give it in digits.
_EN_VAGUE_NUMBERS = {
    "a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a couple": 2, "couple": 2,
    "a few": 3, "few": 3, "half a": 0.5, "half an": 0.5, "half": 0.5,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
}  # fmt: skip

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_UNITS: dict[str, Unit] = {
    "分钟": "minute", "小时": "hour", "钟头": "hour", "天": "day", "日": "day", "周": "week",
    "星期": "week", "礼拜": "week", "月": "month", "季度": "quarter", "季": "quarter", "年": "year",
}  # fmt: skip
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# Named calendar units: phrase -> (unit, how many units back from the current one).
_ZH_CALENDAR: dict[str, tuple[Unit, int]] = {
    "今天": ("day", 0), "今日": ("day", 0), "昨天": ("day", 1), "昨日": ("day", 1),
    "前天": ("day", 2), "大前天": ("day", 3),
    "本周": ("week", 0), "这周": ("week", 0), "这一周": ("week", 0), "这个星期": ("week", 0),
    "这星期": ("week", 0), "本星期": ("week", 0), "这个礼拜": ("week", 0), "这礼拜": ("week", 0),
    "上周": ("week", 1), "上星期": ("week", 1), "上个星期": ("week", 1), "上礼拜": ("week", 1),
    "上个礼拜": ("week", 1), "上一周": ("week", 1), "上个周": ("week", 1),
    "上上周": ("week", 2), "上上个星期": ("week", 2), "上上星期": ("week", 2),
    "上上个礼拜": ("week", 2),
    "本月": ("month", 0), "这个月": ("month", 0), "这月": ("month", 0), "当月": ("month", 0),
    "本月份": ("month", 0),
    "上个月": ("month", 1), "上月": ("month", 1), "上一个月": ("month", 1), "上一月": ("month", 1),
    "上上个月": ("month", 2), "上上月": ("month", 2),
    "本季度": ("quarter", 0), "这个季度": ("quarter", 0), "这季度": ("quarter", 0),
    "本季": ("quarter", 0), "当季": ("quarter", 0), "这一季度": ("quarter", 0),
    "上个季度": ("quarter", 1), "上季度": ("quarter", 1), "上一季度": ("quarter", 1),
    "上一个季度": ("quarter", 1), "上季": ("quarter", 1),
    "上上个季度": ("quarter", 2), "上上季度": ("quarter", 2),
    "今年": ("year", 0), "本年": ("year", 0), "本年度": ("year", 0), "今年度": ("year", 0),
    "去年": ("year", 1), "上一年": ("year", 1), "去年度": ("year", 1), "上年度": ("year", 1),
    "上年": ("year", 1), "前年": ("year", 2),
}  # fmt: skip
_ZH_YEAR_OFFSETS = {"今年": 0, "本年": 0, "去年": 1, "前年": 2}
_EN_YEAR_OFFSETS = {"this": 0, "the": 0, "current": 0, "last": 1, "previous": 1}


def _alternation(words: Iterable[str]) -> str:
    """Return a regex alternation of ``words``, longest first so that prefixes lose."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


# Word boundaries that also hold next to Chinese characters (which \b treats as letters).
_WB = r"(?<![A-Za-z0-9_])"
_WE = r"(?![A-Za-z0-9_])"

_EN_MONTH = rf"(?:{_alternation(_EN_MONTHS)})"
_EN_WEEKDAY = rf"(?:{_alternation(_EN_WEEKDAYS)})"
_EN_UNIT = rf"(?:{_alternation(_EN_UNITS)})"
_EN_NUMBER = (
    rf"(?:\d+(?:\.\d+)?|(?:{_alternation(_EN_TENS)})(?:[-\s](?:{_alternation(_EN_ONES)}))?"
    rf"|{_alternation([*_EN_TEENS, *_EN_ONES, *_EN_VAGUE_NUMBERS])})"
)
_ZH_NUMBER = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+|半|几)"
_ZH_SMALL = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_ZH_UNIT = rf"(?:{_alternation(_ZH_UNITS)})"
_ZH_YEAR = rf"(?:(?P<year>\d{{4}})\s*年|(?P<rel>{_alternation(_ZH_YEAR_OFFSETS)}))"
_EN_YEAR_SUFFIX = r"(?:(?P<year>\d{4})|(?P<rel>this|last|previous|current|the)\s+year)"
_ORDINAL = rf"(?:{_alternation(_ORDINALS)})"
_NOW_WORDS = r"(?:now|the\s+present|present|date|现在|目前|当前|今(?![天日年]))"


def _en_number(text: str) -> float | None:
    words = re.sub(r"[\s-]+", " ", text.strip().lower())
    if re.fullmatch(r"\d+(?:\.\d+)?", words):
        return float(words)
    for table in (_EN_VAGUE_NUMBERS, _EN_ONES, _EN_TEENS, _EN_TENS):
        if words in table:
            return float(table[words])
    tens, _, ones = words.partition(" ")
    if tens in _EN_TENS and ones in _EN_ONES:
        return float(_EN_TENS[tens] + _EN_ONES[ones])
    return None


def _zh_number(text: str) -> float | None:
    """Read 3, 三, 十二, 二十三, 一百八十, 两; 半 is 0.5 and 几 ("a few") is 3."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text in ("半", "几"):
        return 0.5 if text == "半" else 3.0
    total, current = 0, 0
    for char in text:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char == "十":
            total, current = total + (current or 1) * 10, 0
        elif char == "百":
            total, current = total + (current or 1) * 100, 0
        else:
            return None
    return float(total + current)


def _number(text: str) -> float | None:
    return _en_number(text) if re.search(r"[A-Za-z0-9]", text) else _zh_number(text)


def _unit(text: str) -> Unit:
    key = re.sub(r"\s+", "", text.lower())
    return _EN_UNITS.get(key) or _ZH_UNITS[key]


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    value = _number(text)
    return int(value) if value is not None and value == int(value) else None


# ---------------------------------------------------------------------------
# Atoms: one date, unit or relative phrase. Handlers return a resolved TimeRange, a _DateSpec
# still missing its year, or a datetime for an exact instant.

_Atom = TimeRange | _DateSpec | datetime
_Match = re.Match[str]


def _group(m: _Match, *names: str) -> str | None:
    """Return the first of the named groups that took part in the match."""
    for name in names:
        if name in m.re.groupindex and m.group(name) is not None:
            return m.group(name)
    return None


def _year_from(m: _Match, now: datetime) -> int | None:
    year = _group(m, "year")
    if year is not None:
        return int(year)
    relative = _group(m, "rel")
    if relative is None:
        return None
    offsets = _ZH_YEAR_OFFSETS if relative in _ZH_YEAR_OFFSETS else _EN_YEAR_OFFSETS
    return now.year - offsets[relative.lower()]


def _instant(m: _Match, now: datetime) -> _Atom | None:
    try:
        return ensure_utc(datetime.fromisoformat(m.group(0).replace("Z", "+00:00")))
    except ValueError:
        return None


def _numeric_date(m: _Match, now: datetime) -> _Atom | None:
    return _DateSpec(year=int(m["year"]), month=int(m["month"]), day=_int(_group(m, "day")))


def _iso_week(m: _Match, now: datetime) -> _Atom | None:
    return _DateSpec(year=int(m["year"]), week=int(m["week"]))


def _en_date(m: _Match, now: datetime) -> _Atom | None:
    month_word = m["month"]
    # "the top 5 may be ..." is not 5 May: a lowercase "may" needs a year to count.
    if month_word == "may" and _group(m, "day") and not _group(m, "year"):
        return None
    month = _EN_MONTHS[month_word.lower()]
    return _DateSpec(year=_year_from(m, now), month=month, day=_int(_group(m, "day")))


def _en_month_relative(m: _Match, now: datetime) -> _Atom | None:
    """Read "last March" (the latest March before this month) and "this March"."""
    month = _EN_MONTHS[m["month"].lower()]
    if m["modifier"].lower() == "this":
        return _DateSpec(year=now.year, month=month)
    year = now.year if month < now.month else now.year - 1
    return _DateSpec(year=year, month=month)


def _quarter(m: _Match, now: datetime) -> _Atom | None:
    raw = _group(m, "quarter", "ordinal")
    assert raw is not None
    quarter = _ORDINALS.get(raw.lower()) or _int(raw)
    return _DateSpec(year=_year_from(m, now), quarter=quarter)


def _half(m: _Match, now: datetime) -> _Atom | None:
    raw = _group(m, "half", "ordinal")
    assert raw is not None
    half = {"上": 1, "下": 2}.get(raw) or _ORDINALS.get(raw.lower()) or _int(raw)
    return _DateSpec(year=_year_from(m, now), half=half)


def _year(m: _Match, now: datetime) -> _Atom | None:
    return _DateSpec(year=int(m["year"]))


def _zh_date(m: _Match, now: datetime) -> _Atom | None:
    return _DateSpec(year=_year_from(m, now), month=_int(m["month"]), day=_int(_group(m, "day")))


def _day_of_month(m: _Match, now: datetime) -> _Atom | None:
    return _DateSpec(day=_int(m["day"]))


def _weekday(m: _Match, now: datetime) -> _Atom | None:
    """Read Friday, last Friday, this Friday, 周五, 上周五 and 本周五."""
    raw = m["weekday"]
    weekday = _EN_WEEKDAYS.get(raw.lower(), _ZH_WEEKDAYS.get(raw, 0))
    modifier = (m["modifier"] or "").lower()
    today = _floor(now, "day")
    if modifier in ("this", "这", "这个", "本"):
        day = _floor(now, "week") + timedelta(days=weekday)
    elif modifier in ("上", "上个"):
        day = _floor(now, "week") - timedelta(weeks=1) + timedelta(days=weekday)
    elif modifier == "上上":
        day = _floor(now, "week") - timedelta(weeks=2) + timedelta(days=weekday)
    else:
        # Bare "Friday" may be today; "last Friday" is the latest one before today.
        back = (today.weekday() - weekday) % 7
        if modifier in ("last", "previous") and back == 0:
            back = 7
        day = today - timedelta(days=back)
    return _clip(day, day + timedelta(days=1), now)


def _rolling_en(m: _Match, now: datetime) -> _Atom | None:
    amount = _number(m["amount"])
    if amount is None:
        return None
    if m["whole"]:
        return _whole_units(amount, _unit(m["unit"]), now)
    return _rolling(amount, _unit(m["unit"]), now)


def _rolling_zh(m: _Match, now: datetime) -> _Atom | None:
    amount = _number(m["amount"])
    return None if amount is None else _rolling(amount, _unit(m["unit"]), now)


def _rolling_one(m: _Match, now: datetime) -> _Atom | None:
    return _rolling(1, _unit(m["unit"]), now)


def _ago(m: _Match, now: datetime) -> _Atom | None:
    amount = _number(m["amount"])
    return None if amount is None else _unit_ago(amount, _unit(m["unit"]), now)


def _en_calendar(m: _Match, now: datetime) -> _Atom | None:
    """Read this/last/the previous week, month, quarter or year and "the month before last"."""
    unit = _unit(m["unit"])
    if _group(m, "before_last"):
        return _calendar_unit(unit, 2, now)
    return _calendar_unit(unit, 1 if _group(m, "last") else 0, now)


def _to_date(m: _Match, now: datetime) -> _Atom | None:
    abbreviation = (_group(m, "abbreviation") or "").lower()
    units: dict[str, Unit] = {"y": "year", "q": "quarter", "m": "month", "w": "week"}
    unit = units[abbreviation[0]] if abbreviation else _unit(m["unit"])
    return _calendar_unit(unit, 0, now)


def _en_day(m: _Match, now: datetime) -> _Atom | None:
    word = re.sub(r"\s+", " ", m["word"].lower())
    back = {"today": 0, "yesterday": 1}.get(word, 2)
    return _calendar_unit("day", back, now)


def _zh_calendar(m: _Match, now: datetime) -> _Atom | None:
    unit, back = _ZH_CALENDAR[m["word"]]
    return _calendar_unit(unit, back, now)


def _age(m: _Match, now: datetime) -> TimeRange | None:
    """Read "older than 30 days" (ends 30 days ago) and "newer than 2 weeks" (starts then)."""
    amount = _number(m["amount"])
    if amount is None:
        return None
    count, unit = _whole_amount(amount, _unit(m["unit"]))
    moment = _shift(now, unit, -count)
    return TimeRange(None, moment) if _group(m, "older") else TimeRange(moment, now)


_Handler = Callable[[_Match, datetime], _Atom | None]


@dataclass(frozen=True)
class _AtomRule:
    source: str
    handler: _Handler
    # False: the atom counts only after a preposition or inside a range.
    standalone: bool = True


_MONTH_DAY_SUFFIX = r"(?:st|nd|rd|th)?"
# "run-2025-10-23" is a name that contains a date, not a date.
_NOT_IN_NAME = rf"{_WB}(?<![A-Za-z][-_])"
# "trained for 2000 epochs" is a count, not a year.
_COUNTED_NOUN = (
    r"\s*(?:epochs?|steps?|samples?|rows?|records?|runs?|iterations?|trees?|estimators?|"
    r"images?|examples?|features?|items?|models?|versions?|users?|customers?)"
)
_ZH_WEEK_WORD = r"(?:周|星期|礼拜)"

_ATOMS: tuple[_AtomRule, ...] = (
    _AtomRule(
        rf"{_WB}\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,6}})?)?"
        rf"(?:Z|[+-]\d{{2}}:?\d{{2}})?{_WE}",
        _instant,
        standalone=False,
    ),
    _AtomRule(
        rf"{_NOT_IN_NAME}(?P<year>\d{{4}})[-/.](?P<month>\d{{1,2}})[-/.](?P<day>\d{{1,2}})"
        rf"{_WE}(?!-[A-Za-z])",
        _numeric_date,
    ),
    _AtomRule(rf"{_WB}(?P<year>\d{{4}})-?W(?P<week>\d{{1,2}}){_WE}", _iso_week),
    _AtomRule(
        rf"{_NOT_IN_NAME}(?P<year>\d{{4}})[-/](?P<month>\d{{1,2}}){_WE}(?![-/.:]\d|-[A-Za-z])",
        _numeric_date,
    ),
    _AtomRule(
        rf"{_WB}(?P<month>{_EN_MONTH})\.?\s+(?P<day>\d{{1,2}}){_MONTH_DAY_SUFFIX}{_WE}"
        rf"(?:,?\s*(?P<year>\d{{4}}){_WE})?",
        _en_date,
    ),
    _AtomRule(
        rf"{_WB}(?:the\s+)?(?P<day>\d{{1,2}}){_MONTH_DAY_SUFFIX}\s+(?:of\s+)?"
        rf"(?P<month>{_EN_MONTH})\.?{_WE}(?:,?\s*(?P<year>\d{{4}}){_WE})?",
        _en_date,
    ),
    _AtomRule(
        rf"{_WB}(?P<month>{_EN_MONTH})\.?,?\s+(?:of\s+)?{_EN_YEAR_SUFFIX}{_WE}",
        _en_date,
    ),
    _AtomRule(
        rf"{_WB}(?P<modifier>last|this|previous)\s+(?P<month>{_EN_MONTH}){_WE}",
        _en_month_relative,
    ),
    _AtomRule(rf"{_WB}(?P<month>{_EN_MONTH}){_WE}\.?", _en_date, standalone=False),
    _AtomRule(
        rf"{_WB}(?:on\s+)?(?:(?P<modifier>last|this|previous)\s+)?(?P<weekday>{_EN_WEEKDAY}){_WE}",
        _weekday,
    ),
    _AtomRule(
        rf"{_WB}(?P<year>\d{{4}})\s*[-/ ]?\s*Q(?P<quarter>[1-4]){_WE}",
        _quarter,
    ),
    _AtomRule(
        rf"{_WB}Q(?P<quarter>[1-4])\s*(?:[-/]\s*|of\s+)?{_EN_YEAR_SUFFIX}{_WE}",
        _quarter,
    ),
    _AtomRule(rf"{_WB}Q(?P<quarter>[1-4]){_WE}", _quarter),
    _AtomRule(
        rf"{_WB}(?:the\s+)?(?P<ordinal>{_ORDINAL})\s+quarter(?:\s+of\s+{_EN_YEAR_SUFFIX})?{_WE}",
        _quarter,
    ),
    _AtomRule(rf"{_WB}H(?P<half>[12])\s*(?:[-/]\s*|of\s+)?{_EN_YEAR_SUFFIX}{_WE}", _half),
    _AtomRule(rf"{_WB}(?P<year>\d{{4}})\s*[-/ ]?\s*H(?P<half>[12]){_WE}", _half),
    _AtomRule(
        rf"{_WB}(?:the\s+)?(?P<ordinal>first|second|1st|2nd)\s+half"
        rf"(?:\s+of\s+{_EN_YEAR_SUFFIX})?{_WE}",
        _half,
    ),
    _AtomRule(rf"{_WB}H(?P<half>[12]){_WE}", _half, standalone=False),
    _AtomRule(
        rf"(?<!\d){_ZH_YEAR}?\s*的?\s*(?P<month>{_ZH_SMALL})\s*月份?"
        rf"(?:\s*(?P<day>{_ZH_SMALL})\s*[日号])?",
        _zh_date,
    ),
    _AtomRule(
        rf"(?<!\d){_ZH_YEAR}?\s*的?\s*(?:第\s*(?P<quarter>[一二三四1-4])\s*(?:个\s*)?季度?"
        rf"|(?P<ordinal>[一二三四1-4])\s*季度)",
        _quarter,
    ),
    _AtomRule(rf"(?<!\d){_ZH_YEAR}\s*的?\s*Q(?P<quarter>[1-4]){_WE}", _quarter),
    _AtomRule(rf"(?<!\d){_ZH_YEAR}?\s*的?\s*(?P<half>[上下])半年", _half),
    _AtomRule(r"(?<!\d)(?P<year>\d{4})\s*年度?", _year),
    _AtomRule(rf"{_WB}(?P<year>(?:19|20)\d{{2}}){_WE}(?!{_COUNTED_NOUN})", _year, standalone=False),
    _AtomRule(
        rf"(?<!每)(?P<modifier>上上|上个|上|这个|这|本)?{_ZH_WEEK_WORD}(?P<weekday>[一二三四五六日天])",
        _weekday,
    ),
    _AtomRule(
        rf"{_WB}(?:(?:in|over|during|within|for|from)\s+)?(?:the\s+)?"
        rf"(?:last|past|previous|prior|recent|trailing)\s+(?P<amount>{_EN_NUMBER})\s*"
        rf"(?:(?P<whole>full|complete|whole|calendar)\s+)?(?P<unit>{_EN_UNIT}){_WE}",
        _rolling_en,
    ),
    _AtomRule(
        rf"{_WB}(?:(?:in|over|during|within|for)\s+)?(?:the\s+(?:last|past)|past)\s+"
        rf"(?P<unit>minute|hour|day|week|month|quarter|year){_WE}",
        _rolling_one,
    ),
    _AtomRule(
        rf"{_WB}(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?last\s+(?P<unit>minute|hour|day)"
        rf"{_WE}",
        _rolling_one,
    ),
    _AtomRule(
        rf"{_WB}(?:so\s+far\s+)?(?:(?P<this>this|current|the\s+current)|"
        rf"(?P<last>last|previous|prior|the\s+previous|the\s+prior))\s+"
        rf"(?P<unit>week|month|quarter|year)(?:\s+(?:so\s+far|to\s+date))?{_WE}",
        _en_calendar,
    ),
    _AtomRule(
        rf"{_WB}the\s+(?P<unit>week|month|quarter|year)\s+(?P<before_last>before\s+last){_WE}",
        _en_calendar,
    ),
    _AtomRule(
        rf"{_WB}(?:(?P<unit>year|quarter|month|week)[-\s]to[-\s]date|"
        rf"(?P<abbreviation>ytd|qtd|mtd|wtd)){_WE}",
        _to_date,
    ),
    _AtomRule(
        rf"{_WB}(?P<word>today|yesterday|(?:the\s+)?day\s+before\s+yesterday){_WE}",
        _en_day,
    ),
    _AtomRule(rf"{_WB}(?P<amount>{_EN_NUMBER})\s*(?P<unit>{_EN_UNIT})\s+ago{_WE}", _ago),
    _AtomRule(
        rf"{_WB}(?:(?P<older>older\s+than|more\s+than)|newer\s+than|less\s+than|younger\s+than)"
        rf"\s+(?P<amount>{_EN_NUMBER})\s*(?P<unit>{_EN_UNIT})(?:\s+(?:ago|old))?{_WE}",
        _age,
    ),
    _AtomRule(
        rf"(?:在)?(?:最近|近|过去)的?\s*(?P<amount>{_ZH_NUMBER})\s*个?\s*(?P<unit>{_ZH_UNIT})"
        r"(?:以来|来|之内|以内|内|里|中|当中)?",
        _rolling_zh,
    ),
    _AtomRule(
        rf"(?<![\d年])(?P<amount>\d{{1,3}}|[零〇一二两三四五六七八九十百]+|半|几)\s*个?\s*"
        rf"(?P<unit>{_ZH_UNIT})(?:以来|来|之内|以内|内)",
        _rolling_zh,
    ),
    _AtomRule(
        rf"(?<![\d年])(?P<amount>\d{{1,3}}|[零〇一二两三四五六七八九十百]+|半)\s*个?\s*"
        rf"(?P<unit>{_ZH_UNIT})(?:之前|以前|前)",
        _ago,
    ),
    _AtomRule(rf"(?P<word>{_alternation(_ZH_CALENDAR)})", _zh_calendar),
    _AtomRule(rf"(?<!\d)(?P<day>{_ZH_SMALL})\s*[日号]", _day_of_month, standalone=False),
)


_FLAGS = re.IGNORECASE
_COMPILED_ATOMS = tuple(
    (re.compile(rule.source, _FLAGS), rule.handler, rule.standalone) for rule in _ATOMS
)
_BARE_DAY_RE = re.compile(rf"{_WB}(?P<day>\d{{1,2}}){_MONTH_DAY_SUFFIX}{_WE}", _FLAGS)
_NOW_RE = re.compile(rf"{_WB}{_NOW_WORDS}{_WE}", _FLAGS)


def _bounds(atom: _Atom, now: datetime) -> tuple[datetime | None, datetime | None] | None:
    if isinstance(atom, datetime):
        return atom, atom
    if isinstance(atom, TimeRange):
        return atom.start, atom.end
    resolved = _resolve_spec(atom, now)
    if resolved is None:
        return None
    clipped = _clip(*resolved, now)
    return clipped.start, clipped.end


# ---------------------------------------------------------------------------
# Composite phrases: words around one atom ("since X", "X以来") or between two ("X to Y").


def _since(atom: _Atom, now: datetime) -> TimeRange | None:
    bounds = _bounds(atom, now)
    if bounds is None or bounds[0] is None or bounds[0] > now:
        return None
    return TimeRange(bounds[0], now)


def _before(atom: _Atom, now: datetime) -> TimeRange | None:
    bounds = _bounds(atom, now)
    return None if bounds is None or bounds[0] is None else TimeRange(None, bounds[0])


def _after(atom: _Atom, now: datetime) -> TimeRange | None:
    bounds = _bounds(atom, now)
    return None if bounds is None or bounds[1] is None else TimeRange(bounds[1], None)


def _until(atom: _Atom, now: datetime) -> TimeRange | None:
    bounds = _bounds(atom, now)
    return None if bounds is None or bounds[1] is None else TimeRange(None, bounds[1])


def _during(atom: _Atom, now: datetime) -> TimeRange | None:
    bounds = None if isinstance(atom, datetime) else _bounds(atom, now)
    return None if bounds is None else TimeRange(*bounds)


def _range(first: _Atom, second: _Atom, now: datetime) -> TimeRange | None:
    if isinstance(first, _DateSpec) and isinstance(second, _DateSpec):
        pair = _complete_pair(first, second, now)
        if pair is None:
            return None
        first, second = pair
    elif any(isinstance(end, _DateSpec) and end.day_only for end in (first, second)):
        return None

    first_bounds, second_bounds = _bounds(first, now), _bounds(second, now)
    if first_bounds is None or second_bounds is None:
        return None
    starts = [t for t in (first_bounds[0], second_bounds[0]) if t is not None]
    ends = [t for t in (first_bounds[1], second_bounds[1]) if t is not None]
    # A reversed range ("between 25 and 23 October") means the same days, so order the bounds.
    return TimeRange(min(starts), max(ends)) if starts and ends else None


@dataclass(frozen=True)
class _Wrapper:
    """Words before and/or after an atom; a wrapper applies only if it adds some text."""

    prefix: re.Pattern[str] | None
    suffix: re.Pattern[str] | None
    resolve: Callable[[_Atom, datetime], TimeRange | None]


def _wrapper(
    prefix: str | None, suffix: str | None, resolve: Callable[[_Atom, datetime], TimeRange | None]
) -> _Wrapper:
    return _Wrapper(
        re.compile(rf"(?:{prefix})\Z", _FLAGS) if prefix is not None else None,
        re.compile(suffix, _FLAGS) if suffix is not None else None,
        resolve,
    )


_WRAPPERS = (
    _wrapper(
        rf"{_WB}(?:ever\s+since|since|starting(?:\s+(?:from|on|in|at|with))?|"
        rf"beginning(?:\s+(?:from|on|in|at|with))?)\s+",
        None,
        _since,
    ),
    _wrapper(rf"{_WB}from\s+", rf"\s+(?:on|onwards?|forwards?){_WE}", _since),
    _wrapper(
        r"(?:(?:自从|自|从|打从)\s*)?",
        r"\s*(?:以来|至今|到现在|到今天|到目前为止|起|开始|往后)",
        _since,
    ),
    _wrapper(r"(?:自从|自)\s*", None, _since),
    _wrapper(rf"{_WB}(?:before|prior\s+to|earlier\s+than)\s+", None, _before),
    _wrapper(None, r"\s*(?:之前|以前)", _before),
    _wrapper(rf"{_WB}(?:after|later\s+than)\s+", None, _after),
    _wrapper(None, r"\s*(?:之后|以后)", _after),
    _wrapper(rf"{_WB}(?:until|till|up\s+(?:to|until)|through|thru)\s+", None, _until),
    _wrapper(r"(?:截至|截止到?|直到)\s*", r"(?:\s*为止)?", _until),
    _wrapper(r"到\s*", r"\s*为止", _until),
    _wrapper(
        rf"{_WB}(?:in|during|for|on|throughout|from|of|within|over|at)\s+"
        rf"(?:the\s+(?:month|year)\s+of\s+)?",
        None,
        _during,
    ),
    _wrapper(r"(?:在|于)\s*", r"(?:\s*(?:期间|之内|以内|内|里|当中))?", _during),
    _wrapper(None, r"\s*(?:期间|之内|以内|内|里|当中|全年|整年|整月)", _during),
)


@dataclass(frozen=True)
class _RangeForm:
    """Optional words before the first end, the link between the ends, and words after."""

    prefix: re.Pattern[str]
    link: re.Pattern[str]
    suffix: re.Pattern[str]


def _range_form(prefix: str, link: str, suffix: str) -> _RangeForm:
    return _RangeForm(
        re.compile(rf"(?:{prefix})\Z", _FLAGS), re.compile(link, _FLAGS), re.compile(suffix)
    )


# A hyphen between digits links only a bare day ("Oct 23-25"), because "2025-10" is a month.
_RANGE_LINK = (
    r"\s+(?:to|until|till|through|thru)\s+|\s*(?:~|～|–|—|\.\.|到|至)\s*|\s+-\s+|/"
    r"|(?<=[^\d\s])\s*-\s*|-(?=\d{1,2}(?![\d\-/.:]))"
)
_RANGE_FORMS = (
    _range_form(rf"{_WB}between\s+", r"\s+and\s+", ""),
    _range_form(
        rf"(?:{_WB}from\s+|从|自|在)?", _RANGE_LINK, r"(?:\s*(?:之间|期间|之内|以内|内|为止))?"
    ),
    _range_form("在?", r"\s*(?:和|与|跟)\s*", r"\s*之间"),
)


# ---------------------------------------------------------------------------
# Matching: find every atom once, then try the composite phrases around the atoms found.

_EndKind = Literal["atom", "day", "now"]


@dataclass(frozen=True)
class _Span:
    """An atom found in the text; "day" is a bare day number and "now" a word such as 现在."""

    start: int
    end: int
    atom: _Atom
    kind: _EndKind
    standalone: bool


def _find_spans(text: str, now: datetime) -> list[_Span]:
    spans: list[_Span] = []
    for pattern, handler, standalone in _COMPILED_ATOMS:
        for m in pattern.finditer(text):
            atom = handler(m, now)
            if atom is not None:
                spans.append(_Span(m.start(), m.end(), atom, "atom", standalone))
    for m in _BARE_DAY_RE.finditer(text):
        spans.append(_Span(m.start(), m.end(), _DateSpec(day=int(m["day"])), "day", False))
    for m in _NOW_RE.finditer(text):
        spans.append(_Span(m.start(), m.end(), now, "now", False))
    return spans


_Candidate = tuple[int, int, TimeRange]


def _atom_candidates(spans: list[_Span], now: datetime, weak: bool) -> Iterator[_Candidate]:
    for span in spans:
        if span.kind == "atom" and (span.standalone or weak):
            found = _during(span.atom, now)
            if found is not None:
                yield span.start, span.end, found


def _wrapped_candidates(text: str, spans: list[_Span], now: datetime) -> Iterator[_Candidate]:
    for span in (span for span in spans if span.kind == "atom"):
        for wrapper in _WRAPPERS:
            extent = _wrapper_extent(wrapper, text, span)
            found = wrapper.resolve(span.atom, now) if extent is not None else None
            if extent is not None and found is not None:
                yield extent[0], extent[1], found


def _wrapper_extent(wrapper: _Wrapper, text: str, span: _Span) -> tuple[int, int] | None:
    """Return where the wrapped phrase starts and ends, or None if the wrapper does not fit."""
    start, end = span.start, span.end
    if wrapper.prefix is not None:
        before = wrapper.prefix.search(text, 0, span.start)
        if before is None:
            return None
        start = before.start()
    if wrapper.suffix is not None:
        after = wrapper.suffix.match(text, span.end)
        if after is None:
            return None
        end = after.end()
    # Words that may be empty must not turn a weak atom ("2025") into a phrase of its own.
    return None if (start, end) == (span.start, span.end) else (start, end)


def _range_candidates(text: str, spans: list[_Span], now: datetime) -> Iterator[_Candidate]:
    seconds: dict[int, list[_Span]] = {}
    for span in spans:
        seconds.setdefault(span.start, []).append(span)

    for first in (span for span in spans if span.kind != "now"):
        for form in _RANGE_FORMS:
            link = form.link.match(text, first.end)
            if link is None:
                continue
            for second in seconds.get(link.end(), []):
                found = _range(first.atom, second.atom, now)
                before = form.prefix.search(text, 0, first.start)
                after = form.suffix.match(text, second.end)
                if found is not None and before is not None and after is not None:
                    yield before.start(), after.end(), found


def _best_match(text: str, now: datetime, weak: bool) -> TimeRange | None:
    """Return the longest candidate (the first among equals) with its phrase, or None.

    ``weak`` lets atoms that need a preposition (a bare year or month name) stand alone.
    """
    spans = _find_spans(text, now)
    candidates = itertools.chain(
        _range_candidates(text, spans, now),
        _wrapped_candidates(text, spans, now),
        _atom_candidates(spans, now, weak),
    )
    best: _Candidate | None = None
    for start, end, found in candidates:
        phrase = text[start:end]
        start += len(phrase) - len(phrase.lstrip())
        end -= len(phrase) - len(phrase.rstrip())
        if best is None or (end - start, -start) > (best[1] - best[0], -best[0]):
            best = (start, end, found)
    if best is None:
        return None

    start, end, found = best
    result = replace(found, phrase=text[start:end])
    logger.debug("resolved %r to %s", result.phrase, result.to_dict())
    return result
