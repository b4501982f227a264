"""Drift statistics and per-feature drift of inference data against a reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import distance

from tools.datasets import link_run_dataset, register
from tools.monitoring import drift
from tools.monitoring.feature_drift import FeatureDrift, compute_drift
from tools.monitoring.health import evaluate_model_health
from tools.monitoring.ingest import ingest_inference_log
from tools.monitoring.metrics import Window, duckdb_connection
from tools.monitoring.policy import get_policy, set_policy
from tools.store.db import Store, open_store
from tools.store.schema import Experiment, ModelVersion, RegisteredModel, Run

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = Window(NOW - timedelta(hours=24), NOW)


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_store()
    yield store
    store.release()


def training_frame(rng: np.random.Generator, size: int = 5000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": rng.normal(100.0, 20.0, size),
            "velocity": rng.normal(0.0, 1.0, size),
            "channel": rng.choice(["web", "app", "pos"], size, p=[0.5, 0.3, 0.2]),
            "is_fraud": rng.integers(0, 2, size),
        }
    )


def add_model_trained_on(store: Store, tmp_path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(tmp_path / "train.csv", index=False)
    version = register(store, tmp_path / "train.csv", "fraud-train", split="train").version
    with store.session() as session:
        session.add(Experiment(id="exp-1", name="fraud"))
        session.add(Run(id="run-1", experiment_id="exp-1", name="train-v1"))
        session.add(RegisteredModel(name="fraud-detector"))
        session.add(ModelVersion(model_name="fraud-detector", version=1, run_id="run-1"))
        link_run_dataset(session, "run-1", version.id, "training")


def traffic(
    rng: np.random.Generator,
    start: datetime,
    size: int,
    *,
    amount_shift_sd: float = 0.0,
    channel_p: tuple[float, float, float] = (0.5, 0.3, 0.2),
) -> pd.DataFrame:
    seconds = np.sort(rng.uniform(0, 24 * 3600 - 1, size))
    return pd.DataFrame(
        {
            "timestamp": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"),
            "model": "fraud-detector",
            "version": 1,
            "latency_ms": rng.gamma(2.0, 15.0, size),
            "confidence": rng.uniform(0.8, 1.0, size),
            "amount": rng.normal(100.0 + 20.0 * amount_shift_sd, 20.0, size),
            "velocity": rng.normal(0.0, 1.0, size),
            "channel": rng.choice(["web", "app", "pos"], size, p=list(channel_p)),
        }
    )


def drift_of(store: Store, window: Window = DAY) -> dict[str, FeatureDrift]:
    with store.session() as session:
        policy = get_policy(session, "fraud-detector")
        report = compute_drift(
            session, duckdb_connection(session.connection()), "fraud-detector", window, policy
        )
    return {f.feature: f for f in report.features}


# --- the statistics ------------------------------------------------------------------------------


def test_js_distance_matches_scipy() -> None:
    reference, current = [10, 40, 30, 20], [25, 25, 25, 25]

    ours = drift.jensen_shannon(reference, current)

    assert ours == pytest.approx(distance.jensenshannon(reference, current))


def test_psi_known_value() -> None:
    # Shares 0.5/0.5 against 0.25/0.75: 0.25 ln 2 + 0.25 ln(2/3) -> 0.0719.
    value = drift.psi([50, 50], [25, 75])

    assert value == pytest.approx(0.25 * np.log(2) + 0.25 * np.log(1.5), rel=1e-9)


def test_categorical_statistics() -> None:
    reference, current = [500, 300, 200], [300, 300, 400]

    assert drift.l_infinity(reference, current) == pytest.approx(0.2)
    assert drift.chi_squared_pvalue(reference, current) < 1e-10
    assert drift.chi_squared_pvalue(reference, [50, 30, 20]) == pytest.approx(1.0)


def test_estimated_cdf_handles_ties() -> None:
    flags = [0.0] * 15 + [1.0] * 6

    assert drift.estimated_cdf(flags, 0.0) == pytest.approx(0.7)
    assert drift.estimated_cdf(flags, 0.5) == pytest.approx(0.7 + 0.05 * 0.5)
    assert drift.estimated_cdf(flags, 1.0) == 1.0
    assert drift.estimated_cdf(list(np.linspace(0, 20, 21)), 5.0) == pytest.approx(0.25)


# --- drift of inference data ---------------------------------------------------------------------


def test_mean_shift_of_one_sd_is_flagged(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(11)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    ingest_inference_log(store, traffic(rng, DAY.start, 2000, amount_shift_sd=1.0))

    features = drift_of(store)

    amount = features["amount"]
    assert amount.method == "psi"
    assert amount.psi is not None and amount.psi > 0.5
    assert amount.drifted
    assert amount.status == "drifted"
    assert amount.current_mean == pytest.approx(120.0, abs=2.0)
    assert not features["velocity"].drifted
    assert features["velocity"].psi is not None and features["velocity"].psi < 0.05
    assert features["channel"].method == "l_infinity"
    assert not features["channel"].drifted


def test_unshifted_sample_raises_no_alert(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(12)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    ingest_inference_log(store, traffic(rng, DAY.start, 2000))

    evaluation = evaluate_model_health(store, "fraud-detector", NOW, actions=False)

    drift_report = evaluation.report.drift
    assert drift_report is not None
    assert drift_report.reference_kind == "dataset"
    assert "fraud-train v1 (training data of fraud-detector v1)" in drift_report.reference
    assert drift_report.drifted == []
    assert all((f.psi or 0.0) < 0.1 for f in drift_report.features if f.kind == "numeric")
    assert evaluation.opened == []
    assert next(c for c in evaluation.report.checks if c.rule == "drift").status == "ok"


def test_shifted_sample_opens_drift_alert(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(13)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    ingest_inference_log(store, traffic(rng, DAY.start, 2000, amount_shift_sd=1.0))

    evaluation = evaluate_model_health(store, "fraud-detector", NOW, actions=False)

    check = next(c for c in evaluation.report.checks if c.rule == "drift")
    assert check.status == "firing"
    assert "amount (psi" in check.message
    assert len(evaluation.opened) == 1


def test_categorical_shift_by_l_infinity_and_chi_squared(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(14)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    ingest_inference_log(store, traffic(rng, DAY.start, 2000, channel_p=(0.3, 0.3, 0.4)))

    by_l_infinity = drift_of(store)["channel"]
    with store.session() as session:
        set_policy(session, "fraud-detector", {"categorical_drift_method": "chi_squared"})
    by_chi_squared = drift_of(store)["channel"]

    assert by_l_infinity.l_infinity == pytest.approx(0.2, abs=0.04)
    assert by_l_infinity.drifted
    assert by_chi_squared.method == "chi_squared"
    assert by_chi_squared.score is not None and by_chi_squared.score < 0.05
    assert by_chi_squared.drifted


def test_baseline_window_without_lineage(store: Store) -> None:
    rng = np.random.default_rng(15)
    before = traffic(rng, DAY.start - timedelta(days=3), 3000)
    now = traffic(rng, DAY.start, 1500, amount_shift_sd=1.0)
    ingest_inference_log(store, pd.concat([before, now]))

    features = drift_of(store)

    assert features["amount"].drifted
    assert not features["velocity"].drifted
    assert features["amount"].reference_count == 3000


def test_too_few_values_are_not_judged(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(16)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    ingest_inference_log(store, traffic(rng, DAY.start, 40, amount_shift_sd=3.0))

    amount = drift_of(store)["amount"]

    assert amount.status == "insufficient_data"
    assert not amount.drifted
    assert amount.score is None


def test_feature_missing_from_reference(tmp_path: Path, store: Store) -> None:
    rng = np.random.default_rng(17)
    add_model_trained_on(store, tmp_path, training_frame(rng))
    frame = traffic(rng, DAY.start, 300)
    frame["new_signal"] = 1.0
    ingest_inference_log(store, frame)

    assert drift_of(store)["new_signal"].status == "not_in_reference"
