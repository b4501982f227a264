"""Run every measure at one or more scales and collect the results."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evals.bench import machine, measures_assistant, measures_tracking
from evals.bench.demo_planner import demo_planner_measure
from evals.bench.generate import Workspace, load_or_build
from evals.bench.mlflow_store import MlflowStore, load, unavailable_reason
from evals.bench.results import Bench, Options, Result
from evals.bench.sizes import WorkspaceSize
from evals.harness.workspaces import pinned_now
from tools.clock import now
from tools.errors import InvalidInputError
from tools.governance import Governor
from tools.store.db import open_store

log = logging.getLogger(__name__)

MLFLOW_MANIFEST = "mlflow-store.json"
GROWTH_FACTOR = 0.1
# The measure group timed once per run on the demo workspace instead of at each scale.
DEMO_GROUP = "demo"


@dataclass
class RunConfig:
    scale: float = 1.0
    out: Path = Path("bench-out")
    work: Path | None = None
    growth: bool = False
    reuse: bool = False
    seed: int = 7
    console: bool = True
    options: Options = field(default_factory=Options)
    # Names of the measure groups to run (search, runs, registry, monitoring, planner,
    # retrieval, indexing, import, console); None runs them all.
    only: list[str] | None = None

    @property
    def work_dir(self) -> Path:
        return self.work or self.out / "work"

    def scales(self) -> list[float]:
        if self.growth:
            return [round(self.scale * GROWTH_FACTOR, 6), self.scale]
        return [self.scale]


@dataclass
class ScaleRun:
    scale: float
    workspace: dict[str, Any]
    mlflow: dict[str, Any] | None
    mlflow_skipped: str | None
    results: list[Result]
    seconds: float


@dataclass
class BenchRun:
    started_at: str
    machine: dict[str, Any]
    load_before: Any
    load_after: Any
    options: dict[str, Any]
    runs: list[ScaleRun]
    command: str = ""
    # Measures of the demo workspace, which has one size (the rules planner's latency).
    demo: list[Result] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, raw in zip(self.runs, data["runs"], strict=True):
            raw["results"] = [result.to_dict() for result in run.results]
        data["demo"] = [result.to_dict() for result in self.demo]
        return data


def run(config: RunConfig) -> BenchRun:
    started = now()
    load_before = machine.load_average()
    anchor = started.replace(minute=0, second=0, microsecond=0)
    demo = _demo_measures(config)
    scale_groups = None if config.only is None else set(config.only) - {DEMO_GROUP}
    runs = []
    if scale_groups is None or scale_groups:
        runs = [_run_scale(config, scale, anchor) for scale in config.scales()]
    return BenchRun(
        started_at=started.isoformat(),
        machine=machine.describe(),
        load_before=load_before,
        load_after=machine.load_average(),
        options={**asdict(config.options), "seed": config.seed, "growth": config.growth},
        runs=runs,
        demo=demo,
    )


def _demo_measures(config: RunConfig) -> list[Result]:
    if config.only is not None and DEMO_GROUP not in config.only:
        return []
    log.info("measuring the rules planner on the demo workspace")
    try:
        return [demo_planner_measure(config.work_dir, config.reuse, config.options)]
    except Exception as exc:  # one broken component must not hide the other figures
        log.exception("the demo measure failed")
        return [Result(DEMO_GROUP, DEMO_GROUP, skipped=f"failed: {type(exc).__name__}: {exc}")]


def _run_scale(config: RunConfig, scale: float, anchor: datetime) -> ScaleRun:
    started = time.perf_counter()
    workspace = load_or_build(config.work_dir, scale, config.seed, anchor, config.reuse)
    with pinned_now(workspace.anchor):
        mlflow, skipped = _mlflow_store(config, workspace)
        settings = workspace.settings()
        store = open_store(settings)
        bench = Bench(workspace, settings, store, Governor(store, settings), config.options)
        bench.mlflow, bench.mlflow_skipped = mlflow, skipped
        try:
            results = _measure_all(bench, config)
        finally:
            store.release()
    return ScaleRun(
        scale=scale,
        workspace=asdict(workspace),
        mlflow=asdict(mlflow) if mlflow else None,
        mlflow_skipped=skipped,
        results=results,
        seconds=time.perf_counter() - started,
    )


def _mlflow_store(config: RunConfig, workspace: Workspace) -> tuple[MlflowStore | None, str | None]:
    if not config.options.mlflow:
        return None, "turned off with --no-mlflow"
    reason = unavailable_reason()
    if reason is not None:
        log.warning("skipping the MLflow side: %s", reason)
        return None, reason
    root = Path(workspace.root)
    manifest = root / MLFLOW_MANIFEST
    if config.reuse and manifest.is_file():
        found = json.loads(manifest.read_text())
        found["path"] = Path(found["path"])
        if found["path"].is_file():
            return MlflowStore(**found), None
    loaded = load(workspace.store_path, root / "mlflow.db")
    manifest.write_text(json.dumps({**asdict(loaded), "path": str(loaded.path)}, indent=2))
    return loaded, None


def _measure_all(bench: Bench, config: RunConfig) -> list[Result]:
    import_runs = config.options.import_runs or WorkspaceSize.at(bench.workspace.scale).import_runs
    steps: list[tuple[str, Callable[[], list[Result]]]] = [
        ("search", lambda: measures_tracking.search_measures(bench)),
        ("runs", lambda: measures_tracking.run_measures(bench)),
        ("registry", lambda: measures_tracking.registry_measures(bench)),
        ("monitoring", lambda: measures_tracking.monitoring_measures(bench)),
        ("planner", lambda: [measures_assistant.planner_measure(bench)]),
        ("retrieval", lambda: measures_assistant.retrieval_measure(bench)),
        ("indexing", lambda: [measures_assistant.indexing_measure(bench)]),
        ("import", lambda: measures_assistant.import_measure(bench, import_runs)),
    ]
    if config.console:
        steps.append(("console", lambda: [measures_assistant.console_measure(bench)]))
    if config.only is not None:
        unknown = set(config.only) - {name for name, _ in steps} - {DEMO_GROUP}
        if unknown:
            raise InvalidInputError(
                f"unknown measure {sorted(unknown)[0]!r}; use some of "
                + ", ".join([DEMO_GROUP, *(name for name, _ in steps)])
            )
        steps = [(name, step) for name, step in steps if name in config.only]
    results: list[Result] = []
    for name, step in steps:
        log.info("measuring %s at scale %g", name, bench.workspace.scale)
        try:
            results.extend(step())
        except Exception as exc:  # one broken component must not hide the other figures
            log.exception("the %s measure failed", name)
            results.append(Result(name, name, skipped=f"failed: {type(exc).__name__}: {exc}"))
    return results
