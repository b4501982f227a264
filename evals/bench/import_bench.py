"""Import throughput: write an MLflow file store (mlruns) and time ``import_mlflow`` on it.

The folder is written file by file in MLflow's layout (meta.yaml, params/, tags/, metrics/),
which takes seconds, where logging the same runs through MLflow's client takes minutes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.bench.names import USERS
from tools.settings import Settings
from tools.store.db import open_store

EXPERIMENTS = 10
HISTORY_STEPS = 20
FINAL_METRICS = ("accuracy", "f1", "roc_auc", "precision")
START_MS = 1_750_000_000_000


@dataclass(frozen=True)
class ImportRun:
    runs: int
    metric_points: int
    seconds: float

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.seconds if self.seconds else 0.0

    @property
    def points_per_s(self) -> float:
        return self.metric_points / self.seconds if self.seconds else 0.0


def write_mlruns(root: Path, runs: int, seed: int) -> int:
    """Write ``runs`` runs over ``EXPERIMENTS`` experiments; return the metric point count."""
    rng = np.random.default_rng(seed)
    shutil.rmtree(root, ignore_errors=True)
    points = 0
    for experiment in range(1, EXPERIMENTS + 1):
        folder = root / str(experiment)
        folder.mkdir(parents=True)
        (folder / "meta.yaml").write_text(
            f"artifact_location: file://{folder}\nexperiment_id: '{experiment}'\n"
            f"lifecycle_stage: active\nname: churn-sweep-{experiment}\n"
            f"creation_time: {START_MS}\nlast_update_time: {START_MS}\n"
        )
    for number in range(runs):
        experiment = number % EXPERIMENTS + 1
        points += _write_run(root / str(experiment), experiment, number, rng)
    return points


def _write_run(folder: Path, experiment: int, number: int, rng: np.random.Generator) -> int:
    run_id = f"{number:032x}"
    run = folder / run_id
    for sub in ("params", "tags", "metrics", "artifacts"):
        (run / sub).mkdir(parents=True)
    start = START_MS + number * 60_000
    (run / "meta.yaml").write_text(
        f"artifact_uri: file://{run}/artifacts\nend_time: {start + 600_000}\n"
        f"entry_point_name: ''\nexperiment_id: '{experiment}'\nlifecycle_stage: active\n"
        f"run_id: {run_id}\nrun_name: lgbm-sweep-{number}\nrun_uuid: {run_id}\n"
        f"source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {start}\n"
        f"status: 3\ntags: []\nuser_id: {USERS[number % len(USERS)]}\n"
    )
    params = {"learning_rate": f"{rng.uniform(0.01, 0.3):.3f}", "num_leaves": "31",
              "max_depth": str(rng.integers(3, 12)), "seed": str(number)}  # fmt: skip
    for key, value in params.items():
        (run / "params" / key).write_text(value)
    (run / "tags" / "mlflow.runName").write_text(f"lgbm-sweep-{number}")
    (run / "tags" / "task").write_text("churn-prediction")

    quality = rng.beta(4, 2)
    for key in ("train_loss", "val_loss"):
        losses = 0.2 + (1 - quality) + 2 * np.exp(-np.arange(HISTORY_STEPS) / 5)
        lines = [f"{start + step * 1000} {value:.5f} {step}" for step, value in enumerate(losses)]
        (run / "metrics" / key).write_text("\n".join(lines) + "\n")
    for key in FINAL_METRICS:
        score = 0.55 + 0.44 * quality - rng.uniform(0, 0.05)
        (run / "metrics" / key).write_text(f"{start + 600_000} {score:.4f} 0\n")
    return 2 * HISTORY_STEPS + len(FINAL_METRICS)


def time_import(source: Path, home: Path, runs: int, points: int) -> ImportRun:
    """Import ``source`` into a new store under ``home``, timed."""
    from tools.mlflow_import import import_mlflow

    shutil.rmtree(home, ignore_errors=True)
    store = open_store(Settings(home=home))
    store.schema_version()
    started = time.perf_counter()
    import_mlflow(source, store)
    seconds = time.perf_counter() - started
    store.release()
    return ImportRun(runs, points, seconds)
