"""Per-feature drift of a model's inference data against its reference, counted in DuckDB.

The current window's feature values are copied once into a temporary table. Bin counts for
every numeric feature come from one GROUP BY, where a value's bin is the number of reference
edges below it, and category counts come from another. Only those counts reach Python, where
``tools.monitoring.drift`` turns them into PSI, Jensen-Shannon, chi-squared and L-infinity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import duckdb
import numpy as np
from sqlmodel import Session

from tools.monitoring import drift
from tools.monitoring.metrics import Window, traffic_by_version
from tools.monitoring.policy import MIN_DRIFT_SAMPLES, PSI_WATCH, EffectivePolicy
from tools.monitoring.reference import (
    OTHER,
    FeatureReference,
    Reference,
    dataset_reference,
    latest_model_versions,
    lineage_dataset,
)
from tools.store.schema import DatasetVersion

Status = Literal["ok", "watch", "drifted", "insufficient_data", "not_in_reference", "type_mismatch"]
DECILES = [i / 10 for i in range(1, 10)]
# A baseline window keeps its most frequent categories; the rest are counted as "(other)".
CATEGORIES_KEPT = 20


@dataclass
class FeatureDrift:
    feature: str
    kind: str
    method: str
    score: float | None
    threshold: float
    drifted: bool
    status: Status
    psi: float | None = None
    js_distance: float | None = None
    chi2_pvalue: float | None = None
    l_infinity: float | None = None
    reference_count: int = 0
    current_count: int = 0
    reference_mean: float | None = None
    current_mean: float | None = None
    bins: list[str] = field(default_factory=list)
    reference_shares: list[float] = field(default_factory=list)
    current_shares: list[float] = field(default_factory=list)


@dataclass
class DriftReport:
    model: str
    window: Window
    reference_kind: str
    reference: str
    features: list[FeatureDrift]
    computed_at: datetime | None = None

    @property
    def drifted(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    @property
    def scored(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.score is not None]


def resolve_reference(
    session: Session,
    conn: duckdb.DuckDBPyConnection,
    model: str,
    window: Window,
    policy: EffectivePolicy,
) -> Reference:
    """Return the reference distribution for ``model`` (see ``tools.monitoring.reference``)."""
    if policy.baseline_dataset_version_id:
        pinned = session.get(DatasetVersion, policy.baseline_dataset_version_id)
        if pinned is not None:
            return dataset_reference(pinned, "baseline set in the monitoring policy")
    # The busiest versions first, then the other registered versions, newest first.
    traffic = traffic_by_version(conn, model, window)
    candidates = list(traffic) + [
        v for v in latest_model_versions(session, model) if v not in traffic
    ]
    found = lineage_dataset(session, model, candidates)
    if found is not None:
        dataset_version, number = found
        return dataset_reference(dataset_version, f"training data of {model} v{number}")
    baseline = Window(window.start - timedelta(hours=policy.baseline_hours), window.start)
    return window_reference(conn, model, baseline)


def _load_window(
    conn: duckdb.DuckDBPyConnection, model: str, window: Window, table: str
) -> dict[str, tuple[int, int, float | None]]:
    """Copy a window's feature values into ``table``; return per feature (numbers, texts, mean)."""
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT f.name, f.num_value, f.str_value "
        "FROM inference_feature f JOIN inference_record r ON f.record_id = r.id "
        "WHERE r.model_name = ? AND r.timestamp >= ? AND r.timestamp < ?",
        [model, window.start, window.end],
    )
    rows = conn.execute(
        "SELECT name, count(num_value) FILTER (WHERE isfinite(num_value)), count(str_value), "
        f"avg(num_value) FILTER (WHERE isfinite(num_value)) FROM {table} GROUP BY name"
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2]), None if r[3] is None else float(r[3])) for r in rows}


def _bin_counts(
    conn: duckdb.DuckDBPyConnection, table: str, edges: dict[str, list[float]]
) -> dict[str, list[int]]:
    """Count each feature's values into right-closed bins over its edges, in one query."""
    counts = {name: [0] * (len(e) + 1) for name, e in edges.items()}
    if not edges:
        return counts
    # The edges are two list parameters, unnested side by side into (name, edges) rows, so no
    # temporary table is created and filled on every call.
    rows = conn.execute(
        "SELECT v.name, len(list_filter(e.edges, lambda edge: edge < v.num_value)) AS bin, "
        f"count(*) FROM {table} v JOIN (SELECT unnest(?::VARCHAR[]) AS name, "
        "unnest(?::DOUBLE[][]) AS edges) e ON v.name = e.name "
        "WHERE isfinite(v.num_value) GROUP BY ALL",
        [list(edges), list(edges.values())],
    ).fetchall()
    for name, bin_index, count in rows:
        counts[str(name)][int(bin_index)] = int(count)
    return counts


def _category_counts(
    conn: duckdb.DuckDBPyConnection, table: str, names: list[str]
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    if not names:
        return counts
    placeholders = ", ".join("?" for _ in names)
    rows = conn.execute(
        f"SELECT name, str_value, count(*) FROM {table} WHERE str_value IS NOT NULL "
        f"AND name IN ({placeholders}) GROUP BY ALL",
        names,
    ).fetchall()
    for name, value, count in rows:
        counts[str(name)][str(value)] = int(count)
    return counts


def _decile_edges(
    conn: duckdb.DuckDBPyConnection, table: str, names: list[str]
) -> dict[str, list[float]]:
    """Return each numeric feature's distinct deciles in ``table``: its bin edges."""
    if not names:
        return {}
    levels = "[" + ", ".join(str(d) for d in DECILES) + "]"
    placeholders = ", ".join("?" for _ in names)
    rows = conn.execute(
        f"SELECT name, quantile_cont(num_value, {levels}) FROM {table} "
        f"WHERE isfinite(num_value) AND name IN ({placeholders}) GROUP BY name",
        names,
    ).fetchall()
    return {str(r[0]): sorted({float(x) for x in r[1]}) for r in rows}


def window_reference(conn: duckdb.DuckDBPyConnection, model: str, baseline: Window) -> Reference:
    """Build the reference from the model's own inference data in the baseline window."""
    kinds = _load_window(conn, model, baseline, "_drift_baseline")
    numeric = [n for n, (numbers, texts, _) in kinds.items() if numbers and numbers >= texts]
    categorical = [n for n in kinds if n not in numeric]

    edges = _decile_edges(conn, "_drift_baseline", numeric)
    features: dict[str, FeatureReference] = {}
    for name, counts in _bin_counts(conn, "_drift_baseline", edges).items():
        features[name] = FeatureReference(
            name, "numeric", counts=counts, edges=edges[name], mean=kinds[name][2]
        )

    for name, values in _category_counts(conn, "_drift_baseline", categorical).items():
        ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
        top = ranked[:CATEGORIES_KEPT]
        other = sum(count for _, count in ranked[CATEGORIES_KEPT:])
        features[name] = FeatureReference(
            name,
            "categorical",
            counts=[count for _, count in top] + [other],
            categories=[value for value, _ in top] + [OTHER],
        )

    conn.execute("DROP TABLE IF EXISTS _drift_baseline")
    start, end = baseline.start.isoformat(), baseline.end.isoformat()
    return Reference(
        kind="baseline_window",
        description=f"{model}'s own inference data from {start} to {end}",
        window=baseline,
        features=features,
    )


def compute_drift(
    session: Session,
    conn: duckdb.DuckDBPyConnection,
    model: str,
    window: Window,
    policy: EffectivePolicy,
) -> DriftReport:
    """Compare every feature of the window against the model's reference."""
    reference = resolve_reference(session, conn, model, window, policy)
    # On an error the store closes this connection, and its temporary tables with it.
    current = _load_window(conn, model, window, "_drift_current")
    numeric = {
        n: r.edges for n, r in reference.features.items() if r.kind == "numeric" and n in current
    }
    categorical = [
        n for n, r in reference.features.items() if r.kind == "categorical" and n in current
    ]
    bin_counts = _bin_counts(conn, "_drift_current", numeric)
    category_counts = _category_counts(conn, "_drift_current", categorical)
    conn.execute("DROP TABLE IF EXISTS _drift_current")

    features = []
    for name in sorted(current):
        numbers, texts, mean = current[name]
        ref = reference.features.get(name)
        if ref is None:
            features.append(
                _unscored(
                    name,
                    "numeric" if numbers >= texts else "categorical",
                    "not_in_reference",
                    numbers + texts,
                    policy,
                )
            )
        elif ref.kind == "numeric":
            features.append(_score_numeric(ref, bin_counts[name], numbers, mean, texts, policy))
        else:
            features.append(_score_categorical(ref, category_counts[name], texts, numbers, policy))
    return DriftReport(model, window, reference.kind, reference.description, features)


def _unscored(
    name: str, kind: str, status: Status, count: int, policy: EffectivePolicy
) -> FeatureDrift:
    method = policy.numeric_method if kind == "numeric" else policy.categorical_method
    threshold = policy.numeric_threshold() if kind == "numeric" else policy.categorical_threshold()
    return FeatureDrift(name, kind, method, None, threshold, False, status, current_count=count)


def _score_numeric(
    ref: FeatureReference,
    counts: list[int],
    numbers: int,
    mean: float | None,
    texts: int,
    policy: EffectivePolicy,
) -> FeatureDrift:
    if texts > numbers:
        return _unscored(ref.name, "numeric", "type_mismatch", numbers + texts, policy)
    result = _unscored(ref.name, "numeric", "ok", numbers, policy)
    result.reference_count, result.reference_mean, result.current_mean = ref.total, ref.mean, mean
    result.bins = bin_labels(ref.edges)
    result.reference_shares = _rounded(drift.shares(ref.counts))
    result.current_shares = _rounded(drift.shares(counts))
    if numbers < MIN_DRIFT_SAMPLES or ref.total < MIN_DRIFT_SAMPLES:
        result.status = "insufficient_data"
        return result
    result.psi = drift.psi(ref.counts, counts)
    result.js_distance = drift.jensen_shannon(ref.counts, counts)
    result.score = result.psi if policy.numeric_method == "psi" else result.js_distance
    result.drifted = result.score >= result.threshold
    if result.drifted:
        result.status = "drifted"
    elif result.psi >= PSI_WATCH:
        result.status = "watch"
    return result


def _score_categorical(
    ref: FeatureReference,
    values: dict[str, int],
    texts: int,
    numbers: int,
    policy: EffectivePolicy,
) -> FeatureDrift:
    if numbers > texts:
        return _unscored(ref.name, "categorical", "type_mismatch", numbers + texts, policy)
    known = set(ref.categories[:-1])
    counts = [values.get(c, 0) for c in ref.categories[:-1]]
    counts.append(sum(n for v, n in values.items() if v not in known))
    result = _unscored(ref.name, "categorical", "ok", texts, policy)
    result.reference_count = ref.total
    result.bins = list(ref.categories)
    result.reference_shares = _rounded(drift.shares(ref.counts))
    result.current_shares = _rounded(drift.shares(counts))
    if texts < MIN_DRIFT_SAMPLES or ref.total < MIN_DRIFT_SAMPLES:
        result.status = "insufficient_data"
        return result
    result.l_infinity = drift.l_infinity(ref.counts, counts)
    result.chi2_pvalue = drift.chi_squared_pvalue(ref.counts, counts)
    result.js_distance = drift.jensen_shannon(ref.counts, counts)
    if policy.categorical_method == "l_infinity":
        result.score = result.l_infinity
        result.drifted = result.score >= result.threshold
    else:
        result.score = result.chi2_pvalue
        result.drifted = result.score < result.threshold
    result.status = "drifted" if result.drifted else "ok"
    return result


def bin_labels(edges: list[float]) -> list[str]:
    """Label right-closed bins for charts: "<= a", "a..b", ..., "> z"."""
    if not edges:
        return ["all"]
    labels = [f"<= {edges[0]:.4g}"]
    labels += [f"{low:.4g}..{high:.4g}" for low, high in zip(edges, edges[1:], strict=False)]
    labels.append(f"> {edges[-1]:.4g}")
    return labels


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]
