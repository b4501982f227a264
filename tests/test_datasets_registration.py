"""Registering dataset versions from generated files: formats, quirks, versions and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest

from tools.datasets import register, register_dataset
from tools.errors import InvalidInputError
from tools.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"duckdb:///{tmp_path / 'store.duckdb'}")
    yield store
    store.release()


def findings(version: Any, check: str) -> list[dict[str, Any]]:
    return [f for f in version.quality or [] if f["check"] == check]


def column_types(version: Any) -> dict[str, str]:
    return {c["name"]: c["type"] for c in version.columns or []}


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- formats -----------------------------------------------------------------------------------


def write_hdf5(path: Path) -> Path:
    rng = np.random.default_rng(3)
    with h5py.File(path, "w") as handle:
        train = handle.create_group("train")
        train["amount"] = rng.gamma(2.0, 30.0, 400)
        train["merchant"] = np.array([b"grocery", b"travel", b"online", b"fuel"] * 100)
        train["is_fraud"] = rng.integers(0, 2, 400)
        records = np.zeros(50, dtype=[("x", "f8"), ("y", "i8")])
        records["x"] = np.linspace(0.0, 1.0, 50)
        records["y"] = np.arange(50)
        handle.create_group("extra")["records"] = records
    return path


def test_hdf5_table_by_key(tmp_path: Path, store: Store) -> None:
    path = write_hdf5(tmp_path / "transactions.h5")

    version = register(store, f"{path}#/train", "transactions").version

    assert version.format == "hdf5"
    assert version.row_count == 400
    assert column_types(version) == {
        "amount": "DOUBLE",
        "merchant": "VARCHAR",
        "is_fraud": "BIGINT",
    }
    merchants = {t["value"] for t in (version.profile or {})["columns"]["merchant"]["top_values"]}
    assert merchants == {"grocery", "travel", "online", "fuel"}
    assert version.path == f"{path}#/train"


def test_hdf5_compound_dataset(tmp_path: Path, store: Store) -> None:
    path = write_hdf5(tmp_path / "transactions.h5")

    version = register(store, f"{path}#extra/records", "records").version

    assert version.row_count == 50
    assert column_types(version) == {"x": "DOUBLE", "y": "BIGINT"}


def test_hdf5_with_several_tables_needs_key(tmp_path: Path, store: Store) -> None:
    path = write_hdf5(tmp_path / "transactions.h5")

    with pytest.raises(InvalidInputError) as raised:
        register(store, path, "transactions")

    message = str(raised.value)
    assert "contains 2 tables (/extra/records, /train)" in message
    assert "\n" not in message


def test_parquet_and_folder_of_csv(tmp_path: Path, store: Store) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    frame.to_parquet(tmp_path / "one.parquet")
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.to_csv(folder / "part-1.csv", index=False)
    frame.to_csv(folder / "part-2.csv", index=False)

    parquet = register(store, tmp_path / "one.parquet", "one").version
    parts = register(store, folder, "parts").version

    assert (parquet.format, parquet.row_count) == ("parquet", 3)
    assert (parts.format, parts.row_count) == ("csv", 6)
    assert findings(parts, "duplicate_rows")[0]["value"] == 3


# --- messy CSV files ---------------------------------------------------------------------------


def test_cr_only_file_with_excel_numbers(tmp_path: Path, store: Store) -> None:
    rows = ["ID,LIMIT_BAL,AGE,SEX", "1,20000,24,2", "2,1.20E+05,26,2", "3,90000,34,1"]
    rows += ["4,5.00E+04,37,1", "5, ,57,1"]
    path = write_bytes(tmp_path / "credit.csv", "\r".join(rows).encode())

    version = register(store, path, "credit").version

    assert version.row_count == 5
    assert column_types(version)["LIMIT_BAL"] == "BIGINT"
    endings = findings(version, "line_endings")
    assert [(f["severity"], f["value"]) for f in endings] == [("warning", "CR")]
    excel = findings(version, "excel_scientific_numbers")
    assert [(f["column"], f["value"]) for f in excel] == [("LIMIT_BAL", 2)]
    blanks = findings(version, "blank_strings")
    assert [(f["column"], f["value"]) for f in blanks] == [("LIMIT_BAL", 1)]
    assert (version.profile or {})["columns"]["LIMIT_BAL"]["max"] == 120000


def test_bom_is_removed_from_first_column(tmp_path: Path, store: Store) -> None:
    path = write_bytes(tmp_path / "bom.csv", b"\xef\xbb\xbfcustomer,score\nA,1\nB,2\n")

    version = register(store, path, "bom").version

    assert [c["name"] for c in version.columns or []] == ["customer", "score"]
    assert findings(version, "byte_order_mark")[0]["severity"] == "info"


def test_unnamed_index_column_is_reported(tmp_path: Path, store: Store) -> None:
    frame = pd.DataFrame({"x": [0.5, 1.5, 2.5], "label": ["a", "b", "a"]})
    frame.to_csv(tmp_path / "indexed.csv")

    version = register(store, tmp_path / "indexed.csv", "indexed").version

    index = findings(version, "index_column")
    assert [(f["column"], f["value"]) for f in index] == [("column0", 3)]


def test_malformed_rows_are_counted(tmp_path: Path, store: Store) -> None:
    text = "a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n11,12\n13,14,15\n"
    path = write_bytes(tmp_path / "ragged.csv", text.encode())

    version = register(store, path, "ragged").version

    malformed = findings(version, "malformed_rows")
    assert [f["value"] for f in malformed] == [2]
    assert version.row_count == 3


def test_mixed_and_leading_zero_columns(tmp_path: Path, store: Store) -> None:
    values = [str(i) for i in range(20)] + ["n/a!", "unknown"]
    frame = pd.DataFrame({"score": values, "zip": ["01234"] * 22, "amount": range(22)})
    frame.to_csv(tmp_path / "mixed.csv", index=False)

    version = register(store, tmp_path / "mixed.csv", "mixed").version
    types = column_types(version)

    assert types == {"score": "VARCHAR", "zip": "VARCHAR", "amount": "BIGINT"}
    mixed = findings(version, "mixed_types")
    assert [(f["column"], f["value"]) for f in mixed] == [("score", 2)]
    assert "'n/a!'" in mixed[0]["message"]
    assert findings(version, "constant_column")[0]["column"] == "zip"


def test_latin1_file_is_read(tmp_path: Path, store: Store) -> None:
    path = write_bytes(tmp_path / "latin.csv", "name,n\ncaf\xe9,1\nna\xefve,2\n".encode("latin-1"))

    version = register(store, path, "latin").version

    names = {t["value"] for t in (version.profile or {})["columns"]["name"]["top_values"]}
    assert names == {"café", "naïve"}
    assert findings(version, "encoding")[0]["value"] == "latin-1"


def test_missing_values_and_configured_range(tmp_path: Path, store: Store) -> None:
    frame = pd.DataFrame({"age": [25, 31, None, 140, 52, None, 47, 38, 29, 61]})
    frame.to_csv(tmp_path / "ages.csv", index=False)

    registration = register(
        store, tmp_path / "ages.csv", "ages", expected_ranges={"age": (0.0, 120.0)}
    )
    version = registration.version

    missing = findings(version, "missing_values")
    assert [(f["severity"], f["value"]) for f in missing] == [("warning", 0.2)]
    assert [f["value"] for f in findings(version, "out_of_range")] == [1]


# --- versions ----------------------------------------------------------------------------------


def test_identical_content_is_a_no_op(tmp_path: Path, store: Store) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "first.csv", index=False)
    frame.to_csv(tmp_path / "copy.csv", index=False)

    first = register(store, tmp_path / "first.csv", "pairs", split="train")
    again = register(store, tmp_path / "first.csv", "pairs")
    copy = register(store, tmp_path / "copy.csv", "pairs")

    assert first.created
    assert not again.created
    assert not copy.created
    assert again.version.id == first.version.id == copy.version.id
    assert again.message == "dataset pairs already has this content as v1; nothing was registered"


def test_changed_content_is_next_version_with_schema_changes(tmp_path: Path, store: Store) -> None:
    pd.DataFrame({"id": [1, 2, 3], "amount": [5.0, 7.5, 9.0], "city": ["a", "b", "c"]}).to_csv(
        tmp_path / "v1.csv", index=False
    )
    v2 = pd.DataFrame({"id": ["x1", "x2", "x3"], "amount": [-5.0, 7.5, 9.0], "segment": [1, 2, 3]})
    v2.to_csv(tmp_path / "v2.csv", index=False)

    first = register_dataset(store, tmp_path / "v1.csv", "orders")
    second = register(store, tmp_path / "v2.csv", "orders")

    assert first.version == 1
    assert second.created
    assert (second.version.version, second.previous_version) == (2, 1)
    changes = {(f["column"], f["value"]) for f in findings(second.version, "schema_change")}
    assert changes == {("city", "removed"), ("segment", "added"), ("id", "retyped")}
    negative = findings(second.version, "out_of_range")
    assert [(f["column"], f["value"]) for f in negative] == [("amount", 1)]


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make_path", "expected"),
    [
        ("orders", lambda tmp: tmp / "absent.csv", "no file or folder at"),
        ("orders", lambda tmp: write_bytes(tmp / "notes.docx", b"x"), "is not a CSV, Parquet"),
        ("orders", lambda tmp: write_bytes(tmp / "empty.csv", b""), "is empty"),
        ("bad name!", lambda tmp: write_bytes(tmp / "ok.csv", b"a\n1\n"), "invalid dataset name"),
        ("orders", lambda tmp: write_bytes(tmp / "x.parquet", b"not parquet"), "as Parquet"),
    ],
)
def test_errors_are_one_line(
    tmp_path: Path, store: Store, name: str, make_path: Any, expected: str
) -> None:
    path = make_path(tmp_path)

    with pytest.raises(InvalidInputError) as raised:
        register(store, path, name)

    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_invalid_split(tmp_path: Path, store: Store) -> None:
    path = write_bytes(tmp_path / "ok.csv", b"a\n1\n")

    with pytest.raises(InvalidInputError, match="invalid split 'training'"):
        register(store, path, "ok", split="training")
