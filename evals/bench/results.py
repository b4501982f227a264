"""One measured figure, and the context every measure runs in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.bench.generate import Workspace
from evals.bench.memory import MemoryUse, measure_memory
from evals.bench.mlflow_store import MlflowStore
from evals.bench.timing import Timing, time_calls
from tools.governance import Actor, Governor
from tools.settings import Settings
from tools.store.db import Store

log = logging.getLogger(__name__)

ACTOR = Actor("alice", "bench")


@dataclass
class Result:
    """A timed call (median and p95), a throughput, or a skip with its reason."""

    key: str
    title: str
    timing: Timing | None = None
    memory: MemoryUse | None = None
    rate: float | None = None
    rate_unit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Options:
    repeat: int = 30
    warmup: int = 3
    # A measure whose calls are slow gets fewer repetitions, so one run stays within minutes.
    budget_s: float = 90.0
    memory: bool = True
    mlflow: bool = True
    real_corpus: bool = False
    # Chunks embedded with MiniLM to time indexing.
    index_sample: int = 200
    # Runs in the mlruns folder of the import measure; None: scaled with the workspace.
    import_runs: int | None = None


@dataclass
class Bench:
    workspace: Workspace
    settings: Settings
    store: Store
    governor: Governor
    options: Options
    mlflow: MlflowStore | None = None
    mlflow_skipped: str | None = None


def timed(
    bench: Bench, key: str, title: str, call: Callable[[], Any], **details: Any
) -> tuple[Result, Any]:
    """Time ``call`` with the bench's repetitions and, if asked, measure its memory.

    The first call is never timed: it loads modules and fills caches.
    """
    options = bench.options
    started = time.perf_counter()
    first = call()
    first_s = time.perf_counter() - started
    repeat = options.repeat
    if first_s * repeat > options.budget_s:
        repeat = min(repeat, max(5, int(options.budget_s / max(first_s, 1e-6))))
    timing, last = time_calls(call, repeat, max(0, options.warmup - 1))
    memory = measure_memory(call) if options.memory else None
    log.info("%s: median %.1f ms, p95 %.1f ms", key, timing.median_ms, timing.p95_ms)
    return Result(key, title, timing, memory, details=details), last if last is not None else first


def invoke(bench: Bench, tool: str, arguments: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Return a call of ``tool`` through governance that raises unless the tool succeeds."""

    def call() -> dict[str, Any]:
        outcome = bench.governor.invoke(tool, arguments, ACTOR)
        if outcome.status != "ok" or outcome.result is None:
            raise RuntimeError(f"{tool} returned {outcome.status}: {outcome.error}")
        return outcome.result

    return call
