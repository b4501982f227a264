"""The store: schema version, DOUBLE metrics, aware UTC times, and several processes at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from tools.errors import SchemaVersionError
from tools.store.db import Store, open_store
from tools.store.schema import MetricPoint, Run, StoreMeta


def test_new_store_records_schema_version() -> None:
    store = open_store()
    assert store.schema_version() >= 1


def test_other_schema_version_is_refused(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    store = Store(url, hold_s=0)
    with store.session() as session:
        meta = session.get(StoreMeta, "schema_version")
        meta.value = "999"
        session.add(meta)
    reopened = Store(url, hold_s=0)
    with pytest.raises(SchemaVersionError) as error, reopened.session():
        pass
    assert "schema version 999" in str(error.value)
    assert "MODELPILOT_HOME" in str(error.value)


def test_metric_values_keep_double_precision() -> None:
    store = open_store()
    with store.session() as session:
        session.add(MetricPoint(run_id="r", key="loss", value=0.123456789012345, step=1))
    with store.session() as session:
        value = session.exec(select(MetricPoint.value)).one()
    assert value == 0.123456789012345


def test_times_come_back_aware_utc() -> None:
    store = open_store()
    started = datetime(2026, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=8)))
    with store.session() as session:
        session.add(Run(id="r1", experiment_id="e", start_time=started))
    with store.session() as session:
        run = session.get(Run, "r1")
    assert run.start_time.tzinfo is not None
    assert run.start_time.utcoffset() == timedelta(0)
    assert run.start_time == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)


def test_failed_transaction_writes_nothing() -> None:
    store = open_store()
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(Run(id="half", experiment_id="e"))
        session.flush()
        raise RuntimeError("boom")
    with store.session() as session:
        assert session.get(Run, "half") is None


WRITER = textwrap.dedent(
    """
    import sys
    from tools.store.db import Store
    from tools.store.schema import Run, MetricPoint
    from sqlmodel import select, func
    store = Store(sys.argv[1], lock_timeout_s=60, hold_s=0.05)
    worker = sys.argv[2]
    for index in range(int(sys.argv[3])):
        with store.session() as session:
            session.add(Run(id=f"{worker}-{index}", experiment_id="e", name=worker))
            point = MetricPoint(run_id=f"{worker}-{index}", key="acc", value=index / 10, step=index)
            session.add(point)
        with store.session() as session:
            session.exec(select(func.count()).select_from(Run)).one()
    print("ok")
    """
)


def test_concurrent_processes_lose_no_write(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'shared.duckdb'}"
    with Store(url, hold_s=0).session():
        pass  # create the schema before the race
    writes = 15
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"w{worker}", str(writes)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        for worker in range(3)
    ]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "lock" not in err.lower()
        assert out.strip() == "ok"
    store = Store(url, hold_s=0)
    with store.connection() as connection:
        runs = connection.execute(text("SELECT count(*) FROM run")).scalar_one()
        points = connection.execute(text("SELECT count(*) FROM metric_point")).scalar_one()
    assert runs == 3 * writes
    assert points == 3 * writes
    with store.session() as session:
        names = session.exec(select(Run.name, func.count()).group_by(Run.name)).all()
    assert sorted(names) == [("w0", writes), ("w1", writes), ("w2", writes)]
