"""Counting the SQL statements a call sends, to show a tool's cost does not grow with the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tools.store.db import Store


@contextmanager
def counted_statements(store: Store) -> Iterator[list[str]]:
    """Collect every SQL statement the store's engine sends inside the block."""
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(str(arguments[2]))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
