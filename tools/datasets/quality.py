"""Quality checks of a dataset version: its own profile, configured ranges, the previous version.

Thresholds:
- a column with more than 5 % missing values is a warning and more than 50 % is critical;
  5 % is where simple imputation starts to bias a model, and past half the column is mostly
  imputed;
- any exactly repeated row, any column with a single value, and any infinite number is a
  warning.
"""

from __future__ import annotations

from typing import Any

import duckdb

from tools.datasets.findings import Finding, Severity, plural
from tools.datasets.sql import float_literal, quote_identifier
from tools.datasets.text_types import decide_types, decision_findings

MISSING_WARNING_RATE = 0.05
MISSING_CRITICAL_RATE = 0.5

Range = tuple[float | None, float | None]


def profile_findings(profile: dict[str, Any]) -> list[Finding]:
    """Check one version's profile on its own: missing values, duplicates, constant columns."""
    findings: list[Finding] = []
    rows = int(profile.get("rows", 0))
    duplicates = int(profile.get("duplicate_rows", 0))
    if duplicates:
        findings.append(
            Finding(
                "duplicate_rows",
                "warning",
                f"{plural(duplicates, 'row')} repeat an earlier row exactly "
                f"({duplicates / rows:.1%} of {rows})",
                value=duplicates,
            )
        )
    for name, column in profile.get("columns", {}).items():
        findings.extend(_column_findings(name, column, rows))
    return findings


def _column_findings(name: str, column: dict[str, Any], rows: int) -> list[Finding]:
    findings: list[Finding] = []
    rate = float(column.get("missing_rate", 0.0))
    if rate > MISSING_WARNING_RATE:
        severity: Severity = "critical" if rate > MISSING_CRITICAL_RATE else "warning"
        findings.append(
            Finding(
                "missing_values",
                severity,
                f"{name} is missing in {rate:.1%} of rows ({column.get('missing')} of {rows})",
                column=name,
                value=round(rate, 6),
            )
        )
    if rows > 1 and int(column.get("count", 0)) > 0 and int(column.get("distinct", 0)) == 1:
        findings.append(
            Finding(
                "constant_column",
                "warning",
                f"{name} has the same value in every row; it carries no information",
                column=name,
            )
        )
    infinite = int(column.get("infinite", 0))
    if infinite:
        findings.append(
            Finding(
                "infinite_values",
                "warning",
                f"{name} has {plural(infinite, 'infinite value')}",
                column=name,
                value=infinite,
            )
        )
    return findings


def stored_text_findings(
    conn: duckdb.DuckDBPyConnection, table: str, text_columns: list[str]
) -> list[Finding]:
    """Report text columns of a typed file (Parquet, HDF5) whose values are numbers or dates."""
    findings: list[Finding] = []
    decisions = decide_types(conn, table, text_columns)
    for decision in decisions:
        stats = decision.stats
        if decision.sql_type == "VARCHAR" or stats.present == 0:
            continue
        blanks = f" ({plural(stats.blank, 'blank string')})" if stats.blank else ""
        findings.append(
            Finding(
                "numeric_as_text" if decision.sql_type in ("BIGINT", "DOUBLE") else "date_as_text",
                "warning",
                f"{decision.name} is stored as text, but its values are "
                f"{decision.sql_type} values{blanks}; convert the column when training",
                column=decision.name,
                value=stats.blank,
            )
        )
    mixed = [d for d in decisions if d.sql_type == "VARCHAR"]
    findings.extend(f for f in decision_findings(conn, table, mixed) if f.check == "mixed_types")
    return findings


def range_findings(
    conn: duckdb.DuckDBPyConnection, table: str, ranges: dict[str, Range], numeric: set[str]
) -> list[Finding]:
    """Count the values outside each configured ``(low, high)`` range, both ends inclusive."""
    findings: list[Finding] = []
    for column, (low, high) in sorted(ranges.items()):
        if column not in numeric:
            findings.append(
                Finding(
                    "out_of_range",
                    "warning",
                    f"a range is configured for {column}, but it is not a numeric column here",
                    column=column,
                )
            )
            continue
        quoted = quote_identifier(column)
        conditions = []
        if low is not None:
            conditions.append(f"{quoted} < {float_literal(low)}")
        if high is not None:
            conditions.append(f"{quoted} > {float_literal(high)}")
        if not conditions:
            continue
        row = conn.execute(
            f"SELECT count(*) FROM {quote_identifier(table)} WHERE {' OR '.join(conditions)}"
        ).fetchone()
        outside = int(row[0]) if row else 0
        if outside:
            findings.append(
                Finding(
                    "out_of_range",
                    "warning",
                    f"{column} has {plural(outside, 'value')} outside the configured range "
                    f"[{_bound(low)}, {_bound(high)}]",
                    column=column,
                    value=outside,
                )
            )
    return findings


def _bound(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


def comparison_findings(
    previous_version: int,
    previous_columns: list[dict[str, Any]],
    previous_profile: dict[str, Any],
    columns: list[dict[str, Any]],
    profile: dict[str, Any],
) -> list[Finding]:
    """Compare against the previous version: schema changes and values newly out of range."""
    findings = schema_change_findings(previous_version, previous_columns, columns)
    before = previous_profile.get("columns", {})
    for name, column in profile.get("columns", {}).items():
        old = before.get(name)
        if not old or old.get("kind") != "numeric" or column.get("kind") != "numeric":
            continue
        negatives = int(column.get("negative", 0))
        if old.get("min") is not None and old["min"] >= 0 and negatives:
            findings.append(
                Finding(
                    "out_of_range",
                    "warning",
                    f"{name} has {plural(negatives, 'negative value')}, but it was never "
                    f"negative in v{previous_version}",
                    column=name,
                    value=negatives,
                )
            )
    return findings


def schema_change_findings(
    previous_version: int, previous_columns: list[dict[str, Any]], columns: list[dict[str, Any]]
) -> list[Finding]:
    old_types = {c["name"]: c["type"] for c in previous_columns}
    new_types = {c["name"]: c["type"] for c in columns}
    findings: list[Finding] = []
    for name in new_types.keys() - old_types.keys():
        findings.append(
            Finding(
                "schema_change",
                "info",
                f"column {name} ({new_types[name]}) was added since v{previous_version}",
                column=name,
                value="added",
            )
        )
    for name in old_types.keys() - new_types.keys():
        findings.append(
            Finding(
                "schema_change",
                "warning",
                f"column {name} was removed since v{previous_version}",
                column=name,
                value="removed",
            )
        )
    for name in sorted(old_types.keys() & new_types.keys()):
        if old_types[name] != new_types[name]:
            findings.append(
                Finding(
                    "schema_change",
                    "warning",
                    f"column {name} changed type from {old_types[name]} to {new_types[name]} "
                    f"since v{previous_version}",
                    column=name,
                    value="retyped",
                )
            )
    return sorted(findings, key=lambda f: (f.value != "removed", f.column or ""))
