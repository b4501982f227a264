"""Registering every real third-party dataset in ../shared/realdata/datasets, quirks included."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.datasets import register
from tools.datasets.readers import format_of
from tools.store.db import Store

# The quirks that SOURCES.tsv lists for each file, as the findings that must report them.
EXPECTED_FINDINGS: dict[str, list[tuple[str, str | None]]] = {
    "ibm_telco_customer_churn.csv": [("blank_strings", "TotalCharges")],
    "ibm_telco_customer_churn.parquet": [("numeric_as_text", "TotalCharges")],
    "ulb_creditcard_fraud_undersampled_1722.csv": [
        ("unnamed_column", "column00"),
        ("index_column", "column00"),
    ],
    "uci_bank_marketing_kaggle_variant.csv": [("line_endings", None)],
    "uci_default_credit_card_clients_MESSY_cr_line_endings.csv": [
        ("line_endings", None),
        ("excel_scientific_numbers", None),
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"duckdb:///{tmp_path / 'store.duckdb'}")
    yield store
    store.release()


def _sources(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "SOURCES.tsv").open(encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if format_of(p) is not None)


def test_every_shared_dataset_registers(realdata: Path, store: Store) -> None:
    folder = realdata / "datasets"
    sources = _sources(folder)
    files = _data_files(folder)
    assert len(files) >= 8

    for path in files:
        registration = register(store, path, path.name, source="third-party")
        version = registration.version
        assert registration.created, path.name
        assert version.version == 1
        assert version.row_count and version.row_count > 0, path.name
        listed = sources.get(path.name)
        if listed is not None:
            assert version.row_count == int(listed["rows"]), path.name
            assert len(version.columns or []) == int(listed["cols"]), path.name
        found = {(f["check"], f.get("column")) for f in version.quality or []}
        for check, column in EXPECTED_FINDINGS.get(path.name, []):
            matches = [pair for pair in found if pair[0] == check]
            assert matches, f"{path.name}: no {check} finding in {sorted(found)}"
            if column is not None:
                assert (check, column) in found, f"{path.name}: {check} not on {column}"


def test_telco_csv_types_and_blank_count(realdata: Path, store: Store) -> None:
    version = register(
        store, realdata / "datasets" / "ibm_telco_customer_churn.csv", "telco"
    ).version
    types = {c["name"]: c["type"] for c in version.columns or []}
    blank = next(f for f in version.quality or [] if f["check"] == "blank_strings")
    profile = (version.profile or {})["columns"]["TotalCharges"]

    assert types["TotalCharges"] == "DOUBLE"
    assert types["SeniorCitizen"] == "BIGINT"
    assert types["Churn"] == "VARCHAR"
    assert blank["value"] == 11
    assert profile["missing"] == 11


def test_creditcard_profile_matches_pandas(realdata: Path, store: Store) -> None:
    import pandas as pd

    path = realdata / "datasets" / "ulb_creditcard_fraud_undersampled_1722.csv"
    version = register(store, path, "card-fraud").version
    frame = pd.read_csv(path)
    amount = (version.profile or {})["columns"]["Amount"]
    labels = {
        t["value"]: t["count"] for t in (version.profile or {})["columns"]["Class"]["top_values"]
    }

    assert amount["mean"] == pytest.approx(frame["Amount"].mean())
    assert amount["std"] == pytest.approx(frame["Amount"].std())
    assert amount["max"] == pytest.approx(frame["Amount"].max())
    assert sum(amount["histogram"]["counts"]) == len(frame)
    assert labels == {"0": 1230, "1": 492}


def test_bank_crlf_is_info_not_warning(realdata: Path, store: Store) -> None:
    path = realdata / "datasets" / "uci_bank_marketing_kaggle_variant.csv"
    version = register(store, path, "bank").version
    endings = [f for f in version.quality or [] if f["check"] == "line_endings"]

    assert [(f["severity"], f["value"]) for f in endings] == [("info", "CRLF")]
