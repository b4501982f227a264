"""Per-column profiles of a loaded table, computed in DuckDB and stored as JSON.

Each numeric column keeps, besides its summary statistics, two compact descriptions of its
distribution, so later comparisons and drift checks need no access to the original file:
- ``histogram``: right-closed bins whose edges are the column's distinct deciles, with exact
  counts (bin ``i`` contains the values in ``(edges[i-1], edges[i]]``; the first and last bins are
  open-ended);
- ``percentiles``: the 0th, 5th, ..., 100th percentiles, used to estimate how another
  version's values fall into these bins.
Categorical and boolean columns keep their most frequent values with counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from tools.datasets.sql import float_literal, quote_identifier, quote_literal

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "other"]

DECILES = [i / 10 for i in range(1, 10)]
PERCENTILE_LEVELS = [i / 20 for i in range(21)]
TOP_VALUES = 20
# Low-cardinality numeric columns (flags, counts, classes) also keep exact value counts.
NUMERIC_VALUE_COUNTS_MAX = 20

_NUMERIC_PREFIXES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    type: str  # DuckDB's type name
    kind: ColumnKind

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "kind": self.kind}


def kind_of(sql_type: str) -> ColumnKind:
    upper = sql_type.upper()
    if upper.startswith(_NUMERIC_PREFIXES):
        return "numeric"
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("DATE", "TIMESTAMP", "TIME")):
        return "datetime"
    if upper.startswith(("VARCHAR", "ENUM", "UUID")):
        return "categorical"
    return "other"


def table_schema(conn: duckdb.DuckDBPyConnection, table: str) -> list[ColumnSchema]:
    rows = conn.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    return [ColumnSchema(str(r[0]), str(r[1]), kind_of(str(r[1]))) for r in rows]


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def row_stats(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Return the row count and the number of rows that repeat an earlier row exactly."""
    quoted = quote_identifier(table)
    row = conn.execute(
        f"SELECT (SELECT count(*) FROM {quoted}), (SELECT count(*) FROM (SELECT DISTINCT * "
        f"FROM {quoted}))"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[0]) - int(row[1])


def profile_table(
    conn: duckdb.DuckDBPyConnection, table: str, schema: list[ColumnSchema]
) -> dict[str, Any]:
    """Return ``{"rows", "duplicate_rows", "columns": {name: profile}}`` for the table.

    Numeric columns are unpivoted into one long table of (name, value) first, so their
    statistics, histograms and value counts are a few GROUP BY queries whatever the width.
    """
    rows, duplicates = row_stats(conn, table)
    summaries = _plain_summaries(conn, table, schema, rows)
    numeric = [c for c in schema if c.kind == "numeric"]
    if numeric:
        summaries.update(_numeric_summaries(conn, table, numeric, rows))

    few_valued = [
        c.name
        for c in numeric
        if summaries[c.name]["count"] and summaries[c.name]["distinct"] <= NUMERIC_VALUE_COUNTS_MAX
    ]
    for name, counts in _numeric_value_counts(conn, few_valued).items():
        summaries[name].update(_top(counts, summaries[name]["count"]))
    for column in schema:
        if column.kind in ("categorical", "boolean"):
            summaries[column.name].update(_top_values(conn, table, column, summaries[column.name]))
    ordered = {c.name: summaries[c.name] for c in schema}
    return {"rows": rows, "duplicate_rows": duplicates, "columns": ordered}


def _plain_summaries(
    conn: duckdb.DuckDBPyConnection, table: str, schema: list[ColumnSchema], rows: int
) -> dict[str, dict[str, Any]]:
    """Count present and distinct values of the non-numeric columns, in one scan."""
    columns = [c for c in schema if c.kind != "numeric"]
    if not columns:
        return {}
    per_column = []
    for column in columns:
        quoted = quote_identifier(column.name)
        exprs = [f"count({quoted})", f"count(DISTINCT {quoted})"]
        if column.kind == "datetime":
            exprs += [f"CAST(min({quoted}) AS VARCHAR)", f"CAST(max({quoted}) AS VARCHAR)"]
        per_column.append(exprs)
    select = ", ".join(e for exprs in per_column for e in exprs)
    row = conn.execute(f"SELECT {select} FROM {quote_identifier(table)}").fetchone()
    assert row is not None

    summaries: dict[str, dict[str, Any]] = {}
    offset = 0
    for column, exprs in zip(columns, per_column, strict=True):
        values = row[offset : offset + len(exprs)]
        offset += len(exprs)
        summary = _base_summary(column, int(values[0]), int(values[1]), rows)
        if column.kind == "datetime":
            summary.update({"min": values[2], "max": values[3]})
        summaries[column.name] = summary
    return summaries


def _base_summary(column: ColumnSchema, present: int, distinct: int, rows: int) -> dict[str, Any]:
    return {
        "type": column.type,
        "kind": column.kind,
        "count": present,
        "missing": rows - present,
        "missing_rate": (rows - present) / rows if rows else 0.0,
        "distinct": distinct,
    }


def _numeric_summaries(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[ColumnSchema], rows: int
) -> dict[str, dict[str, Any]]:
    select = ", ".join(
        f"CAST({quote_identifier(c.name)} AS DOUBLE) AS {quote_identifier(c.name)}" for c in columns
    )
    # UNPIVOT leaves out NULLs; NaN and infinities stay in the long table and are filtered
    # below, because NaN counts as missing (as in pandas) and infinities are counted apart.
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE numeric_long AS UNPIVOT (SELECT {select} FROM "
        f"{quote_identifier(table)}) ON COLUMNS(*) INTO NAME name VALUE v"
    )
    levels = "[" + ", ".join(str(x) for x in PERCENTILE_LEVELS) + "]"
    stats = conn.execute(
        "SELECT name, count(*) FILTER (WHERE isfinite(v)), "
        "count(DISTINCT v) FILTER (WHERE isfinite(v)), "
        "min(v) FILTER (WHERE isfinite(v)), max(v) FILTER (WHERE isfinite(v)), "
        "avg(v) FILTER (WHERE isfinite(v)), stddev_samp(v) FILTER (WHERE isfinite(v)), "
        f"quantile_cont(v, {levels}) FILTER (WHERE isfinite(v)), "
        "count(*) FILTER (WHERE isfinite(v) AND v < 0), "
        "count(*) FILTER (WHERE isfinite(v) AND v = 0), count(*) FILTER (WHERE isinf(v)) "
        "FROM numeric_long GROUP BY name"
    ).fetchall()
    by_name = {str(r[0]): r for r in stats}

    summaries: dict[str, dict[str, Any]] = {}
    for column in columns:
        row = by_name.get(column.name)
        present = int(row[1]) if row else 0
        summary = _base_summary(column, present, int(row[2]) if row else 0, rows)
        percentiles = [_finite(v) for v in row[7]] if row and row[7] is not None else []
        summary.update(
            {
                "min": _finite(row[3]) if row else None,
                "max": _finite(row[4]) if row else None,
                "mean": _finite(row[5]) if row else None,
                "std": _finite(row[6]) if row else None,
                "percentiles": percentiles,
                "negative": int(row[8]) if row else 0,
                "zeros": int(row[9]) if row else 0,
                "infinite": int(row[10]) if row else 0,
            }
        )
        summaries[column.name] = summary
    _add_histograms(conn, summaries)
    return summaries


def _add_histograms(conn: duckdb.DuckDBPyConnection, summaries: dict[str, dict[str, Any]]) -> None:
    """Count each numeric column's values in the bins between its distinct deciles."""
    edges = {
        name: deciles_of(summary["percentiles"])
        for name, summary in summaries.items()
        if summary["count"]
    }
    if not edges:
        return
    conn.execute("CREATE OR REPLACE TEMP TABLE numeric_edges (name VARCHAR, edges DOUBLE[])")
    conn.executemany("INSERT INTO numeric_edges VALUES (?, ?)", [[n, e] for n, e in edges.items()])
    # A value's right-closed bin index is the number of edges strictly below it.
    rows = conn.execute(
        "SELECT l.name, len(list_filter(e.edges, lambda edge: edge < l.v)) AS bin, count(*) "
        "FROM numeric_long l JOIN numeric_edges e ON l.name = e.name "
        "WHERE isfinite(l.v) GROUP BY ALL"
    ).fetchall()
    counts = {name: [0] * (len(column_edges) + 1) for name, column_edges in edges.items()}
    for name, bin_index, count in rows:
        counts[str(name)][int(bin_index)] = int(count)
    for name, column_edges in edges.items():
        summaries[name]["histogram"] = {"edges": column_edges, "counts": counts[name]}


def _numeric_value_counts(
    conn: duckdb.DuckDBPyConnection, names: list[str]
) -> dict[str, list[tuple[str, int]]]:
    if not names:
        return {}
    listed = ", ".join(quote_literal(n) for n in names)
    rows = conn.execute(
        f"SELECT name, v, count(*) FROM numeric_long WHERE name IN ({listed}) AND isfinite(v) "
        "GROUP BY ALL"
    ).fetchall()
    counts: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
    for name, value, count in rows:
        counts[str(name)].append((format_number(float(value)), int(count)))
    return counts


def format_number(value: float) -> str:
    """Write integral values without a fractional part, so a 0/1 flag reads as 0 and 1."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _top_values(
    conn: duckdb.DuckDBPyConnection, table: str, column: ColumnSchema, summary: dict[str, Any]
) -> dict[str, Any]:
    value = quote_identifier(column.name)
    rows = conn.execute(
        f"SELECT CAST({value} AS VARCHAR) AS value, count(*) AS n FROM {quote_identifier(table)} "
        f"WHERE {value} IS NOT NULL GROUP BY 1 ORDER BY n DESC, value LIMIT {TOP_VALUES}"
    ).fetchall()
    return _top([(str(r[0]), int(r[1])) for r in rows], summary["count"])


def _top(pairs: list[tuple[str, int]], total: int) -> dict[str, Any]:
    """Return the most frequent values, with the count of all other values."""
    pairs = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
    top = pairs[:TOP_VALUES]
    return {
        "top_values": [{"value": value, "count": count} for value, count in top],
        "other_count": total - sum(count for _, count in top),
    }


def deciles_of(percentiles: list[float | None]) -> list[float]:
    """Return the distinct deciles (10th..90th percentile) from the 5 % percentile grid."""
    deciles = [percentiles[i] for i in range(2, 19, 2)] if len(percentiles) == 21 else []
    return sorted({d for d in deciles if d is not None})


def bin_expression(value: str, edges: list[float]) -> str:
    """Return a SQL CASE that maps ``value`` to its right-closed bin index over ``edges``."""
    if not edges:
        return "0"
    whens = " ".join(f"WHEN {value} <= {float_literal(e)} THEN {i}" for i, e in enumerate(edges))
    return f"CASE {whens} ELSE {len(edges)} END"
