"""Generate registered models, model versions, aliases with their history, and deployments."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from evals.bench.arrow_rows import DAY_US, hex_ids, insert, timestamps
from evals.bench.gen_tracking import Runs
from evals.bench.names import MODEL_SUFFIXES, USERS, TaskInfo
from evals.bench.sizes import WorkspaceSize

# Share of models that have each alias; the production alias moves often and is rolled back
# now and then, so its history is the long one.
ALIAS_SHARES = {"production": 0.9, "staging": 0.5, "champion": 0.15}
PROMOTE_SHARE = 0.35
ROLLBACK_SHARE = 0.06
REASONS = (
    "better roc_auc on the holdout set", "weekly retrain", "latency regression in canary",
    "approved in review", "rollback after drift alert", "new features from the events table",
    "fixes calibration", None,
)  # fmt: skip


@dataclass
class Registry:
    names: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    version_counts: list[int] = field(default_factory=list)
    # Model name -> alias -> version the alias points at now.
    aliases: dict[str, dict[str, int]] = field(default_factory=dict)
    alias_events: int = 0

    def production_models(self) -> list[str]:
        return [name for name in self.names if "production" in self.aliases.get(name, {})]

    def busiest(self) -> str:
        """The model with the most versions (ties: the first)."""
        return self.names[int(np.argmax(self.version_counts))]


def write_registry(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    size: WorkspaceSize,
    tasks: list[TaskInfo],
    runs: Runs,
    anchor_us: int,
) -> Registry:
    registry = Registry()
    model_tasks = _model_tasks(rng, size, tasks)
    registry.names = _model_names(model_tasks, tasks)
    registry.tasks = [tasks[t].name for t in model_tasks]
    registry.version_counts = _version_counts(rng, size)
    created_us = anchor_us - (rng.uniform(60, 900, len(registry.names)) * DAY_US).astype(np.int64)
    _write_models(con, rng, registry, created_us)
    version_times = _write_versions(con, rng, registry, model_tasks, runs, created_us, anchor_us)
    _write_aliases(con, rng, registry, version_times, anchor_us)
    return registry


def _model_tasks(rng: np.random.Generator, size: WorkspaceSize, tasks: list[TaskInfo]) -> list[int]:
    weights = np.array([task.weight for task in tasks])
    chosen = rng.choice(len(tasks), size=size.registered_models, p=weights / weights.sum())
    # The busiest tasks always have a model, so the requests of the benchmark find one.
    top = np.argsort(-weights)[: min(4, size.registered_models)]
    chosen[: len(top)] = top
    return [int(t) for t in chosen]


def _model_names(model_tasks: list[int], tasks: list[TaskInfo]) -> list[str]:
    seen: dict[int, int] = {}
    names = []
    for task in model_tasks:
        number = seen.get(task, 0)
        seen[task] = number + 1
        suffix = MODEL_SUFFIXES[number % len(MODEL_SUFFIXES)]
        if number >= len(MODEL_SUFFIXES):
            suffix += f"-{number // len(MODEL_SUFFIXES) + 1}"
        names.append(tasks[task].model_stem + suffix)
    return names


def _version_counts(rng: np.random.Generator, size: WorkspaceSize) -> list[int]:
    """Split the versions over the models: a few models have hundreds, most a few dozen."""
    models = size.registered_models
    weights = 1.0 / (1 + np.arange(models)) ** 0.9
    extra = rng.multinomial(size.model_versions - models, weights / weights.sum())
    return [int(n) + 1 for n in extra]


def _write_models(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    registry: Registry,
    created_us: np.ndarray,
) -> None:
    count = len(registry.names)
    owners = [USERS[i] for i in rng.integers(0, 8, count).tolist()]
    insert(
        con,
        "registered_model",
        {
            "id": pa.array(hex_ids(rng, count)),
            "name": pa.array(registry.names),
            "description": pa.array([f"{task} model" for task in registry.tasks]),
            "task": pa.array(registry.tasks),
            "owner": pa.array(owners),
            "tags": pa.array(["{}"] * count),
            "source": pa.array(["bench"] * count),
            "created_at": timestamps(created_us),
            "updated_at": timestamps(created_us),
        },
    )


def _write_versions(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    registry: Registry,
    model_tasks: list[int],
    runs: Runs,
    created_us: np.ndarray,
    anchor_us: int,
) -> list[np.ndarray]:
    """Write the versions; return each model's version creation times, oldest first."""
    run_tasks = runs.tasks()
    finished = runs.statuses() == 0
    rows: dict[str, list[object]] = {key: [] for key in _VERSION_COLUMNS}
    version_times: list[np.ndarray] = []
    for name, task, count, created in zip(
        registry.names, model_tasks, registry.version_counts, created_us.tolist(), strict=True
    ):
        times = np.sort(rng.uniform(created, anchor_us - DAY_US, count)).astype(np.int64)
        version_times.append(times)
        candidates = np.flatnonzero(finished & (run_tasks == task))
        if candidates.size == 0:
            candidates = np.arange(len(runs.ids))
        run_rows = rng.choice(candidates, size=count)
        for number in range(1, count + 1):
            archived = number < count - 10 and rng.random() < 0.4
            score = round(float(rng.uniform(0.8, 0.99)), 4)
            rows["model_name"].append(name)
            rows["version"].append(number)
            rows["run_id"].append(runs.ids[int(run_rows[number - 1])])
            rows["status"].append("ARCHIVED" if archived else "READY")
            rows["source_uri"].append(f"models:/{name}/{number}")
            rows["flavor"].append("sklearn")
            rows["metrics"].append(json.dumps({"score": score}))
            rows["created_by"].append(USERS[int(rng.integers(0, 8))])
    total = len(rows["model_name"])
    all_times = np.concatenate(version_times)
    columns: dict[str, pa.Array] = {key: pa.array(values) for key, values in rows.items()}
    columns["id"] = pa.array(hex_ids(rng, total))
    columns["tags"] = pa.array(["{}"] * total)
    columns["created_at"] = timestamps(all_times)
    columns["updated_at"] = timestamps(all_times)
    insert(con, "model_version", columns)
    return version_times


_VERSION_COLUMNS = (
    "model_name", "version", "run_id", "status", "source_uri", "flavor", "metrics", "created_by",
)  # fmt: skip


@dataclass
class _AliasRows:
    events: list[tuple[str, str, int | None, int | None, str, str, str | None, int]] = field(
        default_factory=list
    )
    current: list[tuple[str, str, int, int, str]] = field(default_factory=list)


def _write_aliases(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    registry: Registry,
    version_times: list[np.ndarray],
    anchor_us: int,
) -> None:
    rows = _AliasRows()
    for name, times in zip(registry.names, version_times, strict=True):
        for alias, share in ALIAS_SHARES.items():
            if rng.random() < share:
                _alias_history(rng, rows, name, alias, times, anchor_us)
    for model, alias, version, _, _ in rows.current:
        registry.aliases.setdefault(model, {})[alias] = version
    registry.alias_events = len(rows.events)
    _insert_alias_rows(con, rng, rows)
    _insert_deployments(con, rng, rows)


def _alias_history(
    rng: np.random.Generator,
    rows: _AliasRows,
    model: str,
    alias: str,
    times: np.ndarray,
    anchor_us: int,
) -> None:
    """Walk through the versions: some get promoted a few days after creation, a few rolled back."""
    holder: int | None = None
    previous: list[int] = []
    last_at = 0
    for number, created in enumerate(times.tolist(), start=1):
        promoted = holder is None or number == len(times) or rng.random() < PROMOTE_SHARE
        if not promoted:
            continue
        at = min(int(created + rng.uniform(0.2, 6) * DAY_US), anchor_us - 3_600_000_000)
        at = max(at, last_at + 1_000_000)
        action = "set" if holder is None else "promote"
        actor = USERS[int(rng.integers(0, 4))]
        reason = REASONS[int(rng.integers(0, len(REASONS)))]
        rows.events.append((model, alias, holder, number, action, actor, reason, at))
        if holder is not None:
            previous.append(holder)
        holder, last_at = number, at
        if previous and rng.random() < ROLLBACK_SHARE:
            back = previous.pop()
            at = min(last_at + int(rng.uniform(0.05, 2) * DAY_US), anchor_us - 1_000_000)
            at = max(at, last_at + 1_000_000)
            rows.events.append((model, alias, holder, back, "rollback", actor, REASONS[4], at))
            holder, last_at = back, at
    if holder is not None:
        rows.current.append((model, alias, holder, last_at, rows.events[-1][5]))


def _insert_alias_rows(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, rows: _AliasRows
) -> None:
    # Sorted by time, so the sequence behind ``seq`` follows the order of the changes.
    events = sorted(rows.events, key=lambda event: event[7])
    insert(
        con,
        "alias_event",
        {
            "id": pa.array(hex_ids(rng, len(events))),
            "model_name": pa.array([e[0] for e in events]),
            "alias": pa.array([e[1] for e in events]),
            "from_version": pa.array([e[2] for e in events], type=pa.int64()),
            "to_version": pa.array([e[3] for e in events], type=pa.int64()),
            "action": pa.array([e[4] for e in events]),
            "actor": pa.array([e[5] for e in events]),
            "reason": pa.array([e[6] for e in events], type=pa.string()),
            "occurred_at": timestamps(np.array([e[7] for e in events], dtype=np.int64)),
        },
    )
    current = rows.current
    insert(
        con,
        "model_alias",
        {
            "model_name": pa.array([c[0] for c in current]),
            "alias": pa.array([c[1] for c in current]),
            "version": pa.array([c[2] for c in current], type=pa.int64()),
            "assigned_at": timestamps(np.array([c[3] for c in current], dtype=np.int64)),
            "assigned_by": pa.array([c[4] for c in current]),
        },
    )


def _insert_deployments(
    con: duckdb.DuckDBPyConnection, rng: np.random.Generator, rows: _AliasRows
) -> None:
    """Every production alias move is a deployment event; the current holder is deployed."""
    events = sorted((e for e in rows.events if e[1] == "production"), key=lambda e: e[7])
    insert(
        con,
        "deployment_event",
        {
            "id": pa.array(hex_ids(rng, len(events))),
            "model_name": pa.array([e[0] for e in events]),
            "environment": pa.array(["production"] * len(events)),
            "from_version": pa.array([e[2] for e in events], type=pa.int64()),
            "to_version": pa.array([e[3] for e in events], type=pa.int64()),
            "action": pa.array(["rollback" if e[4] == "rollback" else "deploy" for e in events]),
            "actor": pa.array([e[5] for e in events]),
            "occurred_at": timestamps(np.array([e[7] for e in events], dtype=np.int64)),
        },
    )
    deployed = [c for c in rows.current if c[1] == "production"]
    insert(
        con,
        "deployment",
        {
            "id": pa.array(hex_ids(rng, len(deployed))),
            "model_name": pa.array([c[0] for c in deployed]),
            "environment": pa.array(["production"] * len(deployed)),
            "version": pa.array([c[2] for c in deployed], type=pa.int64()),
            "status": pa.array(["active"] * len(deployed)),
            "endpoint": pa.array([f"http://127.0.0.1:8080/{c[0]}" for c in deployed]),
            "updated_at": timestamps(np.array([c[3] for c in deployed], dtype=np.int64)),
        },
    )
