"""The MLflow side of the comparison: a SQLite tracking store holding the same runs.

MLflow's client creates the schema (its own migrations), then the rows are copied from the
benchmark's DuckDB store straight into MLflow's tables (experiments, experiment_tags, runs,
tags, params, metrics, latest_metrics) with ``executemany``. Logging 200,000 runs through
``MlflowClient`` makes one transaction per call and would take hours; the rows written here are
the ones those calls would write. Run ids are the same on both sides; experiments get MLflow's
integer ids; the run's task is the ``task`` tag; times are epoch milliseconds.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

FETCH_ROWS = 200_000
SQLITE_CACHE_KIB = 1_000_000
# Each copy reads rows in the order of the table's primary key, so SQLite appends to its
# B-tree instead of splitting pages all over it.
_COPIES: tuple[tuple[str, str, str], ...] = (
    (
        "runs",
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
        "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
        "experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "SELECT r.id, r.name, 'LOCAL', r.source_name, '', r.user, r.status, "
        "epoch_ms(r.start_time), epoch_ms(r.end_time), r.source_version, r.lifecycle_stage, "
        "r.artifact_uri, e.number FROM run r JOIN _experiment_numbers e ON e.id = r.experiment_id "
        "ORDER BY r.id",
    ),
    (
        "tags",
        'INSERT INTO tags ("key", value, run_uuid) VALUES (?, ?, ?)',
        "SELECT key, value, run_id FROM run_tag "
        "UNION ALL SELECT 'mlflow.runName', name, id FROM run ORDER BY 1, 3",
    ),
    (
        "params",
        'INSERT INTO params ("key", value, run_uuid) VALUES (?, ?, ?)',
        "SELECT key, value, run_id FROM run_param ORDER BY key, run_id",
    ),
    (
        "latest_metrics",
        'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) '
        "VALUES (?, ?, ?, ?, 0, ?)",
        "SELECT key, value, epoch_ms(timestamp), step, run_id FROM latest_metric "
        "ORDER BY key, run_id",
    ),
    (
        "metrics",
        'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) '
        "VALUES (?, ?, ?, ?, ?, 0)",
        "SELECT key, value, epoch_ms(timestamp), run_id, step FROM metric_point "
        "ORDER BY key, timestamp, step, run_id",
    ),
)


@dataclass
class MlflowStore:
    path: Path
    load_s: float
    rows: dict[str, int]
    version: str

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.path}"

    def experiment_ids(self) -> list[str]:
        with sqlite3.connect(self.path) as con:
            return [str(row[0]) for row in con.execute("SELECT experiment_id FROM experiments")]

    def task_experiment_ids(self, task: str) -> list[str]:
        with sqlite3.connect(self.path) as con:
            rows = con.execute(
                "SELECT experiment_id FROM experiment_tags WHERE key = 'task' AND value = ?",
                (task,),
            )
            return [str(row[0]) for row in rows]


def unavailable_reason() -> str | None:
    """Return why MLflow's SQLite store cannot be used here, or None when it can."""
    try:
        import alembic  # noqa: F401
        import mlflow  # noqa: F401
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: F401
    except ImportError as exc:
        return f"MLflow's SQLite tracking store cannot be imported ({exc}); pip install alembic"
    return None


def load(store_path: Path, target: Path) -> MlflowStore:
    """Create an MLflow SQLite store at ``target`` and copy the tracking rows into it."""
    import mlflow
    from mlflow import MlflowClient

    started = time.perf_counter()
    if target.exists():
        target.unlink()
    # The first call creates MLflow's schema with its own migrations.
    MlflowClient(tracking_uri=f"sqlite:///{target}").search_experiments(max_results=1)
    source = duckdb.connect(str(store_path), read_only=True)
    sink = sqlite3.connect(target)
    try:
        sink.execute("PRAGMA journal_mode = OFF")
        sink.execute("PRAGMA synchronous = OFF")
        sink.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        source.execute("SET enable_progress_bar = false")
        # Secondary indexes are dropped during the copy and built again in one pass after it.
        indexes = _drop_indexes(sink, [table for table, _, _ in _COPIES])
        rows = {"experiments": _copy_experiments(source, sink)}
        for table, statement, query in _COPIES:
            rows[table] = _copy(source, sink, statement, query)
            log.info("copied %d rows into MLflow's %s table", rows[table], table)
        for statement in indexes:
            sink.execute(statement)
        sink.commit()
        sink.execute("ANALYZE")
    finally:
        sink.close()
        source.close()
    return MlflowStore(target, time.perf_counter() - started, rows, mlflow.__version__)


def _drop_indexes(sink: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Drop the named indexes (not the primary keys) of ``tables``; return their DDL."""
    marks = ", ".join("?" for _ in tables)
    found = sink.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    for name, _ in found:
        sink.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _copy_experiments(source: duckdb.DuckDBPyConnection, sink: sqlite3.Connection) -> int:
    source.execute(
        "CREATE TEMP TABLE _experiment_numbers AS "
        "SELECT id, task, name, row_number() OVER (ORDER BY created_at, id) AS number, "
        "epoch_ms(created_at) AS created, epoch_ms(coalesce(updated_at, created_at)) AS updated "
        "FROM experiment"
    )
    rows = source.execute(
        "SELECT number, name, 'file:///bench/mlruns/' || number, 'active', created, updated "
        "FROM _experiment_numbers"
    ).fetchall()
    sink.executemany(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    tags = source.execute(
        "SELECT 'task', task, number FROM _experiment_numbers WHERE task IS NOT NULL"
    ).fetchall()
    sink.executemany(
        'INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (?, ?, ?)', tags
    )
    return len(rows)


def _copy(
    source: duckdb.DuckDBPyConnection, sink: sqlite3.Connection, statement: str, query: str
) -> int:
    total = 0
    for batch in _batches(source, query):
        sink.executemany(statement, batch)
        total += len(batch)
    return total


def _batches(source: duckdb.DuckDBPyConnection, query: str) -> Iterator[list[Any]]:
    # Arrow batches turned into tuples column by column are about twice as fast as fetchmany.
    for batch in source.sql(query).to_arrow_reader(FETCH_ROWS):
        yield list(zip(*(column.to_pylist() for column in batch.columns), strict=True))
