"""Opening the store and running short transactions on it.

DuckDB lets one process hold a database file at a time, and a connection pool would hold it
for the engine's lifetime. So a process opens a connection when it needs the store, keeps it
for a burst of operations, and closes it once it has been idle for ``hold_s`` seconds (opening
a DuckDB file costs tens of milliseconds, so one request that makes three small transactions
should open it once). A process that finds the file locked by another retries with backoff for
up to ``lock_timeout_s`` seconds. Inside one process a lock serialises store access, so threads
of the Slack bot or the console never conflict with each other.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, insert, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, select

from tools.errors import SchemaVersionError, StoreBusyError, StoreError
from tools.settings import Settings, get_settings
from tools.store import schema
from tools.store.schema import SCHEMA_VERSION, StoreMeta

log = logging.getLogger(__name__)

_LOCK_MARKERS = ("could not set lock", "conflicting lock", "database is locked")
_process_lock = threading.RLock()
_stores: dict[str, Store] = {}


def _is_lock_error(exc: BaseException) -> bool:
    message = str(exc).lower()
    return any(marker in message for marker in _LOCK_MARKERS)


class Store:
    """One metadata store, addressed by a SQLAlchemy URL."""

    def __init__(self, url: str, lock_timeout_s: float = 30.0, hold_s: float = 0.25) -> None:
        self.url = url
        self.lock_timeout_s = lock_timeout_s
        self.hold_s = hold_s
        self.engine: Engine = create_engine(url, poolclass=NullPool)
        self._schema_checked = False
        self._held: Connection | None = None
        self._last_used = 0.0
        self._closer: threading.Timer | None = None
        if url.startswith("duckdb:///") and url != "duckdb:///:memory:":
            Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> Connection:
        """Open a connection, retrying while another process holds the file."""
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                return self.engine.connect()
            except (OperationalError, DBAPIError) as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open the store at {self.url}: {exc.orig}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"the store at {self.url} stayed locked by another process for "
                        f"{self.lock_timeout_s:.0f} s; retry, or raise MODELPILOT_LOCK_TIMEOUT_S"
                    ) from exc
                log.debug("store locked by another process; retrying in %.2f s", delay)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Yield a connection inside one transaction, committed when the block succeeds."""
        with _process_lock:
            if self._held is None:
                self._held = self._connect()
            connection = self._held
            try:
                if not self._schema_checked:
                    # Its own transaction: a failing first operation must not undo the schema.
                    with connection.begin():
                        self._ensure_schema(connection)
                    self._schema_checked = True
                with connection.begin():
                    yield connection
            except BaseException:
                # A failed connection may be unusable; open a fresh one next time.
                self.release()
                raise
            finally:
                self._last_used = time.monotonic()
                self._schedule_release()

    def _schedule_release(self) -> None:
        if self.hold_s <= 0:
            self.release()
            return
        if self._closer is None or not self._closer.is_alive():
            self._closer = threading.Timer(self.hold_s, self._release_when_idle)
            self._closer.daemon = True
            self._closer.start()

    def _release_when_idle(self) -> None:
        with _process_lock:
            idle = time.monotonic() - self._last_used
            if idle >= self.hold_s:
                self.release()
            else:
                self._closer = threading.Timer(self.hold_s - idle, self._release_when_idle)
                self._closer.daemon = True
                self._closer.start()

    def release(self) -> None:
        """Close the held connection now, so another process can open the file."""
        with _process_lock:
            if self._held is not None:
                try:
                    self._held.close()
                finally:
                    self._held = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield an ORM session inside one transaction, committed when the block succeeds."""
        with self.connection() as connection:
            session = Session(bind=connection, expire_on_commit=False)
            try:
                yield session
                session.flush()
            finally:
                session.close()

    def insert_rows(
        self, connection: Connection, table: type[SQLModel], rows: Sequence[dict[str, Any]]
    ) -> None:
        """Bulk-insert plain dict rows in one statement, never one ORM object at a time.

        On DuckDB, large batches go through an Arrow table, which is about ten times faster
        than ``executemany``; other databases get ``executemany``.
        """
        if not rows:
            return
        sql_table = table.__table__  # type: ignore[attr-defined]
        if connection.dialect.name != "duckdb" or len(rows) < BULK_THRESHOLD:
            connection.execute(insert(sql_table), list(rows))
            return
        _insert_with_arrow(connection, sql_table, rows)

    def _ensure_schema(self, connection: Connection) -> None:
        inspector = inspect(connection)
        if not inspector.has_table(StoreMeta.__tablename__):
            SQLModel.metadata.create_all(connection, checkfirst=False)
            connection.execute(
                insert(StoreMeta.__table__).values(key="schema_version", value=str(SCHEMA_VERSION))  # type: ignore[attr-defined]
            )
            log.info("created a new store at %s (schema version %d)", self.url, SCHEMA_VERSION)
        else:
            found = connection.execute(
                select(StoreMeta.value).where(StoreMeta.key == "schema_version")
            ).scalar_one_or_none()
            if found != str(SCHEMA_VERSION):
                raise SchemaVersionError(
                    f"the store at {self.url} has schema version {found}, but this ModelPilot "
                    f"uses version {SCHEMA_VERSION}; open it with the matching ModelPilot "
                    "release or start a new workspace with MODELPILOT_HOME"
                )

    def schema_version(self) -> int:
        with self.connection() as connection:
            value = connection.execute(
                text("SELECT value FROM store_meta WHERE key = 'schema_version'")
            )
            return int(value.scalar_one())


# Below this many rows, the Arrow conversion costs more than it saves.
BULK_THRESHOLD = 200


def _insert_with_arrow(
    connection: Connection, sql_table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows through DuckDB's Arrow scan, applying each column type's bind conversion."""
    import pyarrow as pa

    names = list(dict.fromkeys(key for row in rows for key in row))
    columns: dict[str, list[Any]] = {}
    for name in names:
        column = sql_table.c[name]
        convert = column.type.bind_processor(connection.dialect)
        values = [row.get(name) for row in rows]
        columns[name] = [convert(v) for v in values] if convert else values
    batch = pa.table(columns)
    raw = connection.connection.driver_connection
    # duckdb-engine wraps the DuckDB connection; its ``register`` exposes the Arrow table.
    raw.register("_modelpilot_batch", batch)  # type: ignore[union-attr]
    try:
        column_list = ", ".join(f'"{name}"' for name in names)
        statement = f'INSERT INTO "{sql_table.name}" ({column_list}) SELECT {column_list}'
        connection.exec_driver_sql(f"{statement} FROM _modelpilot_batch")
    finally:
        raw.unregister("_modelpilot_batch")  # type: ignore[union-attr]


def release_all() -> None:
    """Close every held connection (before forking, or at the end of a command)."""
    for store in list(_stores.values()):
        store.release()


atexit.register(release_all)


def open_store(settings: Settings | None = None) -> Store:
    """Return the store for the settings' URL, one ``Store`` object per URL in a process."""
    settings = settings or get_settings()
    url = settings.resolved_store_url
    store = _stores.get(url)
    if store is None:
        store = Store(url, lock_timeout_s=settings.lock_timeout_s, hold_s=settings.lock_hold_s)
        _stores[url] = store
    return store


# Keep the table classes imported so ``SQLModel.metadata`` knows every table.
_TABLES = schema
