"""Deciding the type of each text column of a CSV, and reporting the values that do not fit.

A column becomes BIGINT, DOUBLE, DATE or TIMESTAMP only when every present value parses as
that type. Blank strings and common missing-value markers count as missing, not as values.
So a numeric column with a few blank strings (IBM's telco ``TotalCharges``) is numeric with
missing values and a finding, and an integer column written partly as ``1.00E+05`` by Excel
is BIGINT with a finding. A column where most values are numbers but some are other text
stays text, so nothing is lost, and is reported as mixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from tools.datasets.findings import Finding, plural
from tools.datasets.sql import quote_identifier, quote_literal

# Text that spreadsheets and pandas write for a missing number.
MISSING_MARKERS = ("NA", "N/A", "#N/A", "NULL", "NONE", "-", "?")
# A text column is reported as mixed when at least this share of its values are numbers.
MIXED_NUMERIC_SHARE = 0.8
MAX_EXAMPLES = 3

_INT = r"[+-]?[0-9]+"
_LEADING_ZERO = r"[+-]?0[0-9]+"
_SCIENTIFIC = r"[+-]?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


@dataclass(frozen=True)
class TextColumnStats:
    name: str
    non_null: int
    blank: int
    markers: int
    integers: int
    leading_zero: int
    bigints: int
    numbers: int
    integral_numbers: int
    scientific_integral: int
    timestamps: int
    dates: int

    @property
    def present(self) -> int:
        """Values that are neither NULL, blank nor a missing-value marker."""
        return self.non_null - self.blank - self.markers


@dataclass(frozen=True)
class ColumnDecision:
    name: str
    sql_type: str  # BIGINT, DOUBLE, DATE, TIMESTAMP or VARCHAR
    stats: TextColumnStats


def _value(column: str) -> str:
    return f"trim({quote_identifier(column)})"


def _basic_aggregates(column: str) -> list[str]:
    value = _value(column)
    return [
        f"count({quote_identifier(column)})",
        f"count(*) FILTER (WHERE {value} = '')",
        f"count(TRY_CAST({value} AS DOUBLE))",
    ]


def _marker_aggregate(column: str) -> str:
    value = _value(column)
    markers = ", ".join(quote_literal(m) for m in MISSING_MARKERS)
    return f"count(*) FILTER (WHERE upper({value}) IN ({markers}))"


def _numeric_aggregates(column: str) -> list[str]:
    value = _value(column)
    number = f"TRY_CAST({value} AS DOUBLE)"
    return [
        _marker_aggregate(column),
        f"count(*) FILTER (WHERE regexp_full_match({value}, '{_INT}'))",
        f"count(*) FILTER (WHERE regexp_full_match({value}, '{_LEADING_ZERO}'))",
        f"count(*) FILTER (WHERE regexp_full_match({value}, '{_INT}') "
        f"AND TRY_CAST({value} AS BIGINT) IS NOT NULL)",
        f"count(*) FILTER (WHERE isfinite({number}) AND {number} = floor({number}))",
        f"count(*) FILTER (WHERE regexp_full_match({value}, '{_SCIENTIFIC}') "
        f"AND {number} = floor({number}))",
    ]


def _temporal_aggregates(column: str) -> list[str]:
    value = _value(column)
    return [
        _marker_aggregate(column),
        f"count(TRY_CAST({value} AS TIMESTAMP))",
        f"count(*) FILTER (WHERE regexp_full_match({value}, '{_DATE}') "
        f"AND TRY_CAST({value} AS DATE) IS NOT NULL)",
    ]


def _scan(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    aggregates: Callable[[str], list[str]],
) -> dict[str, list[int]]:
    """Run the aggregates of every column in one scan; return the counts per column."""
    if not columns:
        return {}
    per_column = [aggregates(column) for column in columns]
    select = ", ".join(expr for exprs in per_column for expr in exprs)
    row = conn.execute(f"SELECT {select} FROM {quote_identifier(table)}").fetchone()
    assert row is not None
    width = len(per_column[0])
    return {
        column: [int(v) for v in row[i * width : (i + 1) * width]]
        for i, column in enumerate(columns)
    }


def text_column_stats(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]
) -> list[TextColumnStats]:
    """Count how the values of each text column parse.

    The first scan counts values, blanks and numbers. The costlier pattern counts then run only
    on the columns that contain numbers, and the date counts only on those that contain none.
    """
    basic = _scan(conn, table, columns, _basic_aggregates)
    numeric_columns = [c for c in columns if basic[c][2] > 0]
    temporal_columns = [c for c in columns if basic[c][2] == 0 and basic[c][0] > basic[c][1]]
    numeric = _scan(conn, table, numeric_columns, _numeric_aggregates)
    temporal = _scan(conn, table, temporal_columns, _temporal_aggregates)

    stats = []
    for column in columns:
        non_null, blank, numbers = basic[column]
        markers, integers, leading_zero, bigints, integral, scientific = numeric.get(
            column, [0] * 6
        )
        timestamps = dates = 0
        if column in temporal:
            markers, timestamps, dates = temporal[column]
        stats.append(
            TextColumnStats(
                name=column,
                non_null=non_null,
                blank=blank,
                markers=markers,
                integers=integers,
                leading_zero=leading_zero,
                bigints=bigints,
                numbers=numbers,
                integral_numbers=integral,
                scientific_integral=scientific,
                timestamps=timestamps,
                dates=dates,
            )
        )
    return stats


def decide_type(stats: TextColumnStats) -> str:
    present = stats.present
    if present == 0:
        return "VARCHAR"
    if stats.leading_zero:
        # Codes such as ZIP codes or account numbers lose their leading zeros as numbers.
        return "VARCHAR"
    if stats.bigints == present:
        return "BIGINT"
    if stats.numbers == present:
        if stats.scientific_integral and stats.integral_numbers == present:
            return "BIGINT"
        return "DOUBLE"
    if stats.dates == present:
        return "DATE"
    if stats.timestamps == present:
        return "TIMESTAMP"
    return "VARCHAR"


def decide_types(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]
) -> list[ColumnDecision]:
    return [
        ColumnDecision(s.name, decide_type(s), s) for s in text_column_stats(conn, table, columns)
    ]


def typed_expression(decision: ColumnDecision) -> str:
    """Return the SELECT expression that converts one text column to its decided type."""
    column = quote_identifier(decision.name)
    value = f"trim({column})"
    if decision.sql_type == "VARCHAR":
        return f"CASE WHEN {value} = '' THEN NULL ELSE {column} END AS {column}"
    if decision.sql_type == "BIGINT" and decision.stats.scientific_integral:
        return f"CAST(TRY_CAST({value} AS DOUBLE) AS BIGINT) AS {column}"
    return f"TRY_CAST({value} AS {decision.sql_type}) AS {column}"


def create_typed_table(
    conn: duckdb.DuckDBPyConnection, source: str, target: str, decisions: list[ColumnDecision]
) -> None:
    select = ", ".join(typed_expression(d) for d in decisions)
    target_table, source_table = quote_identifier(target), quote_identifier(source)
    conn.execute(f"CREATE TABLE {target_table} AS SELECT {select} FROM {source_table}")


def examples_of_text(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """Return a few values of a mostly numeric column that are not numbers."""
    value = f"trim({quote_identifier(column)})"
    rows = conn.execute(
        f"SELECT DISTINCT {value} FROM {quote_identifier(table)} "
        f"WHERE {value} <> '' AND TRY_CAST({value} AS DOUBLE) IS NULL LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    return [str(r[0]) for r in rows]


def decision_findings(
    conn: duckdb.DuckDBPyConnection, table: str, decisions: list[ColumnDecision]
) -> list[Finding]:
    """Report what the type decisions had to work around, column by column."""
    findings: list[Finding] = []
    for decision in decisions:
        findings.extend(_findings_for(conn, table, decision))
    return findings


def _findings_for(
    conn: duckdb.DuckDBPyConnection, table: str, decision: ColumnDecision
) -> list[Finding]:
    stats, name = decision.stats, decision.name
    findings: list[Finding] = []
    numeric = decision.sql_type in ("BIGINT", "DOUBLE")
    if numeric and stats.blank:
        findings.append(
            Finding(
                "blank_strings",
                "warning",
                f"{name} is numeric but has {plural(stats.blank, 'blank string')}; "
                "they were read as missing values",
                column=name,
                value=stats.blank,
            )
        )
    elif stats.blank:
        findings.append(
            Finding(
                "blank_strings",
                "info",
                f"{name} has {plural(stats.blank, 'blank string')}; "
                "they were read as missing values",
                column=name,
                value=stats.blank,
            )
        )
    if numeric and stats.markers:
        findings.append(
            Finding(
                "missing_markers",
                "info",
                f"{name} writes {stats.markers} missing values as text such as 'NA'",
                column=name,
                value=stats.markers,
            )
        )
    if decision.sql_type == "BIGINT" and stats.scientific_integral:
        findings.append(
            Finding(
                "excel_scientific_numbers",
                "warning",
                f"{name} holds integers, but {stats.scientific_integral} are written in "
                "scientific notation such as 1.00E+05 (an Excel export); they were read as "
                "integers",
                column=name,
                value=stats.scientific_integral,
            )
        )
    if decision.sql_type == "VARCHAR" and stats.present and not stats.leading_zero:
        unparseable = stats.present - stats.numbers
        if stats.numbers >= MIXED_NUMERIC_SHARE * stats.present and unparseable:
            examples = examples_of_text(conn, table, name)
            findings.append(
                Finding(
                    "mixed_types",
                    "warning",
                    f"{name} is mostly numbers, but {unparseable} values are not "
                    f"(for example {', '.join(repr(e) for e in examples)}); it was kept as text",
                    column=name,
                    value=unparseable,
                )
            )
    return findings
