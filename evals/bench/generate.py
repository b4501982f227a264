"""Build a synthetic workspace of a given scale in a folder, or reuse one built before.

The store is created through ``tools.store.db.open_store`` (so the schema and its version row
exist), released, and then filled through a raw DuckDB connection with bulk inserts.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np

from evals.bench.gen_monitoring import write_inference
from evals.bench.gen_pipelines import write_pipelines, write_users
from evals.bench.gen_registry import write_registry
from evals.bench.gen_tracking import write_experiments, write_runs
from evals.bench.names import tasks
from evals.bench.sizes import WorkspaceSize
from tools.settings import Settings
from tools.store.db import open_store

log = logging.getLogger(__name__)

MANIFEST = "bench-workspace.json"
# The task, metric and window of the headline query ("best 10 fraud runs by accuracy, last
# 3 months"): the busiest task, so the query filters the largest share of runs.
QUERY_TASK = "fraud-detection"
QUERY_METRIC = "accuracy"
QUERY_PERIOD = "last 3 months"
COUNTED_TABLES = (
    "experiment", "run", "run_param", "run_tag", "metric_point", "latest_metric",
    "registered_model", "model_version", "model_alias", "alias_event", "deployment_event",
    "inference_record", "inference_feature", "pipeline_run", "step_run",
)  # fmt: skip


@dataclass
class Workspace:
    """A generated workspace and the names the measures ask about."""

    root: str
    scale: float
    anchor: str
    seed: int
    generation_s: float
    counts: dict[str, int]
    busiest_model: str
    monitored_model: str
    production_models: list[str]
    compare_runs: list[str]
    history_run: str
    pipelines: list[str]
    experiment_sample: list[str]
    traffic: dict[str, int] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return Path(self.root) / "home"

    @property
    def store_path(self) -> Path:
        return self.home / "store.duckdb"

    @property
    def anchor_time(self) -> datetime:
        return datetime.fromisoformat(self.anchor)

    def settings(self) -> Settings:
        # No LLM, whatever the environment sets: the benchmark times the rules planner.
        return Settings(home=self.home, now=self.anchor_time, llm_model=None, llm_base_url=None)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def workspace_folder(work: Path, scale: float) -> Path:
    return work / f"scale-{scale:g}"


def load_or_build(work: Path, scale: float, seed: int, anchor: datetime, reuse: bool) -> Workspace:
    """Return the workspace of ``scale`` under ``work``, building it unless reusable."""
    root = workspace_folder(work, scale)
    manifest = root / MANIFEST
    if reuse and manifest.is_file():
        found = Workspace(**json.loads(manifest.read_text()))
        if found.scale == scale and found.seed == seed and found.store_path.is_file():
            log.info("reusing the workspace of scale %g in %s", scale, root)
            return found
    return build(root, scale, seed, anchor)


def build(root: Path, scale: float, seed: int, anchor: datetime) -> Workspace:
    size = WorkspaceSize.at(scale)
    home = root / "home"
    if (home / "store.duckdb").exists():
        raise FileExistsError(f"{home / 'store.duckdb'} exists; remove {root} to rebuild it")
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = open_store(Settings(home=home))
    store.schema_version()
    store.release()

    rng = np.random.default_rng(seed)
    anchor = anchor.astimezone(UTC)
    anchor_us = int(anchor.timestamp() * 1_000_000)
    all_tasks = tasks()
    con = duckdb.connect(str(home / "store.duckdb"))
    try:
        con.execute("SET enable_progress_bar = false")
        write_users(con, anchor_us)
        experiments = write_experiments(con, rng, size, all_tasks, anchor_us)
        runs = write_runs(con, rng, size, all_tasks, experiments)
        registry = write_registry(con, rng, size, all_tasks, runs, anchor_us)
        traffic = write_inference(con, rng, size, registry, anchor_us)
        pipelines = write_pipelines(con, rng, registry, anchor_us)
        con.execute("CHECKPOINT")
        counts = {table: _count(con, table) for table in COUNTED_TABLES}
    finally:
        con.close()

    task_number = [task.name for task in all_tasks].index(QUERY_TASK)
    finished = np.flatnonzero((runs.tasks() == task_number) & (runs.statuses() == 0))
    if finished.size < 2:
        # A tiny workspace may hold too few runs of the query task; any finished runs do.
        finished = np.flatnonzero(runs.statuses() == 0)
    workspace = Workspace(
        root=str(root),
        scale=scale,
        anchor=anchor.isoformat(),
        seed=seed,
        generation_s=time.perf_counter() - started,
        counts=counts,
        busiest_model=registry.busiest(),
        monitored_model=next(iter(traffic), registry.busiest()),
        production_models=registry.production_models(),
        compare_runs=[runs.names[int(i)] for i in finished[:2]],
        history_run=runs.names[int(finished[0])],
        pipelines=pipelines,
        experiment_sample=experiments.names[:5],
        traffic=traffic,
    )
    (root / MANIFEST).write_text(json.dumps(asdict(workspace), indent=2))
    log.info("built the workspace of scale %g in %.1f s", scale, workspace.generation_s)
    return workspace
