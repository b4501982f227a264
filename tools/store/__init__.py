"""The metadata store: SQLModel tables on DuckDB, opened per operation."""

from tools.store.db import Store, open_store

__all__ = ["Store", "open_store"]
