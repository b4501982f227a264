"""Inference traffic for the demo's deployed models over the last 45 days, with two incidents.

Each model serves a daily and weekly rhythm of requests. Feature values are drawn from the
profile of the dataset version the model was trained on (through lineage), so drift checks
against the training data are quiet unless something changes. Two things do:
- the fraud model's inputs drift during the last 10 days (its two drift features move up by 0.3
  of their interquartile range over two days) and its confidence falls;
- the image classifier gets about 2.8 times slower during the last 14 days.
Alerts are then evaluated every two days over the last two weeks, without notifications or
retraining, so the workspace shows alerts that opened when each incident began.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import select

from tools.datasets.lineage import training_dataset_versions
from tools.monitoring.health import evaluate_model_health
from tools.monitoring.ingest import ingest_inference_log
from tools.monitoring.policy import set_policy
from tools.store.db import Store
from tools.store.schema import ModelVersion, Pipeline

log = logging.getLogger(__name__)

DAYS = 45
REQUESTS_PER_HOUR = 24.0
DRIFT_DAYS = 10
DRIFT_SHIFT_IQR = 0.3
LATENCY_SPIKE_DAYS = 14
LATENCY_SPIKE_FACTOR = 2.8
MAX_FEATURES = 12
LABELLED_SHARE = 0.3
EVALUATION_DAYS = 14
# Columns that name the target or an index are never served as features.
NOT_FEATURES = {"target", "label", "class", "churn", "deposit", "y", "column00", "column0"}
MEDIAN_LATENCY_MS = {"fraud": 35.0, "image": 60.0, "churn": 45.0}
DEFAULT_MEDIAN_LATENCY_MS = 25.0
IMAGE_WORDS = ("image", "digit", "vision", "mnist")


def _is_fraud(model: str) -> bool:
    return "fraud" in model.lower()


def _is_image(model: str) -> bool:
    return any(word in model.lower() for word in IMAGE_WORDS)


def _median_latency(model: str) -> float:
    for word, median in MEDIAN_LATENCY_MS.items():
        if word in model.lower() or (word == "image" and _is_image(model)):
            return median
    return DEFAULT_MEDIAN_LATENCY_MS


def _training_profile(store: Store, model: str, version: int) -> dict[str, Any] | None:
    with store.session() as session:
        model_version = session.exec(
            select(ModelVersion).where(
                ModelVersion.model_name == model, ModelVersion.version == version
            )
        ).first()
        if model_version is None or not model_version.run_id:
            return None
        found = training_dataset_versions(session, model_version.run_id)
        return found[0].profile if found else None


def _feature_columns(profile: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not profile:
        return {}
    chosen: dict[str, dict[str, Any]] = {}
    for name, column in profile.get("columns", {}).items():
        if name.lower() in NOT_FEATURES or len(chosen) >= MAX_FEATURES:
            continue
        if (column.get("kind") == "numeric" and column.get("histogram")) or (
            column.get("kind") in ("categorical", "boolean") and column.get("top_values")
        ):
            chosen[name] = column
    return chosen


def _sample_numeric(column: dict[str, Any], size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw values whose bins follow the training histogram, uniform inside each bin."""
    top = column.get("top_values") or []
    if top and column.get("other_count", 1) == 0:
        values = np.array([float(t["value"]) for t in top])
        weights = np.array([t["count"] for t in top], dtype=float)
        return rng.choice(values, size=size, p=weights / weights.sum())
    edges = list(column["histogram"]["edges"])
    counts = np.array(column["histogram"]["counts"], dtype=float)
    low = column["min"] if column.get("min") is not None else edges[0]
    high = column["max"] if column.get("max") is not None else edges[-1]
    bounds = [float(low), *edges, float(high)]
    bins = rng.choice(len(counts), size=size, p=counts / counts.sum())
    lower, upper = np.array(bounds[:-1])[bins], np.array(bounds[1:])[bins]
    return lower + rng.random(size) * np.maximum(upper - lower, 0.0)


def _sample_categorical(column: dict[str, Any], size: int, rng: np.random.Generator) -> np.ndarray:
    values = [str(t["value"]) for t in column["top_values"]]
    weights = np.array([t["count"] for t in column["top_values"]], dtype=float)
    return rng.choice(values, size=size, p=weights / weights.sum())


def _timestamps(now: datetime, rng: np.random.Generator) -> pd.DatetimeIndex:
    """Request times over the last DAYS days: busier by day and on weekdays."""
    start = pd.Timestamp(now).floor("h") - pd.Timedelta(days=DAYS)
    hours = pd.date_range(start, periods=DAYS * 24, freq="h")
    daily = 1.0 + 0.6 * np.sin(2 * np.pi * (hours.hour.to_numpy() - 8) / 24)
    weekly = np.where(hours.day_of_week.to_numpy() >= 5, 0.6, 1.0)
    counts = rng.poisson(REQUESTS_PER_HOUR * daily * weekly)
    offsets = rng.random(counts.sum()) * 3600
    starts = np.repeat(hours.to_numpy(), counts)
    times = pd.DatetimeIndex(starts) + pd.to_timedelta(offsets, unit="s")
    return times[times < pd.Timestamp(now)]


def _ramp(times: pd.DatetimeIndex, start: datetime, days: float) -> np.ndarray:
    """Return 0 before ``start``, rising linearly to 1 over ``days`` days."""
    elapsed = (times - pd.Timestamp(start)).total_seconds().to_numpy() / 86400
    return np.clip(elapsed / days, 0.0, 1.0)


def traffic(
    model: str,
    version: int,
    now: datetime,
    profile: dict[str, Any] | None,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Build one model's inference log as a DataFrame with one feature per column."""
    times = _timestamps(now, rng)
    size = len(times)
    frame = pd.DataFrame({"timestamp": times, "model": model})
    # The previous version served until the deployment 25 days ago.
    switched = times >= pd.Timestamp(now - timedelta(days=25))
    frame["version"] = np.where(switched | (version <= 1), version, version - 1)

    latency = rng.lognormal(np.log(_median_latency(model)), 0.3, size)
    if _is_image(model):
        latency *= 1 + (LATENCY_SPIKE_FACTOR - 1) * _ramp(
            times, now - timedelta(days=LATENCY_SPIKE_DAYS), 0.5
        )
    frame["latency_ms"] = latency.round(1)
    frame["status"] = np.where(rng.random(size) < 0.004, "error", "ok")

    drift = _ramp(times, now - timedelta(days=DRIFT_DAYS), 2.0) if _is_fraud(model) else None
    confidence = rng.beta(18, 2.5, size)
    if drift is not None:
        confidence = confidence - 0.3 * drift * rng.random(size)
    frame["confidence"] = confidence.clip(0.5, 1.0).round(4)
    frame["prediction"] = rng.integers(0, 2 if _is_fraud(model) else 3, size).astype(str)
    correct = rng.random(size) < np.where(drift is not None and drift.any(), 0.9, 0.93)
    labelled = (rng.random(size) < LABELLED_SHARE) & (times < pd.Timestamp(now - timedelta(days=3)))
    frame["label"] = np.where(labelled, np.where(correct, frame["prediction"], "x"), None)

    columns = _feature_columns(profile)
    numeric = [n for n, c in columns.items() if c.get("kind") == "numeric"]
    drifting = _drift_features(numeric) if drift is not None else []
    for name, column in columns.items():
        if column.get("kind") == "numeric":
            values = _sample_numeric(column, size, rng)
            if name in drifting and drift is not None:
                values = values + DRIFT_SHIFT_IQR * drift * _shift(column)
            frame[name] = values
        else:
            frame[name] = _sample_categorical(column, size, rng)
    if not columns:
        frame["feature_1"] = rng.normal(0, 1, size)
        frame["feature_2"] = rng.gamma(2.0, 10.0, size)
        frame["segment"] = rng.choice(["retail", "business", "premium"], size, p=[0.6, 0.3, 0.1])
    return frame


def _drift_features(numeric: list[str]) -> list[str]:
    preferred = [n for n in numeric if n.lower() in ("amount", "velocity_24h")]
    return (preferred + [n for n in numeric if n not in preferred])[:2]


def _shift(column: dict[str, Any]) -> float:
    """Return the drift's size for a column: its interquartile range, robust to long tails."""
    percentiles = column.get("percentiles") or []
    if len(percentiles) == 21 and None not in (percentiles[5], percentiles[15]):
        spread = float(percentiles[15]) - float(percentiles[5])
        if spread > 0:
            return spread
    return float(column.get("std") or 1.0)


def _policies(store: Store, deployed: dict[str, int]) -> None:
    with store.session() as session:
        for model in deployed:
            changes: dict[str, object] = {}
            if _is_image(model):
                changes["latency_p95_ms"] = 150.0
            if _is_fraud(model):
                pipeline = session.exec(
                    select(Pipeline).where(Pipeline.model_name == model)
                ).first()
                if pipeline is not None:
                    changes.update(on_alert="retrain", retrain_pipeline=pipeline.name)
            if changes:
                set_policy(session, model, changes, actor="demo")


def seed_monitoring(store: Store, now: datetime, deployed: dict[str, int]) -> None:
    """Ingest 45 days of traffic for each deployed model and evaluate its alerts."""
    rng = np.random.default_rng(45)
    for model, version in sorted(deployed.items()):
        profile = _training_profile(store, model, version)
        frame = traffic(model, version, now, profile, rng)
        result = ingest_inference_log(store, frame)
        log.info("demo traffic: %s", result.summary)
    _policies(store, deployed)

    for model in sorted(deployed):
        incident = _is_fraud(model) or _is_image(model)
        steps = range(EVALUATION_DAYS, -1, -2) if incident else [0]
        for days_ago in steps:
            evaluate_model_health(store, model, now - timedelta(days=days_ago), actions=False)
