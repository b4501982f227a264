"""Ingesting inference logs from JSONL, CSV, Parquet and Python records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import ui.cli
from tools.errors import InvalidInputError, ModelPilotError
from tools.monitoring.ingest import ingest_inference_log
from tools.store.db import Store, open_store


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_store()
    yield store
    store.release()


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(sql).fetchall()]


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_with_features_object(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [
            {
                "timestamp": "2026-03-01T10:00:00Z",
                "model": "fraud-detector",
                "version": "v3",
                "latency_ms": 12.5,
                "status": "ok",
                "prediction": 1,
                "confidence": 0.91,
                "features": {"amount": 120.5, "country": "DE"},
            },
            {
                "timestamp": "2026-03-01T12:30:00+02:00",
                "model": "fraud-detector",
                "version": 3,
                "latency_ms": 30,
                "status": "FAILED",
                "prediction": 0,
                "label": 0,
                "features": {"amount": 8.0},
            },
        ],
    )

    result = ingest_inference_log(store, path)

    assert (result.records, result.feature_values, result.skipped) == (2, 3, 0)
    assert result.features == ["amount", "country"]
    assert result.unknown_models == ["fraud-detector"]
    stored = rows(
        store,
        "SELECT version, latency_ms, status, prediction, label, "
        "strftime(timezone('UTC', timestamp), '%H:%M') FROM inference_record ORDER BY timestamp",
    )
    assert stored == [(3, 12.5, "ok", "1", None, "10:00"), (3, 30.0, "error", "0", "0", "10:30")]
    features = rows(store, "SELECT name, num_value, str_value FROM inference_feature ORDER BY 1, 2")
    assert features == [("amount", 8.0, None), ("amount", 120.5, None), ("country", None, "DE")]


def test_malformed_lines_are_skipped_and_counted(tmp_path: Path, store: Store) -> None:
    good = {"timestamp": "2026-03-01T10:00:00Z", "model": "m", "latency_ms": 5}
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [
            good,
            '{"timestamp": "2026-03-01T10:01:00Z", "model": "m", "latency',
            "not json",
            good,
            {"timestamp": "yesterday", "model": "m"},
            {"timestamp": "2026-03-01T10:02:00Z"},
        ],
    )

    result = ingest_inference_log(store, path)

    assert result.records == 2
    assert result.skipped_reasons == {
        "malformed": 2,
        "without a valid timestamp": 1,
        "without a model": 1,
    }
    assert result.skipped == 4
    assert "skipped 4 rows" in result.summary


def test_csv_with_feature_columns_and_bad_row(tmp_path: Path, store: Store) -> None:
    text = (
        "ts,model_name,latency,status,score,amount,segment\n"
        "2026-03-01 10:00:00,churn,40,ok,0.8,10.5,retail\n"
        "2026-03-01 10:05:00,churn,fast,ok,0.7,11.0,business\n"
        "2026-03-01 10:06:00,churn,41,ok,0.7,11.0,business,extra\n"
        "1772359560,churn,42,500,0.6,,retail\n"
    )
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")

    result = ingest_inference_log(store, path)

    assert result.records == 3
    assert result.skipped_reasons == {"malformed": 1}
    assert result.invalid_values == {"latency_ms": 1}
    statuses = rows(store, "SELECT status, latency_ms FROM inference_record ORDER BY timestamp")
    assert statuses == [("ok", 40.0), ("ok", None), ("error", 42.0)]
    assert rows(store, "SELECT count(*) FROM inference_feature WHERE name = 'amount'") == [(2,)]


def test_parquet_with_default_model(tmp_path: Path, store: Store) -> None:
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-03-01", periods=50, freq="min", tz="UTC"),
            "latency_ms": range(50),
            "pixel_0": [0.5] * 50,
        }
    )
    frame.to_parquet(tmp_path / "log.parquet")

    result = ingest_inference_log(store, tmp_path / "log.parquet", model="image-classifier")

    assert result.models == {"image-classifier": 50}
    assert result.feature_values == 50


def test_records_and_dataframe(store: Store) -> None:
    records = [
        {"timestamp": "2026-03-01T10:00:00", "model": "m", "features": {"x": 1.0}},
        {"timestamp": "2026-03-01T11:00:00", "model": "m", "features": {"x": 2.0, "y": "a"}},
    ]
    frame = pd.DataFrame({"timestamp": ["2026-03-01T12:00:00Z"], "model": ["m"], "x": [3.0]})

    first = ingest_inference_log(store, records)
    second = ingest_inference_log(store, frame)

    assert (first.records, first.feature_values) == (2, 3)
    assert (second.records, second.feature_values) == (1, 1)
    assert rows(store, "SELECT count(DISTINCT id) FROM inference_record") == [(3,)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"model": "m", "latency_ms": 3}\n', "has no timestamp column"),
        ('{"timestamp": "2026-03-01T10:00:00Z", "latency_ms": 3}\n', "has no model column"),
        ("garbage\nmore garbage\n", "no inference records could be read"),
    ],
)
def test_unusable_logs_raise_one_line(
    tmp_path: Path, store: Store, content: str, expected: str
) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(InvalidInputError) as raised:
        ingest_inference_log(store, path)

    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)
    assert rows(store, "SELECT count(*) FROM inference_record") == [(0,)]


def test_records_with_conflicting_types(store: Store) -> None:
    records = [
        {"timestamp": "2026-03-01T10:00:00Z", "model": "m", "features": {"x": 1.0}},
        {"timestamp": "2026-03-01T10:00:00Z", "model": "m", "features": {"x": {"nested": 1}}},
    ]

    with pytest.raises(InvalidInputError, match="do not share one type per field"):
        ingest_inference_log(store, records)


def test_cli_ingest(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [{"timestamp": "2026-03-01T10:00:00Z", "latency_ms": 5, "amount": 3}, "{broken"],
    )

    result = CliRunner().invoke(ui.cli.app, ["monitor", "ingest", str(path), "--model", "m"])

    assert result.exit_code == 0, result.output
    assert "ingested 1 inference records" in result.output
    assert "skipped 1 rows (1 malformed)" in result.output


def test_cli_ingest_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(ui.cli.app, ["monitor", "ingest", str(tmp_path / "absent.jsonl")])

    assert result.exit_code == 1
    assert isinstance(result.exception, ModelPilotError)
    assert "no inference log at" in str(result.exception)
