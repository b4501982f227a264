"""Generate users, training pipelines and their run history (with failed steps and logs)."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow as pa

from evals.bench.arrow_rows import DAY_US, hex_ids, insert, timestamps
from evals.bench.gen_registry import Registry
from evals.bench.names import ROLES, USERS

MAX_PIPELINES = 20
RUNS_PER_PIPELINE = 12
FAILED_SHARE = 0.15
STEPS = ("preprocess", "train", "evaluate", "register", "deploy", "notify")
ERRORS = (
    "ValueError: Input contains NaN in column 'amount'",
    "MemoryError: unable to allocate 3.2 GiB for the feature matrix",
    "KeyError: 'customer_tenure' not in the dataset columns",
    "TimeoutError: step exceeded 900 s",
)


def write_users(con: duckdb.DuckDBPyConnection, anchor_us: int) -> None:
    names = list(USERS)
    insert(
        con,
        "app_user",
        {
            "name": pa.array(names),
            "role": pa.array([ROLES.get(name, "viewer") for name in names]),
            "display_name": pa.array([name.title() for name in names]),
            "created_at": timestamps(np.full(len(names), anchor_us - 900 * DAY_US)),
        },
    )


def write_pipelines(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, registry: Registry, anchor_us: int
) -> list[str]:
    """Write one retraining pipeline for each of the first production models; return names."""
    from tools.pipelines.definition import PipelineDefinition

    models = registry.production_models()[:MAX_PIPELINES]
    names = [f"{model}-retrain" for model in models]
    definitions = [
        PipelineDefinition(
            name=name,
            model=model,
            owner="bob",
            dataset={"name": "sklearn:breast_cancer"},  # type: ignore[arg-type]
            entry_point="tools.pipelines.trainers:gradient_boosting",
            params={"n_estimators": 120, "learning_rate": 0.1},
        ).model_dump(mode="json")
        for name, model in zip(names, models, strict=True)
    ]
    created = np.full(len(names), anchor_us - 400 * DAY_US)
    insert(
        con,
        "pipeline",
        {
            "id": pa.array(hex_ids(rng, len(names))),
            "name": pa.array(names),
            "model_name": pa.array(models),
            "owner": pa.array(["bob"] * len(names)),
            "definition": pa.array([json.dumps(d) for d in definitions]),
            "created_at": timestamps(created),
            "updated_at": timestamps(created),
        },
    )
    _write_pipeline_runs(con, rng, names, anchor_us)
    return names


def _write_pipeline_runs(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, names: list[str], anchor_us: int
) -> None:
    runs: dict[str, list[object]] = {k: [] for k in ("pipeline_name", "status", "error")}
    run_times: list[int] = []
    steps: dict[str, list[object]] = {
        k: [] for k in ("pipeline_run_id", "name", "kind", "position", "status", "log", "error")
    }
    step_times: list[int] = []
    run_ids = hex_ids(rng, len(names) * RUNS_PER_PIPELINE)
    for number, run_id in enumerate(run_ids):
        pipeline = names[number // RUNS_PER_PIPELINE]
        started = int(anchor_us - rng.uniform(0.5, 120) * DAY_US)
        failed_at = int(rng.integers(0, 3)) if rng.random() < FAILED_SHARE else None
        error = ERRORS[int(rng.integers(0, len(ERRORS)))] if failed_at is not None else None
        runs["pipeline_name"].append(pipeline)
        runs["status"].append("failed" if error else "succeeded")
        runs["error"].append(error)
        run_times.append(started)
        for position, kind in enumerate(STEPS):
            status = "succeeded"
            if failed_at is not None and position == failed_at:
                status = "failed"
            elif failed_at is not None and position > failed_at:
                status = "skipped"
            steps["pipeline_run_id"].append(run_id)
            steps["name"].append(kind)
            steps["kind"].append(kind)
            steps["position"].append(position)
            steps["status"].append(status)
            outcome = error if status == "failed" else status
            steps["log"].append(f"{kind}: started\n{kind}: {outcome}\n")
            steps["error"].append(error if status == "failed" else None)
            step_times.append(started + position * 60_000_000)
    run_columns = {k: pa.array(v, type=pa.string()) for k, v in runs.items()}
    times = timestamps(np.array(run_times, dtype=np.int64))
    count = len(run_ids)
    run_columns.update(
        id=pa.array(run_ids),
        trigger=pa.array(["schedule"] * count),
        orchestrator=pa.array(["local"] * count),
        created_at=times,
        started_at=times,
        ended_at=times,
    )
    insert(con, "pipeline_run", run_columns)
    step_columns = {k: pa.array(v) for k, v in steps.items()}
    step_times_column = timestamps(np.array(step_times, dtype=np.int64))
    step_columns.update(
        id=pa.array(hex_ids(rng, len(step_times))),
        started_at=step_times_column,
        ended_at=step_times_column,
    )
    insert(con, "step_run", step_columns)
