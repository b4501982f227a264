"""Quoting helpers for SQL that is built from column names and values found in user files."""

from __future__ import annotations

import math


def quote_identifier(name: str) -> str:
    """Return ``name`` as a double-quoted SQL identifier, safe for any column name."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Return ``value`` as a single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def float_literal(value: float) -> str:
    """Return a finite float as a DOUBLE literal that round-trips exactly."""
    if not math.isfinite(value):
        raise ValueError(f"cannot write the non-finite value {value!r} as a SQL literal")
    return f"CAST({value!r} AS DOUBLE)"
