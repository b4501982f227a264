"""Generate inference records and their feature values for the models in production.

Records are built with numpy; the four feature values of each record are computed in DuckDB
from the record's id and time with ``INSERT ... SELECT``, so millions of feature rows never pass
through Python. The busiest model's inputs drift during the last ``DRIFT_DAYS`` days.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from evals.bench.arrow_rows import DAY_US, coded, insert, timestamps
from evals.bench.gen_registry import Registry
from evals.bench.sizes import WorkspaceSize

LOG_DAYS = 45
DRIFT_DAYS = 10
ERROR_SHARE = 0.015
LABELLED_SHARE = 0.2
STATUSES = ("ok", "error")

# A pseudo-random number in (0, 1) from the record id and a salt, so reruns give the same rows.
_UNIFORM = "((hash(id, {salt}) % 1000003) + 0.5) / 1000003.0"
_NORMAL = f"sqrt(-2 * ln({_UNIFORM.format(salt=1)})) * cos(2 * pi() * {_UNIFORM.format(salt=2)})"
_FEATURES = f"""
INSERT INTO inference_feature (record_id, name, num_value, str_value)
SELECT id, 'amount', round(exp(3.5 + {_NORMAL} + CASE WHEN drifted THEN 0.45 ELSE 0 END), 2), NULL
FROM _records
UNION ALL
SELECT id, 'account_age_days', floor(3650 * {_UNIFORM.format(salt=3)}), NULL FROM _records
UNION ALL
SELECT id, 'country', NULL,
       CASE WHEN {_UNIFORM.format(salt=4)} < (CASE WHEN drifted THEN 0.25 ELSE 0.45 END) THEN 'US'
            WHEN {_UNIFORM.format(salt=4)} < 0.65 THEN 'DE'
            WHEN {_UNIFORM.format(salt=4)} < 0.8 THEN 'BR'
            WHEN {_UNIFORM.format(salt=4)} < 0.92 THEN 'IN'
            ELSE 'JP' END
FROM _records
UNION ALL
SELECT id, 'channel', NULL,
       CASE WHEN {_UNIFORM.format(salt=5)} < 0.6 THEN 'web'
            WHEN {_UNIFORM.format(salt=5)} < 0.9 THEN 'mobile' ELSE 'pos' END
FROM _records
"""


def write_inference(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    size: WorkspaceSize,
    registry: Registry,
    anchor_us: int,
) -> dict[str, int]:
    """Write the inference log; return the record count per model."""
    models = registry.production_models()
    if not models:
        return {}
    # Traffic is uneven: the busiest model serves a large share of all requests.
    busiest = registry.busiest() if registry.busiest() in models else models[0]
    models.remove(busiest)
    models.insert(0, busiest)
    weights = 1.0 / (1 + np.arange(len(models))) ** 1.1
    counts = rng.multinomial(size.inference_records, weights / weights.sum())
    model_codes = np.repeat(np.arange(len(models)), counts)
    total = int(counts.sum())

    times = anchor_us - (rng.random(total) * LOG_DAYS * DAY_US).astype(np.int64)
    latency = np.round(
        np.exp(rng.normal(np.log(35), 0.5, total)) * (1 + 0.3 * (model_codes % 3)), 2
    )
    status = (rng.random(total) < ERROR_SHARE).astype(np.int64)
    prediction = (rng.random(total) < 0.12).astype(np.int64)
    confidence = np.round(rng.beta(8, 2, total), 4)
    labelled = rng.random(total) < LABELLED_SHARE
    label = np.where(rng.random(total) < 0.93, prediction, 1 - prediction)
    versions = np.array([registry.aliases[m]["production"] for m in models])[model_codes]
    insert(
        con,
        "inference_record",
        {
            "model_name": coded(model_codes, models),
            "version": pa.array(versions.astype(np.int64)),
            "timestamp": timestamps(times),
            "latency_ms": pa.array(latency),
            "status": coded(status, STATUSES),
            "prediction": coded(prediction, ("0", "1")),
            "confidence": pa.array(confidence),
            "label": pa.array(
                np.where(label == 1, "1", "0").astype(object), mask=~labelled, type=pa.string()
            ),
            "source": pa.array(["bench"] * total),
        },
    )
    drift_start = anchor_us - DRIFT_DAYS * DAY_US
    con.execute(
        "CREATE TEMP TABLE _records AS SELECT id, model_name = ? "
        "AND timestamp >= to_timestamp(? / 1e6) AS drifted FROM inference_record",
        [busiest, drift_start],
    )
    con.execute(_FEATURES)
    con.execute("DROP TABLE _records")
    return {model: int(n) for model, n in zip(models, counts.tolist(), strict=True)}
