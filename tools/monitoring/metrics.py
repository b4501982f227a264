"""Serving metrics of a model over a time window, computed in DuckDB.

Latency percentiles use ``quantile_cont`` (linear interpolation between the two nearest
values, like numpy's default ``percentile``). A request counts as failed when its status is
anything but ``ok``. Accuracy counts only the requests that have a label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import duckdb
from sqlalchemy import Connection

from tools.clock import ensure_utc
from tools.errors import InvalidInputError, StoreError

Granularity = Literal["hour", "day"]
GRANULARITIES: tuple[str, ...] = ("hour", "day", "auto")
# "auto" picks hourly points for windows up to this long, daily points beyond.
AUTO_HOURLY_MAX = timedelta(days=3)


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end)."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass
class WindowStats:
    """Volume, latency, errors, confidence and accuracy of one model in one window."""

    requests: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_mean_ms: float | None = None
    confidence_mean: float | None = None
    labelled: int = 0
    accuracy: float | None = None
    versions: dict[int, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True)
class SeriesPoint:
    bucket: datetime
    requests: int
    errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    confidence_mean: float | None


def duckdb_connection(connection: Connection) -> duckdb.DuckDBPyConnection:
    """Return the DuckDB connection under a SQLAlchemy connection of the store."""
    if connection.dialect.name != "duckdb":
        raise StoreError(
            f"monitoring queries need a DuckDB store, not {connection.dialect.name}; "
            "point MODELPILOT_STORE_URL at a DuckDB file"
        )
    return connection.connection.driver_connection  # type: ignore[return-value]


_WHERE = "model_name = ? AND timestamp >= ? AND timestamp < ?"


def window_stats(conn: duckdb.DuckDBPyConnection, model: str, window: Window) -> WindowStats:
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE status <> 'ok'), "
        "quantile_cont(latency_ms, [0.5, 0.95, 0.99]), avg(latency_ms), avg(confidence), "
        "count(*) FILTER (WHERE label IS NOT NULL AND prediction IS NOT NULL), "
        "avg(CASE WHEN label = prediction THEN 1.0 ELSE 0.0 END) "
        "FILTER (WHERE label IS NOT NULL AND prediction IS NOT NULL) "
        f"FROM inference_record WHERE {_WHERE}",
        [model, window.start, window.end],
    ).fetchone()
    assert row is not None
    quantiles = row[2] or [None, None, None]
    stats = WindowStats(
        requests=int(row[0]),
        errors=int(row[1]),
        latency_p50_ms=_float(quantiles[0]),
        latency_p95_ms=_float(quantiles[1]),
        latency_p99_ms=_float(quantiles[2]),
        latency_mean_ms=_float(row[3]),
        confidence_mean=_float(row[4]),
        labelled=int(row[5]),
        accuracy=_float(row[6]),
    )
    stats.versions = traffic_by_version(conn, model, window)
    return stats


def traffic_by_version(
    conn: duckdb.DuckDBPyConnection, model: str, window: Window
) -> dict[int, int]:
    """Return the requests per model version in the window, busiest first (then newest)."""
    rows = conn.execute(
        f"SELECT version, count(*) FROM inference_record WHERE {_WHERE} AND version IS NOT NULL "
        "GROUP BY version ORDER BY 2 DESC, 1 DESC",
        [model, window.start, window.end],
    ).fetchall()
    return {int(version): int(count) for version, count in rows}


def resolve_granularity(granularity: str | None, window: Window) -> Granularity:
    if granularity in (None, "", "auto"):
        return "hour" if window.end - window.start <= AUTO_HOURLY_MAX else "day"
    if granularity not in ("hour", "day"):
        raise InvalidInputError(
            f"invalid granularity {granularity!r}; use one of {', '.join(GRANULARITIES)}"
        )
    return granularity  # type: ignore[return-value]


def series(
    conn: duckdb.DuckDBPyConnection, model: str, window: Window, granularity: Granularity
) -> list[SeriesPoint]:
    """Return one point per hour or day (UTC) that had requests, oldest first."""
    rows = conn.execute(
        f"SELECT date_trunc('{granularity}', timezone('UTC', timestamp)) AS bucket, count(*), "
        "count(*) FILTER (WHERE status <> 'ok'), quantile_cont(latency_ms, [0.5, 0.95, 0.99]), "
        f"avg(confidence) FROM inference_record WHERE {_WHERE} GROUP BY bucket ORDER BY bucket",
        [model, window.start, window.end],
    ).fetchall()
    points = []
    for bucket, requests, errors, quantiles, confidence in rows:
        quantiles = quantiles or [None, None, None]
        points.append(
            SeriesPoint(
                bucket=_utc(bucket),
                requests=int(requests),
                errors=int(errors),
                latency_p50_ms=_float(quantiles[0]),
                latency_p95_ms=_float(quantiles[1]),
                latency_p99_ms=_float(quantiles[2]),
                confidence_mean=_float(confidence),
            )
        )
    return points


def monitored_models(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute("SELECT DISTINCT model_name FROM inference_record ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def last_record_time(conn: duckdb.DuckDBPyConnection, model: str) -> datetime | None:
    row = conn.execute(
        "SELECT max(timestamp) FROM inference_record WHERE model_name = ?", [model]
    ).fetchone()
    return ensure_utc(row[0]) if row and row[0] is not None else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
