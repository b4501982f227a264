"""Small helpers that turn numpy arrays into Arrow columns and bulk-insert them into DuckDB."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

DAY_US = 86_400_000_000
_names = itertools.count()


def hex_ids(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` random 32-digit hex ids, the shape of MLflow's run ids."""
    words = rng.integers(0, 2**63, size=(count, 2), dtype=np.int64)
    return [f"{high:016x}{low:016x}" for high, low in words.tolist()]


def timestamps(micros: np.ndarray) -> pa.Array:
    """Turn int64 microseconds since the epoch into an aware UTC timestamp column."""
    return pa.array(micros.astype(np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def nullable_timestamps(micros: np.ndarray, present: np.ndarray) -> pa.Array:
    values = pa.array(micros.astype(np.int64), type=pa.int64(), mask=~present)
    return values.cast(pa.timestamp("us", tz="UTC"))


def coded(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    """A text column stored as codes into ``labels``: cheap for long repeated values."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(labels), type=pa.string())
    )


def insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, pa.Array]) -> int:
    """Insert the columns into ``table`` in one statement; columns left out take defaults."""
    source = pa.table(columns)
    view = f"_bench_rows_{next(_names)}"
    con.register(view, source)
    try:
        names = ", ".join(f'"{name}"' for name in columns)
        con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM {view}')
    finally:
        con.unregister(view)
    return source.num_rows
