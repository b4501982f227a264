"""Column types that keep DuckDB and SQLModel in step."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Double, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from tools.clock import ensure_utc

# A plain ``float`` maps to DuckDB's 32-bit FLOAT, which rounds metric values; DOUBLE keeps them.
DOUBLE: Double[float] = Double()


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ that always hands back aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else ensure_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else ensure_utc(value)


class JSONText(TypeDecorator[Any]):
    """JSON kept as text: portable across DuckDB and PostgreSQL and readable in a SQL shell."""

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)
