"""Time phrases in English and Chinese resolve to the UTC ranges users expect."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tools.clock import parse_instant
from tools.errors import InvalidInputError
from tools.timerange import TimeRange, find_time_range, parse_period

FIXTURE_FILE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "time_expressions.tsv"
)
NOW = "2026-12-04T10:30:00Z"  # a Friday in Q4


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


# Read at collection time so that each row is its own test. In a clone without ../shared the
# list is empty, and the fixtures_dir fixture skips the count check.
FIXTURE_ROWS = _read_rows(FIXTURE_FILE) if FIXTURE_FILE.is_file() else []


def _bounds(found: TimeRange | None) -> tuple[str | None, str | None] | None:
    if found is None:
        return None
    as_dict = found.to_dict()
    return as_dict["start"], as_dict["end"]


def test_fixture_rows_all_collected(fixtures_dir: Path) -> None:
    rows = _read_rows(fixtures_dir / "time_expressions.tsv")
    assert len(rows) > 0
    assert [row["phrase"] for row in rows] == [row["phrase"] for row in FIXTURE_ROWS]


@pytest.mark.parametrize("row", FIXTURE_ROWS, ids=[row["phrase"] for row in FIXTURE_ROWS])
def test_fixture_row(fixtures_dir: Path, row: dict[str, str]) -> None:
    now = parse_instant(row["now"])
    found = find_time_range(row["phrase"], now)

    if not row["start"] and not row["end"]:
        assert found is None
        with pytest.raises(InvalidInputError):
            parse_period(row["phrase"], now)
        return

    assert found is not None
    assert _bounds(found) == (row["start"] or None, row["end"] or None)
    assert found.phrase == row["phrase"]
    assert parse_period(row["phrase"], now) == found


# (phrase, now, start, end). Rows marked "choice" pin a reading of an ambiguous phrase.
EXTRA_VECTORS: list[tuple[str, str, str | None, str | None]] = [
    # English, rolling windows
    ("past week", NOW, "2026-11-27T10:30:00Z", NOW),
    ("last 30d", NOW, "2026-11-04T10:30:00Z", NOW),
    ("last 24h", NOW, "2026-12-03T10:30:00Z", NOW),
    ("over the last year", NOW, "2025-12-04T10:30:00Z", NOW),
    ("in the last 2 weeks", NOW, "2026-11-20T10:30:00Z", NOW),
    ("last twenty-one days", NOW, "2026-11-13T10:30:00Z", NOW),
    ("last couple of months", NOW, "2026-10-04T10:30:00Z", NOW),
    ("the past few days", NOW, "2026-12-01T10:30:00Z", NOW),  # choice: "a few" is 3
    ("past 1.5 years", NOW, "2025-06-04T10:30:00Z", NOW),
    ("last 2 quarters", NOW, "2026-06-04T10:30:00Z", NOW),
    ("last hour", NOW, "2026-12-04T09:30:00Z", NOW),  # choice: rolling, not the clock hour
    ("in the last day", NOW, "2026-12-03T10:30:00Z", NOW),
    ("last 3 full months", NOW, "2026-09-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    ("newer than 2 weeks", NOW, "2026-11-20T10:30:00Z", NOW),
    ("older than 30 days", NOW, None, "2026-11-04T10:30:00Z"),
    # English, calendar units
    ("the month before last", NOW, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"),
    ("YTD", NOW, "2026-01-01T00:00:00Z", NOW),
    ("so far this year", NOW, "2026-01-01T00:00:00Z", NOW),
    ("3 days ago", NOW, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"),
    ("2 weeks ago", NOW, "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"),  # choice: ISO week
    ("a month ago", NOW, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    ("last Friday", NOW, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"),  # today is Friday
    ("Friday", NOW, "2026-12-04T00:00:00Z", NOW),
    ("on Monday", NOW, "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"),
    ("Q4", NOW, "2026-10-01T00:00:00Z", NOW),
    ("in December", NOW, "2026-12-01T00:00:00Z", NOW),
    ("December 5", NOW, "2025-12-05T00:00:00Z", "2025-12-06T00:00:00Z"),
    ("last March", NOW, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("March last year", NOW, "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"),
    ("the second quarter of last year", NOW, "2025-04-01T00:00:00Z", "2025-07-01T00:00:00Z"),
    # English, absolute dates and periods
    ("in 2025", NOW, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("2025 Q3", NOW, "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z"),
    ("H1 2026", NOW, "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
    ("the first half of 2025", NOW, "2025-01-01T00:00:00Z", "2025-07-01T00:00:00Z"),
    ("in Mar 2026", NOW, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("March 3", NOW, "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"),
    ("3 March 2025", NOW, "2025-03-03T00:00:00Z", "2025-03-04T00:00:00Z"),
    ("on 2026-03-03", NOW, "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"),
    ("2026-03", NOW, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("2026-W10", NOW, "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"),
    # English, open ranges and ranges
    ("since March", NOW, "2026-03-01T00:00:00Z", NOW),
    ("since last month", NOW, "2026-11-01T00:00:00Z", NOW),
    ("since 2025-06-01", NOW, "2025-06-01T00:00:00Z", NOW),
    ("since 2026-03-01T10:00:00Z", NOW, "2026-03-01T10:00:00Z", NOW),
    ("from March on", NOW, "2026-03-01T00:00:00Z", NOW),
    ("before 2026-03-01", NOW, None, "2026-03-01T00:00:00Z"),
    ("after 2026-03-01", NOW, "2026-03-02T00:00:00Z", None),  # choice: after the whole day
    ("until last month", NOW, None, "2026-12-01T00:00:00Z"),
    ("from March to May", NOW, "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z"),
    # choice: a yearless range ends at the most recent February, so it starts in 2025
    ("from November to February", NOW, "2025-11-01T00:00:00Z", "2026-03-01T00:00:00Z"),
    ("between March 3 and 5", NOW, "2026-03-03T00:00:00Z", "2026-03-06T00:00:00Z"),
    ("3 to 5 March", NOW, "2026-03-03T00:00:00Z", "2026-03-06T00:00:00Z"),
    ("Oct 23-25", NOW, "2026-10-23T00:00:00Z", "2026-10-26T00:00:00Z"),
    ("2025-10-23..2025-10-25", NOW, "2025-10-23T00:00:00Z", "2025-10-26T00:00:00Z"),
    ("2025-10-23/2025-10-25", NOW, "2025-10-23T00:00:00Z", "2025-10-26T00:00:00Z"),
    ("2025-10-23-25", NOW, "2025-10-23T00:00:00Z", "2025-10-26T00:00:00Z"),
    ("from 2024 to 2025", NOW, "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("from last March to yesterday", NOW, "2026-03-01T00:00:00Z", "2026-12-04T00:00:00Z"),
    ("between 2025-10-25 and 2025-10-23", NOW, "2025-10-23T00:00:00Z", "2025-10-26T00:00:00Z"),
    (
        "between 2026-03-01T10:00:00Z and 2026-03-02T12:00:00Z",
        NOW,
        "2026-03-01T10:00:00Z",
        "2026-03-02T12:00:00Z",
    ),
    # Chinese, rolling windows
    ("过去24小时", NOW, "2026-12-03T10:30:00Z", NOW),
    ("最近两个星期", NOW, "2026-11-20T10:30:00Z", NOW),
    ("最近十二个月", NOW, "2025-12-04T10:30:00Z", NOW),
    ("近一年", NOW, "2025-12-04T10:30:00Z", NOW),
    ("近半年", NOW, "2026-06-04T10:30:00Z", NOW),
    ("近半个月", NOW, "2026-11-19T10:30:00Z", NOW),  # choice: half a month is 15 days
    ("最近几天", NOW, "2026-12-01T10:30:00Z", NOW),  # choice: 几 is 3
    ("30天内", NOW, "2026-11-04T10:30:00Z", NOW),
    ("三个月来", NOW, "2026-09-04T10:30:00Z", NOW),
    # Chinese, calendar units
    ("昨日", NOW, "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"),
    ("大前天", NOW, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"),
    ("上上周", NOW, "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"),
    ("上上个月", NOW, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"),
    ("前年", NOW, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
    ("上周五", NOW, "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z"),
    ("本周一", NOW, "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"),
    ("两周前", NOW, "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"),
    ("一年前", NOW, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # choice: whole year
    ("上半年", NOW, "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
    ("下半年", NOW, "2026-07-01T00:00:00Z", NOW),
    ("本季度以来", NOW, "2026-10-01T00:00:00Z", NOW),
    # Chinese, absolute dates and periods
    ("2025年", NOW, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("2025年10月", NOW, "2025-10-01T00:00:00Z", "2025-11-01T00:00:00Z"),
    ("2025年上半年", NOW, "2025-01-01T00:00:00Z", "2025-07-01T00:00:00Z"),
    ("2025年Q3", NOW, "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z"),
    ("去年三月", NOW, "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"),
    ("去年第四季度", NOW, "2025-10-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("一季度", NOW, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("3月", NOW, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("3月份", NOW, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("十二月", NOW, "2026-12-01T00:00:00Z", NOW),
    ("3月5日", NOW, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z"),
    # Chinese, open ranges and ranges
    ("上个月以来", NOW, "2026-11-01T00:00:00Z", NOW),
    ("2025年至今", NOW, "2025-01-01T00:00:00Z", NOW),
    ("自2025年6月1日以来", NOW, "2025-06-01T00:00:00Z", NOW),
    ("2025年之前", NOW, None, "2025-01-01T00:00:00Z"),
    ("2025年以后", NOW, "2026-01-01T00:00:00Z", None),  # choice: 以后 is "after", exclusive
    ("截至上个月", NOW, None, "2026-12-01T00:00:00Z"),
    ("从3月到5月", NOW, "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z"),
    ("3月和5月之间", NOW, "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z"),
    ("10月23日-25日", NOW, "2026-10-23T00:00:00Z", "2026-10-26T00:00:00Z"),
    # Month arithmetic clamps the day; 29 February needs a leap year.
    ("past month", "2026-03-31T12:00:00Z", "2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z"),
    ("过去一个月", "2026-03-31T12:00:00Z", "2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z"),
    ("last month", "2026-03-31T12:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
    ("past year", "2024-02-29T06:00:00Z", "2023-02-28T06:00:00Z", "2024-02-29T06:00:00Z"),
    ("February 29", "2025-06-01T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"),
    # Early in a year, yearless quarters, months and halves fall in the previous year.
    ("since Q3", "2026-02-10T08:00:00Z", "2025-07-01T00:00:00Z", "2026-02-10T08:00:00Z"),
    ("in December", "2026-02-10T08:00:00Z", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("下半年", "2026-02-10T08:00:00Z", "2025-07-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("last quarter", "2026-02-10T08:00:00Z", "2025-10-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    # ISO weeks cross the year boundary; 2026-01-05 is a Monday.
    ("last week", "2026-01-05T09:00:00Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"),
    ("本周", "2026-01-05T09:00:00Z", "2026-01-05T00:00:00Z", "2026-01-05T09:00:00Z"),
]


@pytest.mark.parametrize(
    ("phrase", "now", "start", "end"),
    EXTRA_VECTORS,
    ids=[f"{vector[0]}@{vector[1][:10]}" for vector in EXTRA_VECTORS],
)
def test_extra_vector(phrase: str, now: str, start: str | None, end: str | None) -> None:
    found = find_time_range(phrase, parse_instant(now))
    assert _bounds(found) == (start, end)
    assert found is not None
    assert found.phrase == phrase
    assert parse_period(phrase, parse_instant(now)) == found


def test_extra_vectors_cover_both_languages() -> None:
    chinese = [v for v in EXTRA_VECTORS if any("\u4e00" <= c <= "\u9fff" for c in v[0])]
    assert len(chinese) >= 20
    assert len(EXTRA_VECTORS) - len(chinese) >= 20


EMBEDDED = [
    ("best image classifier in the last three months", "in the last three months"),
    ("上个季度准确率最高的模型", "上个季度"),
    ("which fraud model had the highest recall since 2025-06-01?", "since 2025-06-01"),
    (
        "show churn runs between 2025-10-23 and 2025-10-25 sorted by f1",
        "between 2025-10-23 and 2025-10-25",
    ),
    ("models trained in Q3 2025 for fraud", "in Q3 2025"),
    ("去年三月份训练的情感分析模型", "去年三月份"),
    ("2025年10月23日到25日之间的实验", "2025年10月23日到25日之间"),
    ("最近7天的runs", "最近7天"),
    ("last 7 days的模型", "last 7 days"),
    ("what changed yesterday in the churn pipeline", "yesterday"),
]


@pytest.mark.parametrize(("request_text", "phrase"), EMBEDDED)
def test_embedded_phrase_found(request_text: str, phrase: str) -> None:
    now = parse_instant(NOW)
    found = find_time_range(request_text, now)
    assert found is not None
    assert found.phrase == phrase
    alone = parse_period(phrase, now)
    assert (found.start, found.end) == (alone.start, alone.end)


def test_longest_expression_wins() -> None:
    found = find_time_range("compare models from last month with this month", parse_instant(NOW))
    assert found is not None
    assert found.phrase == "from last month"
    assert _bounds(found) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


NO_TIME_EXPRESSION = [
    "show the latest run",
    "the last 5 runs",
    "top 3 models by accuracy",
    "compare run 12 to run 15",
    "model version 3 to 5",
    "list models with accuracy above 0.9",
    "accuracy between 0.8 and 0.9",
    "promote fraud-detector v3 to Production",
    "May I see the best model",
    "top 5 may be wrong",
    "trained for 2000 epochs",
    "run-2025-10-23 metrics",
    "RF_200_10",
    "2025",  # a bare year needs a preposition in a request
    "March",
    "把第3个版本部署到生产",
    "最好的3个模型",
    "每周一次的流水线",
    "最近的模型",
    "3号模型",
    "至今最好的模型",
]


@pytest.mark.parametrize("text", NO_TIME_EXPRESSION)
def test_no_time_expression(text: str) -> None:
    assert find_time_range(text, parse_instant(NOW)) is None


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2025", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("March", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("H1", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        ("  Q3 2025. ", "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z"),
    ],
)
def test_parse_period_bare_forms(period: str, start: str, end: str) -> None:
    assert _bounds(parse_period(period, parse_instant(NOW))) == (start, end)


@pytest.mark.parametrize(
    "period",
    [
        "",
        "   ",
        "foo",
        "last 3 months 2025",
        "May I see the best model",
        "batch size 2048",
        "2026-13-01",
        "2025-02-30",
        "2026-03-01T10:00:00Z",  # an instant is not a period
        "至今",
        "最近的模型",
        "3号模型",
    ],
)
def test_parse_period_rejects(period: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_period(period, parse_instant(NOW))
    message = str(raised.value)
    assert repr(period) in message
    assert "last 3 months" in message
    assert "\n" not in message


def test_naive_now_counts_as_utc() -> None:
    found = find_time_range("yesterday", datetime(2026, 12, 4, 10, 30))
    assert found is not None
    assert found.start == datetime(2026, 12, 3, tzinfo=UTC)


def test_time_range_contains_half_open() -> None:
    window = TimeRange(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert window.contains(datetime(2026, 1, 1, tzinfo=UTC))
    assert window.contains(datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
    assert not window.contains(datetime(2026, 2, 1, tzinfo=UTC))
    assert not window.contains(datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    assert window.contains(datetime(2026, 1, 15))  # naive counts as UTC


def test_time_range_open_sides() -> None:
    before = TimeRange(None, datetime(2026, 1, 1, tzinfo=UTC))
    after = TimeRange(datetime(2026, 1, 1, tzinfo=UTC), None)
    assert before.contains(datetime(1990, 1, 1, tzinfo=UTC))
    assert not before.contains(datetime(2026, 1, 1, tzinfo=UTC))
    assert after.contains(datetime(2100, 1, 1, tzinfo=UTC))
    assert not after.contains(datetime(2025, 12, 31, tzinfo=UTC))


def test_time_range_to_dict() -> None:
    window = TimeRange(datetime(2026, 1, 1, tzinfo=UTC), None, "since 2026")
    expected = {"start": "2026-01-01T00:00:00Z", "end": None, "phrase": "since 2026"}
    assert window.to_dict() == expected


def test_time_range_converts_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    window = TimeRange(datetime(2026, 1, 1, 9, tzinfo=tokyo), None)
    assert window.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert window.start is not None and window.start.utcoffset() == timedelta(0)


def test_time_range_rejects_reversed_bounds() -> None:
    with pytest.raises(InvalidInputError, match="2026-02-01T00:00:00Z"):
        TimeRange(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
