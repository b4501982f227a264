"""Ingesting inference logs (JSONL, CSV, Parquet, or Python records) into the store in bulk.

DuckDB reads the file itself, inside the store's transaction, into a temporary table; the
records and their features are then inserted with two INSERT ... SELECT statements, so no row
goes through Python. The recognised columns (case-insensitive, with common aliases) are
timestamp, model, version, latency_ms, status, prediction, confidence and label. A ``features``
object is flattened one level, and every other column is a feature. Features land in the long table
``inference_feature``, one row per record and feature.

A malformed line or row is skipped and counted, as is a row without a timestamp or a model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import text

from tools.clock import ensure_utc
from tools.datasets.sql import quote_identifier, quote_literal
from tools.errors import InvalidInputError, StoreError
from tools.store.db import Store

log = logging.getLogger(__name__)

ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "ts", "time", "event_time", "occurred_at", "created_at", "datetime"),
    "model": ("model", "model_name"),
    "version": ("version", "model_version"),
    "latency_ms": ("latency_ms", "latency"),
    "status": ("status",),
    "prediction": ("prediction", "predicted", "pred", "output"),
    "confidence": ("confidence", "score", "probability", "proba"),
    "label": ("label", "actual", "ground_truth"),
    "features": ("features",),
}
NOT_FEATURES = ("id", "request_id", "record_id")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
FORMATS.update({".parquet": "parquet", ".pq": "parquet"})
OK_STATUSES = ("ok", "success", "succeeded", "200")
ERROR_STATUSES = ("error", "failed", "failure", "fail", "timeout", "exception")
_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)


@dataclass
class IngestResult:
    """The outcome of one ingest call: the rows stored and the rows left out."""

    source: str
    records: int = 0
    feature_values: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    invalid_values: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    unknown_models: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    @property
    def summary(self) -> str:
        models = ", ".join(f"{m} ({n})" for m, n in sorted(self.models.items()))
        line = f"ingested {self.records} inference records from {self.source}: {models or 'none'}"
        if self.skipped:
            reasons = ", ".join(f"{n} {r}" for r, n in sorted(self.skipped_reasons.items()))
            line += f"; skipped {self.skipped} rows ({reasons})"
        return line


@dataclass(frozen=True)
class Column:
    name: str
    type: str


def ingest_inference_log(
    store: Store,
    source: str | Path | Iterable[Mapping[str, Any]] | pa.Table | pd.DataFrame,
    *,
    model: str | None = None,
) -> IngestResult:
    """Store the inference records of a JSONL, CSV or Parquet file, or of in-memory records.

    In memory, records are mappings (one per request), a pyarrow Table or a pandas DataFrame.

    ``model`` names the model for rows that do not name one (or for every row when the log has
    no model column).
    """
    if store.engine.dialect.name != "duckdb":
        raise StoreError(
            f"ingesting inference logs needs a DuckDB store, not {store.engine.dialect.name}; "
            "point MODELPILOT_STORE_URL at a DuckDB file"
        )
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        label, arrow_table = str(path), None
        file_format = _file_format(path)
    elif isinstance(source, pa.Table):
        label, file_format, path, arrow_table = "records", "records", None, source
    elif isinstance(source, pd.DataFrame):
        label, file_format, path = "records", "records", None
        arrow_table = pa.Table.from_pandas(source, preserve_index=False)
    else:
        label, file_format, path = "records", "records", None
        arrow_table = _records_table(source)

    with store.connection() as connection:
        conn: duckdb.DuckDBPyConnection = connection.connection.driver_connection  # type: ignore[assignment]
        # On an error the store closes this connection, and its temporary tables with it.
        rejected = _stage_raw(conn, file_format, path, arrow_table)
        result = _insert(conn, label, model, rejected)
        result.unknown_models = _unknown_models(connection, list(result.models))
        for table in ("_ingest_raw", "_ingest_staged"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    log.info("%s", result.summary)
    return result


def _file_format(path: Path) -> str:
    if not path.is_file():
        raise InvalidInputError(f"no inference log at {str(path)!r}; check the path")
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise InvalidInputError(
            f"cannot ingest {path.name!r}: use a .jsonl, .json, .csv or .parquet file"
        )
    if path.stat().st_size == 0:
        raise InvalidInputError(f"the inference log {str(path)!r} is empty")
    return file_format


def _records_table(records: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = [dict(r) for r in records]
    if not rows:
        raise InvalidInputError("no inference records given; pass at least one record")
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInputError(
            f"the inference records do not share one type per field: {exc}; "
            "give each field the same type in every record"
        ) from exc


def _stage_raw(
    conn: duckdb.DuckDBPyConnection,
    file_format: str,
    path: Path | None,
    arrow_table: pa.Table | None,
) -> int:
    """Create the temporary table ``_ingest_raw``; return the number of rejected CSV rows."""
    if arrow_table is not None:
        conn.register("_ingest_source", arrow_table)
        conn.execute("CREATE TEMP TABLE _ingest_raw AS SELECT * FROM _ingest_source")
        conn.unregister("_ingest_source")
        return 0
    assert path is not None
    literal = quote_literal(str(path))
    readers = {
        # ignore_errors turns a malformed line into a row of NULLs, counted below as malformed.
        "jsonl": f"read_json({literal}, format='newline_delimited', ignore_errors=true, "
        "sample_size=-1)",
        "json": f"read_json({literal}, format='auto', ignore_errors=true, sample_size=-1)",
        "csv": f"read_csv({literal}, header=true, store_rejects=true, "
        "rejects_table='_ingest_rejects', rejects_scan='_ingest_reject_scans')",
        "parquet": f"read_parquet({literal})",
    }
    try:
        conn.execute(f"CREATE TEMP TABLE _ingest_raw AS SELECT * FROM {readers[file_format]}")
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"cannot read {str(path)!r} as {file_format}: {_first_line(exc)}"
        ) from exc
    if file_format != "csv":
        return 0
    row = conn.execute("SELECT count(DISTINCT line) FROM _ingest_rejects").fetchone()
    conn.execute("DROP TABLE IF EXISTS _ingest_rejects")
    conn.execute("DROP TABLE IF EXISTS _ingest_reject_scans")
    return int(row[0]) if row else 0


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _describe(conn: duckdb.DuckDBPyConnection, relation: str) -> list[Column]:
    return [Column(str(r[0]), str(r[1])) for r in conn.execute(f"DESCRIBE {relation}").fetchall()]


def _map_columns(columns: list[Column]) -> tuple[dict[str, Column], list[Column]]:
    """Split the raw columns into the recognised fields and the feature columns."""
    by_lower = {c.name.lower(): c for c in columns}
    fields: dict[str, Column] = {}
    for field_name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_lower:
                fields[field_name] = by_lower[alias]
                break
    used = {c.name for c in fields.values()}
    features = [c for c in columns if c.name not in used and c.name.lower() not in NOT_FEATURES]
    return fields, features


def _is_numeric(sql_type: str) -> bool:
    return sql_type.upper().startswith(_NUMERIC_TYPES)


def _text(expression: str, sql_type: str) -> str:
    """Return SQL that renders a value as text; integral numbers lose their '.0'."""
    upper = sql_type.upper()
    if upper == "JSON":
        return f"({expression} ->> '$')"
    if _is_numeric(upper):
        return (
            f"CASE WHEN CAST({expression} AS DOUBLE) = floor(CAST({expression} AS DOUBLE)) "
            f"AND abs(CAST({expression} AS DOUBLE)) < 9e15 "
            f"THEN CAST(CAST({expression} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({expression} AS VARCHAR) END"
        )
    if upper.startswith(("STRUCT", "MAP")) or upper.endswith("[]"):
        return f"CAST(to_json({expression}) AS VARCHAR)"
    return f"CAST({expression} AS VARCHAR)"


def _number(expression: str, sql_type: str) -> str:
    if sql_type.upper() == "JSON":
        return f"TRY_CAST(({expression} ->> '$') AS DOUBLE)"
    return f"TRY_CAST({expression} AS DOUBLE)"


def _timestamp(expression: str, sql_type: str) -> str:
    """Return SQL for a TIMESTAMPTZ; text without an offset and naive timestamps are UTC."""
    upper = sql_type.upper()
    if upper == "TIMESTAMP WITH TIME ZONE":
        return expression
    if upper.startswith(("TIMESTAMP", "DATE")):
        return f"timezone('UTC', CAST({expression} AS TIMESTAMP))"
    if _is_numeric(upper):
        # Epoch seconds, or milliseconds when the number is too large to be seconds.
        seconds = f"CAST({expression} AS DOUBLE)"
        return f"to_timestamp(CASE WHEN {seconds} > 1e11 THEN {seconds} / 1000 ELSE {seconds} END)"
    value = f"trim({_text(expression, sql_type)})"
    epoch = _timestamp(f"TRY_CAST({value} AS DOUBLE)", "DOUBLE")
    return (
        f"CASE WHEN regexp_full_match({value}, '[0-9]+(\\.[0-9]+)?') THEN {epoch} "
        f"WHEN regexp_matches({value}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') "
        f"THEN TRY_CAST({value} AS TIMESTAMPTZ) "
        f"ELSE timezone('UTC', TRY_CAST({value} AS TIMESTAMP)) END"
    )


def _status(expression: str, sql_type: str) -> str:
    value = f"lower(trim({_text(expression, sql_type)}))"
    ok = ", ".join(quote_literal(s) for s in OK_STATUSES)
    errors = ", ".join(quote_literal(s) for s in ERROR_STATUSES)
    return (
        f"CASE WHEN {value} IS NULL OR {value} IN ({ok}) THEN 'ok' "
        f"WHEN {value} IN ({errors}) THEN 'error' "
        f"WHEN TRY_CAST({value} AS INTEGER) >= 400 THEN 'error' "
        f"ELSE {value} END"
    )


@dataclass(frozen=True)
class FeatureColumn:
    name: str  # the feature's name as stored
    expression: str  # SQL over _ingest_raw
    sql_type: str


def _feature_columns(fields: dict[str, Column], features: list[Column]) -> list[FeatureColumn]:
    result: dict[str, FeatureColumn] = {}
    nested = fields.get("features")
    if nested is not None and nested.type.upper().startswith("STRUCT"):
        for name, sql_type in _struct_fields(nested.type):
            expression = f"{quote_identifier(nested.name)}.{quote_identifier(name)}"
            result[name] = FeatureColumn(name, expression, sql_type)
    for column in features:
        result.setdefault(
            column.name, FeatureColumn(column.name, quote_identifier(column.name), column.type)
        )
    return list(result.values())


def _struct_fields(sql_type: str) -> list[tuple[str, str]]:
    """Parse ``STRUCT(a DOUBLE, "b c" VARCHAR, d STRUCT(...))`` into (name, type) pairs."""
    inner = sql_type[sql_type.index("(") + 1 : sql_type.rindex(")")]
    parts, depth, current = [], 0, ""
    for char in inner:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    pairs = []
    for part in parts:
        if part.startswith('"'):
            end = part.index('"', 1)
            while end + 1 < len(part) and part[end + 1] == '"':
                end = part.index('"', end + 2)
            name, rest = part[1:end].replace('""', '"'), part[end + 1 :].strip()
        else:
            name, _, rest = part.partition(" ")
        pairs.append((name, rest.strip()))
    return pairs


def _parse_json_features(conn: duckdb.DuckDBPyConnection, column: Column) -> Column:
    """Turn a ``features`` column of JSON text (CSV, or a JSON map) into a STRUCT column."""
    quoted = quote_identifier(column.name)
    row = conn.execute(
        f"SELECT json_group_structure(TRY_CAST({quoted} AS JSON)) FROM _ingest_raw"
    ).fetchone()
    structure = str(row[0]) if row and row[0] is not None else ""
    if not structure.startswith("{"):
        raise InvalidInputError(
            f'the {column.name!r} column must hold JSON objects such as {{"amount": 12.5}}'
        )
    conn.execute(
        "CREATE TEMP TABLE _ingest_parsed AS SELECT * REPLACE "
        f"(from_json(TRY_CAST({quoted} AS JSON), {quote_literal(structure)}) AS {quoted}) "
        "FROM _ingest_raw"
    )
    conn.execute("DROP TABLE _ingest_raw")
    conn.execute("ALTER TABLE _ingest_parsed RENAME TO _ingest_raw")
    return next(c for c in _describe(conn, "_ingest_raw") if c.name == column.name)


def _insert(
    conn: duckdb.DuckDBPyConnection, label: str, default_model: str | None, rejected: int
) -> IngestResult:
    result = IngestResult(source=label)
    raw_columns = _describe(conn, "_ingest_raw")
    _require_readable_rows(conn, raw_columns, label, rejected)
    fields, feature_columns = _map_columns(raw_columns)
    nested = fields.get("features")
    if nested is not None and not nested.type.upper().startswith("STRUCT"):
        fields["features"] = _parse_json_features(conn, nested)
    _require(fields, default_model, label)
    features = _feature_columns(fields, feature_columns)

    model = _model_expression(fields.get("model"), default_model)
    timestamp = _timestamp(quote_identifier(fields["timestamp"].name), fields["timestamp"].type)
    select = [
        "nextval('inference_record_id_seq') AS id",
        f"{timestamp} AS timestamp",
        f"{model} AS model_name",
        _optional(
            fields,
            "version",
            lambda e, t: f"TRY_CAST(regexp_replace({_text(e, t)}, '^[vV]', '') AS BIGINT)",
        ),
        _optional(fields, "latency_ms", _number),
        _optional(fields, "status", _status, default="'ok'"),
        _optional(fields, "prediction", _text),
        _optional(fields, "confidence", _number),
        _optional(fields, "label", _text),
    ]
    for index, feature in enumerate(features):
        number = (
            _number(feature.expression, feature.sql_type)
            if _is_numeric(feature.sql_type)
            else "NULL"
        )
        string = (
            "NULL" if _is_numeric(feature.sql_type) else _text(feature.expression, feature.sql_type)
        )
        select.append(f"{number} AS n_{index}")
        select.append(f"{string} AS s_{index}")
    conn.execute(
        f"CREATE TEMP TABLE _ingest_staged AS SELECT {', '.join(select)} FROM _ingest_raw "
        f"WHERE {timestamp} IS NOT NULL AND {model} IS NOT NULL"
    )

    _count_skipped(conn, result, fields, timestamp, model, rejected)
    _count_invalid(conn, result, fields)
    conn.execute(
        "INSERT INTO inference_record (id, model_name, version, timestamp, latency_ms, status, "
        "prediction, confidence, label, source) SELECT id, model_name, version, timestamp, "
        f"latency_ms, status, prediction, confidence, label, {quote_literal(label)} "
        "FROM _ingest_staged"
    )
    if features:
        parts = [
            f"SELECT id, {quote_literal(f.name)} AS name, n_{i} AS num_value, s_{i} AS str_value "
            f"FROM _ingest_staged WHERE n_{i} IS NOT NULL OR s_{i} IS NOT NULL"
            for i, f in enumerate(features)
        ]
        inserted = conn.execute(
            "INSERT INTO inference_feature (record_id, name, num_value, str_value) "
            + " UNION ALL ".join(parts)
        ).fetchone()
        result.feature_values = int(inserted[0]) if inserted else 0
    result.features = [f.name for f in features]
    _summarise(conn, result)
    return result


def _require_readable_rows(
    conn: duckdb.DuckDBPyConnection, columns: list[Column], label: str, rejected: int
) -> None:
    all_null = " AND ".join(f"{quote_identifier(c.name)} IS NULL" for c in columns)
    row = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {all_null}) FROM _ingest_raw"
    ).fetchone()
    total, malformed = (int(row[0]), int(row[1])) if row else (0, 0)
    if total == malformed:
        raise InvalidInputError(
            f"no inference records could be read from {label}: {malformed + rejected} "
            "malformed rows; check that it is a JSONL, CSV or Parquet inference log"
        )


def _require(fields: dict[str, Column], default_model: str | None, label: str) -> None:
    if "timestamp" not in fields:
        raise InvalidInputError(
            f"{label} has no timestamp column; name one of: {', '.join(ALIASES['timestamp'])}"
        )
    if "model" not in fields and not default_model:
        raise InvalidInputError(
            f"{label} has no model column; add one or give the model with --model NAME"
        )


def _model_expression(column: Column | None, default_model: str | None) -> str:
    default = quote_literal(default_model) if default_model else "NULL"
    if column is None:
        return default
    value = f"NULLIF(trim({_text(quote_identifier(column.name), column.type)}), '')"
    return f"COALESCE({value}, {default})"


def _optional(
    fields: dict[str, Column],
    field_name: str,
    render: Any,
    default: str = "NULL",
) -> str:
    column = fields.get(field_name)
    if column is None:
        return f"{default} AS {field_name}"
    return f"{render(quote_identifier(column.name), column.type)} AS {field_name}"


def _count_skipped(
    conn: duckdb.DuckDBPyConnection,
    result: IngestResult,
    fields: dict[str, Column],
    timestamp: str,
    model: str,
    rejected: int,
) -> None:
    columns = [quote_identifier(c.name) for c in _describe(conn, "_ingest_raw")]
    all_null = " AND ".join(f"{c} IS NULL" for c in columns)
    row = conn.execute(
        f"SELECT count(*) FILTER (WHERE {all_null}), "
        f"count(*) FILTER (WHERE NOT ({all_null}) AND {timestamp} IS NULL), "
        f"count(*) FILTER (WHERE NOT ({all_null}) AND {timestamp} IS NOT NULL "
        f"AND {model} IS NULL) FROM _ingest_raw"
    ).fetchone()
    assert row is not None
    reasons = {
        "malformed": int(row[0]) + rejected,
        "without a valid timestamp": int(row[1]),
        "without a model": int(row[2]),
    }
    result.skipped_reasons = {reason: n for reason, n in reasons.items() if n}
    result.skipped = sum(result.skipped_reasons.values())


def _count_invalid(
    conn: duckdb.DuckDBPyConnection, result: IngestResult, fields: dict[str, Column]
) -> None:
    """Count values of numeric fields that were present but not numbers (stored as empty)."""
    checks = []
    for field_name in ("latency_ms", "confidence"):
        column = fields.get(field_name)
        if column is not None and not _is_numeric(column.type):
            quoted = quote_identifier(column.name)
            checks.append(
                (
                    field_name,
                    f"count(*) FILTER (WHERE {quoted} IS NOT NULL AND "
                    f"{_number(quoted, column.type)} IS NULL)",
                )
            )
    if not checks:
        return
    row = conn.execute(f"SELECT {', '.join(c[1] for c in checks)} FROM _ingest_raw").fetchone()
    assert row is not None
    result.invalid_values = {name: int(n) for (name, _), n in zip(checks, row, strict=True) if n}


def _summarise(conn: duckdb.DuckDBPyConnection, result: IngestResult) -> None:
    rows = conn.execute(
        "SELECT model_name, count(*), min(timestamp), max(timestamp) FROM _ingest_staged "
        "GROUP BY model_name"
    ).fetchall()
    result.models = {str(r[0]): int(r[1]) for r in rows}
    result.records = sum(result.models.values())
    starts = [ensure_utc(r[2]) for r in rows if r[2] is not None]
    ends = [ensure_utc(r[3]) for r in rows if r[3] is not None]
    result.first = min(starts) if starts else None
    result.last = max(ends) if ends else None
    if result.records == 0:
        raise InvalidInputError(
            f"no inference records could be read from {result.source}: "
            f"{result.skipped} rows were skipped "
            f"({', '.join(f'{n} {r}' for r, n in result.skipped_reasons.items()) or 'no rows'})"
        )


def _unknown_models(connection: Any, models: list[str]) -> list[str]:
    if not models:
        return []
    known = {r[0] for r in connection.execute(text("SELECT name FROM registered_model")).fetchall()}
    return sorted(m for m in models if m not in known)
