"""Generate experiments, runs, params, tags and metric histories straight into DuckDB.

Runs are written in chunks of ``CHUNK_RUNS``; each chunk is built as numpy arrays and inserted
with one ``INSERT ... SELECT`` per table from an Arrow table, never one ORM object at a time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from evals.bench.arrow_rows import DAY_US, coded, hex_ids, insert, nullable_timestamps, timestamps
from evals.bench.names import (
    ADJECTIVES,
    CURVE_METRICS,
    DATASET_WORDS,
    NOUNS,
    USERS,
    TaskInfo,
)
from evals.bench.sizes import WorkspaceSize

log = logging.getLogger(__name__)

CHUNK_RUNS = 25_000
# Activity spans two and a half years; ages are skewed so that recent months are busiest.
SPAN_DAYS = 912
AGE_SKEW = 1.7
STATUSES = ("FINISHED", "FAILED", "KILLED", "RUNNING")
STATUS_SHARES = (0.87, 0.08, 0.03, 0.02)
PARAM_KEYS = ("model_family", "learning_rate", "max_depth", "n_estimators", "batch_size", "seed")
TAG_KEYS = ("mlflow.user", "mlflow.source.name", "mlflow.source.git.commit", "task")


@dataclass
class Experiments:
    ids: list[str]
    names: list[str]
    task_index: np.ndarray
    # The window (microseconds since the epoch) in which each experiment's runs started.
    first_us: np.ndarray
    last_us: np.ndarray


@dataclass
class Runs:
    """The runs' ids, tasks, statuses and start times, for the generators that follow."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    task_index: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)
    start_us: list[np.ndarray] = field(default_factory=list)
    metric_points: int = 0
    latest_metrics: int = 0
    params: int = 0
    tags: int = 0

    def tasks(self) -> np.ndarray:
        return np.concatenate(self.task_index)

    def statuses(self) -> np.ndarray:
        return np.concatenate(self.status)

    def starts(self) -> np.ndarray:
        return np.concatenate(self.start_us)


def write_experiments(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    size: WorkspaceSize,
    tasks: list[TaskInfo],
    anchor_us: int,
) -> Experiments:
    count = size.experiments
    weights = np.array([task.weight for task in tasks])
    # Every task gets at least one experiment when there are enough of them.
    task_index = rng.choice(len(tasks), size=count, p=weights / weights.sum())
    if count >= len(tasks):
        task_index[: len(tasks)] = np.arange(len(tasks))
    last_age = SPAN_DAYS * rng.random(count) ** AGE_SKEW
    duration = rng.uniform(14, 240, count)
    first_age = np.minimum(last_age + duration, SPAN_DAYS)
    first_us = anchor_us - (first_age * DAY_US).astype(np.int64)
    last_us = anchor_us - (last_age * DAY_US).astype(np.int64)

    words = rng.integers(0, len(DATASET_WORDS), count)
    names = [
        f"{tasks[t].name}-{DATASET_WORDS[w]}-{i:04d}"
        for i, (t, w) in enumerate(zip(task_index.tolist(), words.tolist(), strict=True))
    ]
    ids = hex_ids(rng, count)
    task_names = [tasks[t].name for t in task_index.tolist()]
    insert(
        con,
        "experiment",
        {
            "id": pa.array(ids),
            "name": pa.array(names),
            "task": pa.array(task_names),
            "task_source": pa.array(["explicit"] * count),
            "lifecycle_stage": pa.array(["active"] * count),
            "artifact_location": pa.array([f"file:///bench/mlruns/{i}" for i in range(count)]),
            "tags": pa.array([json.dumps({"task": name}) for name in task_names]),
            "source": pa.array(["bench"] * count),
            "created_at": timestamps(first_us),
            "updated_at": timestamps(last_us),
        },
    )
    return Experiments(ids, names, task_index, first_us, last_us)


def write_runs(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    size: WorkspaceSize,
    tasks: list[TaskInfo],
    experiments: Experiments,
) -> Runs:
    runs = Runs()
    # Some experiments are much busier than others (a long tail of one-off experiments).
    popularity = 1.0 / (1 + np.arange(size.experiments)) ** 0.8
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    points_per_run = size.metric_points / size.runs
    for start in range(0, size.runs, CHUNK_RUNS):
        count = min(CHUNK_RUNS, size.runs - start)
        experiment_index = rng.choice(size.experiments, size=count, p=popularity)
        _write_chunk(con, rng, tasks, experiments, experiment_index, start, points_per_run, runs)
        log.info("wrote runs %d-%d of %d", start + 1, start + count, size.runs)
    return runs


@dataclass
class _Chunk:
    ids: list[str]
    task_index: np.ndarray
    status: np.ndarray
    start_us: np.ndarray
    end_us: np.ndarray
    quality: np.ndarray
    family_index: np.ndarray


def _write_chunk(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    tasks: list[TaskInfo],
    experiments: Experiments,
    experiment_index: np.ndarray,
    offset: int,
    points_per_run: float,
    runs: Runs,
) -> None:
    chunk = _run_rows(con, rng, tasks, experiments, experiment_index, offset, runs)
    runs.params += _write_params(con, rng, tasks, chunk)
    runs.tags += _write_tags(con, rng, tasks, chunk)
    points, latest = _write_metrics(con, rng, tasks, chunk, points_per_run)
    runs.metric_points += points
    runs.latest_metrics += latest
    runs.ids.extend(chunk.ids)
    runs.task_index.append(chunk.task_index)
    runs.status.append(chunk.status)
    runs.start_us.append(chunk.start_us)


def _run_rows(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    tasks: list[TaskInfo],
    experiments: Experiments,
    experiment_index: np.ndarray,
    offset: int,
    runs: Runs,
) -> _Chunk:
    count = len(experiment_index)
    task_index = experiments.task_index[experiment_index]
    first = experiments.first_us[experiment_index]
    last = experiments.last_us[experiment_index]
    start_us = first + (rng.random(count) * (last - first)).astype(np.int64)
    duration_us = (np.exp(rng.normal(np.log(900), 1.1, count)) * 1e6).astype(np.int64)
    status = rng.choice(len(STATUSES), size=count, p=STATUS_SHARES)
    quality = np.clip(rng.beta(4, 2, count) + rng.normal(0, 0.03, count), 0.01, 0.995)
    family_index = rng.integers(0, 1_000_000, count)

    ids = hex_ids(rng, count)
    adjectives = rng.integers(0, len(ADJECTIVES), count).tolist()
    nouns = rng.integers(0, len(NOUNS), count).tolist()
    families = [
        tasks[t].model_families[f % len(tasks[t].model_families)]
        for t, f in zip(task_index.tolist(), family_index.tolist(), strict=True)
    ]
    names = [
        f"{family}-{ADJECTIVES[a]}-{NOUNS[n]}-{offset + i}"
        for i, (family, a, n) in enumerate(zip(families, adjectives, nouns, strict=True))
    ]
    runs.names.extend(names)
    user_index = rng.integers(0, len(USERS), count)
    experiment_ids = [experiments.ids[e] for e in experiment_index.tolist()]
    insert(
        con,
        "run",
        {
            "id": pa.array(ids),
            "experiment_id": pa.array(experiment_ids),
            "name": pa.array(names),
            "status": coded(status, STATUSES),
            "start_time": timestamps(start_us),
            "end_time": nullable_timestamps(start_us + duration_us, status != 3),
            "user": coded(user_index, USERS),
            "source_type": pa.array(["LOCAL"] * count),
            "source_name": pa.array(["train.py"] * count),
            "source_version": pa.array([f"{v:040x}"[:40] for v in family_index.tolist()]),
            "artifact_uri": pa.array([f"file:///bench/artifacts/{i}" for i in ids]),
            "lifecycle_stage": pa.array(["active"] * count),
            "task": coded(task_index, [task.name for task in tasks]),
            "source": pa.array(["bench"] * count),
            "created_at": timestamps(start_us),
        },
    )
    return _Chunk(ids, task_index, status, start_us, start_us + duration_us, quality, family_index)


def _write_params(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, tasks: list[TaskInfo], chunk: _Chunk
) -> int:
    count = len(chunk.ids)
    families = [
        tasks[t].model_families[f % len(tasks[t].model_families)]
        for t, f in zip(chunk.task_index.tolist(), chunk.family_index.tolist(), strict=True)
    ]
    values = [
        families,
        np.char.mod("%.4g", 10 ** rng.uniform(-4, -0.5, count)).tolist(),
        rng.integers(2, 13, count).astype(str).tolist(),
        (rng.integers(1, 41, count) * 25).astype(str).tolist(),
        (2 ** rng.integers(4, 10, count)).astype(str).tolist(),
        rng.integers(0, 10_000, count).astype(str).tolist(),
    ]
    return _write_key_values(con, "run_param", chunk.ids, PARAM_KEYS, values)


def _write_tags(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, tasks: list[TaskInfo], chunk: _Chunk
) -> int:
    count = len(chunk.ids)
    values = [
        [USERS[u] for u in rng.integers(0, len(USERS), count).tolist()],
        ["train.py"] * count,
        [f"{v:040x}" for v in chunk.family_index.tolist()],
        [tasks[t].name for t in chunk.task_index.tolist()],
    ]
    return _write_key_values(con, "run_tag", chunk.ids, TAG_KEYS, values)


def _write_key_values(
    con: duckdb.DuckDBPyConnection,
    table: str,
    run_ids: list[str],
    keys: tuple[str, ...],
    values: list[list[str]],
) -> int:
    count = len(run_ids)
    run_codes = np.tile(np.arange(count), len(keys))
    key_codes = np.repeat(np.arange(len(keys)), count)
    flat = [value for column in values for value in column]
    return insert(
        con,
        table,
        {
            "run_id": coded(run_codes, run_ids),
            "key": coded(key_codes, keys),
            "value": pa.array(flat, type=pa.string()),
        },
    )


def _write_metrics(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    tasks: list[TaskInfo],
    chunk: _Chunk,
    points_per_run: float,
) -> tuple[int, int]:
    keys = list(CURVE_METRICS) + sorted({m for task in tasks for m in task.final_metrics})
    key_code = {key: i for i, key in enumerate(keys)}
    finals = _final_metrics(rng, tasks, chunk, key_code)
    finished = chunk.status == 0

    # Epochs per run are sized so that the workspace gets about the requested point count.
    final_points = sum(len(columns[0]) for columns in finals)
    count = len(chunk.ids)
    # Stopped runs keep half their epochs on average; finished runs make up for them.
    completed_share = finished.mean() + 0.5 * (1 - finished.mean())
    mean_epochs = max(1.0, (points_per_run * count - final_points) / (2 * count * completed_share))
    epochs = rng.integers(max(1, round(0.3 * mean_epochs)), round(1.7 * mean_epochs) + 1, count)
    # Failed and killed runs stop part of the way through; a few log nothing at all.
    stopped = ~finished
    epochs[stopped] = (epochs[stopped] * rng.uniform(0, 1, stopped.sum())).astype(np.int64)

    curve = _curves(rng, chunk, epochs, key_code)
    columns = [curve, *finals]
    rows = np.concatenate([c[0] for c in columns])
    key_codes = np.concatenate([c[1] for c in columns])
    values = np.concatenate([c[2] for c in columns])
    steps = np.concatenate([c[3] for c in columns])
    times = np.concatenate([c[4] for c in columns])
    latest = np.concatenate([c[5] for c in columns])
    run_codes = coded(rows, chunk.ids)
    points = insert(
        con,
        "metric_point",
        {
            "run_id": run_codes,
            "key": coded(key_codes, keys),
            "value": pa.array(values),
            "step": pa.array(steps.astype(np.int64)),
            "timestamp": timestamps(times),
        },
    )
    last = insert(
        con,
        "latest_metric",
        {
            "run_id": coded(rows[latest], chunk.ids),
            "key": coded(key_codes[latest], keys),
            "value": pa.array(values[latest]),
            "step": pa.array(steps[latest].astype(np.int64)),
            "timestamp": timestamps(times[latest]),
        },
    )
    return points, last


_Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _curves(
    rng: np.random.Generator, chunk: _Chunk, epochs: np.ndarray, key_code: dict[str, int]
) -> _Columns:
    """Loss curves that decay towards a floor set by the run's quality, one point per epoch."""
    count = len(chunk.ids)
    total = int(epochs.sum())
    rows = np.repeat(np.arange(count), epochs)
    first_index = np.repeat(np.cumsum(epochs) - epochs, epochs)
    steps = np.arange(total) - first_index
    tau = np.maximum(1.0, epochs * rng.uniform(0.2, 0.5, count))[rows]
    start = rng.uniform(1.5, 3.0, count)[rows]
    floor = ((1 - chunk.quality) * 0.8 + 0.05)[rows]
    train = floor + (start - floor) * np.exp(-steps / tau) + rng.normal(0, 0.01, total)
    val = train * rng.uniform(1.05, 1.4, count)[rows] + rng.normal(0, 0.015, total)
    epoch_us = (chunk.end_us - chunk.start_us) // (epochs + 1)
    times = chunk.start_us[rows] + (steps + 1) * epoch_us[rows]
    is_last = np.zeros(total, dtype=bool)
    is_last[(np.cumsum(epochs) - 1)[epochs > 0]] = True

    def keyed(key: str, values: np.ndarray) -> tuple[np.ndarray, ...]:
        codes = np.full(total, key_code[key])
        return rows, codes, np.round(np.abs(values), 5), steps, times, is_last

    train_cols = keyed("train_loss", train)
    val_cols = keyed("val_loss", val)
    return tuple(  # type: ignore[return-value]
        np.concatenate([a, b]) for a, b in zip(train_cols, val_cols, strict=True)
    )


def _final_metrics(
    rng: np.random.Generator, tasks: list[TaskInfo], chunk: _Chunk, key_code: dict[str, int]
) -> list[_Columns]:
    """Build one value per final metric of each finished run, logged at the run's end."""
    result: list[_Columns] = []
    finished = np.flatnonzero(chunk.status == 0)
    for task_number, task in enumerate(tasks):
        rows = finished[chunk.task_index[finished] == task_number]
        if rows.size == 0:
            continue
        quality = chunk.quality[rows]
        accuracy = np.clip(0.55 + 0.44 * quality + rng.normal(0, 0.005, rows.size), 0.5, 0.999)
        for metric in task.final_metrics:
            values = _final_value(metric, quality, accuracy, rng)
            result.append(
                (
                    rows,
                    np.full(rows.size, key_code[metric]),
                    np.round(values, 4),
                    np.zeros(rows.size, dtype=np.int64),
                    chunk.end_us[rows],
                    np.ones(rows.size, dtype=bool),
                )
            )
    return result


def _final_value(
    metric: str, quality: np.ndarray, accuracy: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    size = quality.size
    f1 = accuracy - rng.uniform(0, 0.08, size)
    formulas = {
        "accuracy": lambda: accuracy,
        "f1": lambda: f1,
        "roc_auc": lambda: np.clip(accuracy + rng.uniform(0, 0.05, size), 0.5, 0.9995),
        "precision": lambda: np.clip(f1 + rng.uniform(-0.03, 0.05, size), 0, 1),
        "recall": lambda: np.clip(f1 + rng.uniform(-0.05, 0.03, size), 0, 1),
        "rmse": lambda: 0.2 + 2.0 * (1 - quality) * rng.uniform(0.9, 1.1, size),
        "mae": lambda: (0.15 + 1.5 * (1 - quality)) * rng.uniform(0.6, 0.8, size),
        "r2": lambda: np.clip(0.97 * quality + rng.normal(0, 0.02, size), -0.2, 0.99),
        "mape": lambda: 3 + 35 * (1 - quality),
        "perplexity": lambda: 8 + 80 * (1 - quality),
        "bleu": lambda: 8 + 32 * quality,
    }
    if metric in formulas:
        return np.asarray(formulas[metric](), dtype=np.float64)
    # Ranking, detection and clustering scores: higher is better, below 1.
    return np.clip(0.1 + 0.6 * quality + rng.normal(0, 0.01, size), 0, 0.999)
