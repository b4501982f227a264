"""Drift reference lineage for every model version in one query, and bin counts in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session

from tests.factories import add_experiment, add_model_version, add_run
from tests.statements import counted_statements
from tools.datasets import link_run_dataset
from tools.governance import Actor, Governor
from tools.monitoring.ingest import ingest_inference_log
from tools.monitoring.reference import lineage_dataset, training_dataset_by_version
from tools.store.db import Store, open_store
from tools.store.schema import DatasetVersion, Pipeline, PipelineRun

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
VIEWER = Actor("vic", "test")
AMOUNT_EDGES = [10.0, 20.0, 30.0]
AMOUNT_COUNTS = [100, 200, 300, 400]


@dataclass
class Lineage:
    """The dataset version ids of the scenario, by dataset name and version."""

    store: Store
    datasets: dict[str, str]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MODELPILOT_NOW", NOW.isoformat())
    store = open_store()
    yield store
    store.release()


def add_dataset_version(
    session: Session, name: str, version: int, created_at: datetime
) -> DatasetVersion:
    profile = {
        "columns": {
            "amount": {
                "kind": "numeric",
                "mean": 25.0,
                "histogram": {"counts": AMOUNT_COUNTS, "edges": AMOUNT_EDGES},
            }
        }
    }
    dataset_version = DatasetVersion(
        dataset_name=name,
        version=version,
        content_hash=f"{name}-{version}",
        created_at=created_at,
        profile=profile,
    )
    session.add(dataset_version)
    session.flush()
    return dataset_version


def add_pipeline_run(
    session: Session,
    pipeline: str,
    model_version: int,
    dataset_version_id: str | None,
    created_at: datetime,
) -> None:
    session.add(
        PipelineRun(
            pipeline_name=pipeline,
            status="succeeded",
            dataset_version_id=dataset_version_id,
            model_version=model_version,
            created_at=created_at,
        )
    )


@pytest.fixture
def lineage(store: Store) -> Lineage:
    """Versions of fraud-detector and churn-predictor with every kind of lineage and none.

    fraud-detector v1 and v2 trained on linked datasets and v3 through its pipeline. v4 has
    only an evaluation link, and v5 has no run. v6 has both a run link and a pipeline run.
    v7's two training datasets were created at the same instant. v9 was never registered, but
    a pipeline run names it. churn-predictor's pipeline also built a v3, later than fraud's.
    """
    experiment = add_experiment(store, "fraud", task="fraud-detection")
    run_ids = {
        number: add_run(store, experiment, f"train-v{number}", T0, {"accuracy": 0.9})
        for number in (1, 2, 3, 4, 6, 7)
    }
    churn_run = add_run(store, experiment, "churn-v1", T0, {"accuracy": 0.8})
    for number in (1, 2, 3, 4, 6, 7):
        add_model_version(store, "fraud-detector", number, run_ids[number])
    add_model_version(store, "fraud-detector", 5, None)
    add_model_version(store, "churn-predictor", 1, churn_run)
    add_model_version(store, "churn-predictor", 3, None)

    with store.session() as session:
        created = {
            "train-1": add_dataset_version(session, "fraud-train", 1, T0),
            "train-2": add_dataset_version(session, "fraud-train", 2, T0 + timedelta(days=1)),
            "train-3": add_dataset_version(session, "fraud-train", 3, T0 + timedelta(days=2)),
            "eval-1": add_dataset_version(session, "fraud-eval", 1, T0 + timedelta(days=5)),
            "extra-1": add_dataset_version(session, "fraud-extra", 1, T0 + timedelta(days=3)),
            "extra-2": add_dataset_version(session, "fraud-extra", 2, T0 + timedelta(days=3)),
            "churn-1": add_dataset_version(session, "churn-train", 1, T0),
        }
        ids = {key: version.id for key, version in created.items()}
        for number, key, context in (
            (1, "train-1", "training"),
            (2, "train-1", "training"),
            (2, "train-2", "training"),
            (2, "eval-1", "evaluation"),
            (4, "eval-1", "evaluation"),
            (6, "train-1", "training"),
            (7, "extra-1", "training"),
            (7, "extra-2", "training"),
        ):
            link_run_dataset(session, run_ids[number], ids[key], context)
        link_run_dataset(session, churn_run, ids["churn-1"], "training")

        session.add(Pipeline(name="fraud-retrain", model_name="fraud-detector"))
        session.add(Pipeline(name="churn-retrain", model_name="churn-predictor"))
        day = timedelta(days=1)
        add_pipeline_run(session, "fraud-retrain", 3, ids["train-1"], T0 + 10 * day)
        add_pipeline_run(session, "fraud-retrain", 3, ids["train-3"], T0 + 11 * day)
        add_pipeline_run(session, "fraud-retrain", 3, None, T0 + 12 * day)
        add_pipeline_run(session, "fraud-retrain", 3, "no-such-dataset-version", T0 + 13 * day)
        add_pipeline_run(session, "fraud-retrain", 6, ids["train-3"], T0 + 14 * day)
        add_pipeline_run(session, "fraud-retrain", 9, ids["train-2"], T0 + 15 * day)
        add_pipeline_run(session, "churn-retrain", 3, ids["churn-1"], T0 + 20 * day)
    return Lineage(store, ids)


def test_lineage_map_covers_every_version(lineage: Lineage) -> None:
    ids = lineage.datasets

    with lineage.store.session() as session:
        fraud = training_dataset_by_version(session, "fraud-detector")
        churn = training_dataset_by_version(session, "churn-predictor")

    assert fraud == {
        1: ids["train-1"],
        2: ids["train-2"],
        3: ids["train-3"],
        6: ids["train-1"],
        7: min(ids["extra-1"], ids["extra-2"]),
        9: ids["train-2"],
    }
    assert churn == {1: ids["churn-1"], 3: ids["churn-1"]}


def test_other_model_pipeline_ignored(lineage: Lineage) -> None:
    # churn-retrain's v3 is the newest pipeline run naming version 3, but it built churn.
    with lineage.store.session() as session:
        found = lineage_dataset(session, "fraud-detector", [3])

    assert found is not None
    assert (found[0].id, found[1]) == (lineage.datasets["train-3"], 3)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([4, 5, 3, 1], ("train-3", 3)),
        ([5, 2, 1], ("train-2", 2)),
        ([6], ("train-1", 6)),
        ([8, 9], ("train-2", 9)),
        ([4, 5, 8], None),
        ([], None),
    ],
)
def test_lineage_follows_candidate_order(
    lineage: Lineage, candidates: list[int], expected: tuple[str, int] | None
) -> None:
    with lineage.store.session() as session:
        found = lineage_dataset(session, "fraud-detector", candidates)

    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0].id, found[1]) == (lineage.datasets[expected[0]], expected[1])


def traffic(versions: dict[int, int], amounts: np.ndarray) -> pd.DataFrame:
    """Requests of fraud-detector in the last day: ``versions`` maps version to request count."""
    numbers = [number for number, count in versions.items() for _ in range(count)]
    seconds = np.linspace(3600, 20 * 3600, len(numbers))
    return pd.DataFrame(
        {
            "timestamp": pd.Timestamp(NOW - timedelta(hours=21)) + pd.to_timedelta(seconds, "s"),
            "model": "fraud-detector",
            "version": numbers,
            "latency_ms": 20.0,
            "confidence": 0.9,
            "amount": amounts[: len(numbers)],
        }
    )


def drift_report(arguments: dict[str, Any]) -> dict[str, Any]:
    outcome = Governor().invoke("drift_report", arguments, VIEWER)
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return outcome.result


def test_report_uses_busiest_version_with_lineage(lineage: Lineage) -> None:
    rng = np.random.default_rng(5)
    # Values on the edges check that bins are right-closed. The non-finite ones are skipped.
    amounts = np.concatenate([[10.0, 20.0, 30.0, np.inf, np.nan], rng.uniform(0.0, 40.0, 295)])
    ingest_inference_log(lineage.store, traffic({4: 150, 2: 100, 1: 50}, amounts))

    report = drift_report({"model": "fraud-detector", "period": "last 24 hours"})

    assert report["reference_kind"] == "dataset"
    assert report["reference"] == "dataset fraud-train v2 (training data of fraud-detector v2)"
    amount = next(f for f in report["features"] if f["feature"] == "amount")
    finite = amounts[np.isfinite(amounts)]
    counts = np.bincount(np.searchsorted(AMOUNT_EDGES, finite, side="left"), minlength=4)
    assert amount["current_count"] == len(finite)
    assert amount["current_shares"] == pytest.approx(counts / counts.sum(), abs=1e-6)
    assert amount["reference_shares"] == pytest.approx(
        np.array(AMOUNT_COUNTS) / sum(AMOUNT_COUNTS), abs=1e-6
    )
    assert amount["bins"] == ["<= 10", "10..20", "20..30", "> 30"]


def test_report_falls_back_newest_version(lineage: Lineage) -> None:
    # v4 and v5 served every request but have no lineage, so v7, the newest version, follows.
    amounts = np.random.default_rng(6).uniform(0.0, 40.0, 200)
    ingest_inference_log(lineage.store, traffic({4: 120, 5: 80}, amounts))

    report = drift_report({"model": "fraud-detector", "period": "last 24 hours"})

    first = min(("extra-1", 1), ("extra-2", 2), key=lambda item: lineage.datasets[item[0]])
    expected = f"dataset fraud-extra v{first[1]} (training data of fraud-detector v7)"
    assert report["reference"] == expected


def test_report_without_lineage_uses_baseline_window(store: Store) -> None:
    add_model_version(store, "fraud-detector", 1, None)
    amounts = np.random.default_rng(7).uniform(0.0, 40.0, 200)
    ingest_inference_log(store, traffic({1: 200}, amounts))

    report = drift_report({"model": "fraud-detector", "period": "last 24 hours"})

    assert report["reference_kind"] == "baseline_window"


def count_statements(store: Store, arguments: dict[str, Any]) -> int:
    with counted_statements(store) as statements:
        drift_report(arguments)
    return len(statements)


def test_statements_constant_across_versions(lineage: Lineage) -> None:
    amounts = np.random.default_rng(8).uniform(0.0, 40.0, 200)
    ingest_inference_log(lineage.store, traffic({4: 120, 5: 80}, amounts))
    arguments = {"model": "fraud-detector", "period": "last 24 hours"}
    before = count_statements(lineage.store, arguments)

    for number in range(10, 40):
        add_model_version(lineage.store, "fraud-detector", number, None)
    after = count_statements(lineage.store, arguments)

    assert drift_report(arguments)["reference_kind"] == "dataset"
    assert after == before
