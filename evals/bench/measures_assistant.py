"""Measures of the assistant end to end, knowledge retrieval and indexing, and MLflow import."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from evals.bench import import_bench, knowledge_bench
from evals.bench.memory import MemoryUse, measure_memory, peak_rss_mb, reset_peak, rss_mb
from evals.bench.requests import requests_for
from evals.bench.results import ACTOR, Bench, Result, timed
from evals.bench.sizes import WorkspaceSize
from evals.bench.timing import Timing

log = logging.getLogger(__name__)

CONSOLE_TIMEOUT_S = 900


def planner_measure(bench: Bench) -> Result:
    """The 50 requests through ``Assistant.ask``: rules planner, tool calls, composed answer."""
    from assistant.service import Assistant

    assistant = Assistant(bench.settings, bench.store)
    requests = requests_for(bench.workspace)
    passes = max(1, bench.options.repeat // 10)
    if bench.options.warmup > 0:
        for i, text in enumerate(requests):
            assistant.ask(text, ACTOR, f"warm-{i}")

    outcomes: Counter[str] = Counter()
    samples: list[float] = []
    per_request: dict[str, list[float]] = {text: [] for text in requests}
    for number in range(passes):
        for i, text in enumerate(requests):
            started = time.perf_counter()
            answer = assistant.ask(text, ACTOR, f"pass-{number}-{i}")
            elapsed = (time.perf_counter() - started) * 1000
            samples.append(elapsed)
            per_request[text].append(elapsed)
            if number == 0:
                outcomes[_outcome(answer)] += 1

    def one_pass() -> None:
        for i, text in enumerate(requests):
            assistant.ask(text, ACTOR, f"memory-{i}-{time.perf_counter_ns()}")

    memory = measure_memory(one_pass) if bench.options.memory else None
    slowest = sorted(per_request.items(), key=lambda item: -max(item[1]))[:5]
    details: dict[str, Any] = {
        "requests": len(requests),
        "passes": passes,
        "outcomes": dict(outcomes),
        "slowest": {text: round(max(times), 1) for text, times in slowest},
    }
    title = f"{len(requests)} requests through Assistant.ask (rules planner, end to end)"
    return Result("planner", title, Timing.of(samples), memory, details=details)


def _outcome(answer: Any) -> str:
    """Sort an answer into ok, confirmation, a tool error, or no tool call (and why)."""
    if answer.needs_confirmation:
        return "needs confirmation"
    if not answer.tool_calls:
        return f"no tool call ({answer.planner})"
    failed = [call for call in answer.tool_calls if call.status != "ok"]
    if failed:
        return f"{failed[0].name}: {failed[0].status}"
    return "ok"


def retrieval_measure(bench: Bench) -> list[Result]:
    """Retrieval over the workspace's knowledge index (built on first use)."""
    workspace = bench.workspace
    chunks = workspace_chunks(bench)
    # A folder of its own: the workspace's knowledge folder also receives the documents that
    # the knowledge tool syncs from the store while the planner is measured.
    index, build = knowledge_bench.build_retrieval_index(
        Path(workspace.root) / "retrieval-index",
        Path(workspace.root) / "notes",
        chunks,
        workspace.seed,
        bench.options.real_corpus,
    )
    try:
        queries = itertools.cycle(knowledge_bench.QUERIES)
        size = index.stats().chunks
        result, _ = timed(
            bench,
            "retrieval",
            f"knowledge search over {size} chunks (fused dense + BM25)",
            lambda: index.search(next(queries), k=5),
            chunks=size,
            corpus_vectors="MiniLM" if bench.options.real_corpus else "token hashing",
        )
    finally:
        index.close()
    if build.chunks:
        result.details["corpus_build_s"] = round(build.seconds, 1)
    return [result]


def workspace_chunks(bench: Bench) -> int:
    return WorkspaceSize.at(bench.workspace.scale).knowledge_chunks


def indexing_measure(bench: Bench) -> Result:
    """Chunks per second of ``index_path`` with the real encoder, on a fresh sample."""
    work = Path(bench.workspace.root) / "index-sample"
    chunks = min(bench.options.index_sample, workspace_chunks(bench))
    reset_peak()
    before = rss_mb()
    run = knowledge_bench.index_sample(work, chunks, bench.workspace.seed)
    growth = max(0.0, peak_rss_mb() - before)
    memory = None
    if bench.options.memory:
        sample = max(8, chunks // 4)
        peak = _python_peak(lambda: knowledge_bench.index_sample(work, sample, 1))
        memory = MemoryUse(peak, growth, "VmHWM-VmRSS; Python peak on a quarter of the sample")
    log.info("indexing: %.1f chunks/s", run.chunks_per_s)
    return Result(
        "indexing",
        f"indexing {run.chunks} chunks with MiniLM (index_path)",
        memory=memory,
        rate=run.chunks_per_s,
        rate_unit="chunks/s",
        details={"chunks": run.chunks, "seconds": round(run.seconds, 1)},
    )


def import_measure(bench: Bench, runs: int) -> list[Result]:
    """Runs and metric points per second of ``import_mlflow`` from an mlruns folder."""
    root = Path(bench.workspace.root)
    source = root / "mlruns"
    points = import_bench.write_mlruns(source, runs, bench.workspace.seed)
    reset_peak()
    before = rss_mb()
    run = import_bench.time_import(source, root / "import-home", runs, points)
    growth = max(0.0, peak_rss_mb() - before)
    memory = None
    if bench.options.memory:
        home = root / "import-home-traced"
        python_peak = _python_peak(lambda: import_bench.time_import(source, home, runs, points))
        memory = MemoryUse(python_peak, growth, "VmHWM-VmRSS")
    log.info("import: %.1f runs/s", run.runs_per_s)
    details = {"runs": runs, "metric_points": points, "seconds": round(run.seconds, 1)}
    title = f"import_mlflow of {runs} runs from an mlruns folder"
    return [
        Result(
            "import_runs",
            title,
            memory=memory,
            rate=run.runs_per_s,
            rate_unit="runs/s",
            details=details,
        ),  # fmt: skip
        Result(
            "import_points",
            title,
            rate=run.points_per_s,
            rate_unit="metric points/s",
            details=details,
        ),  # fmt: skip
    ]


def _python_peak(call: Any) -> float:
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def console_measure(bench: Bench) -> Result:
    """Measure the RSS of a separate process with the console's state after 100 requests."""
    bench.store.release()
    command = [sys.executable, "-m", "evals.bench.console_rss", bench.workspace.root]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=CONSOLE_TIMEOUT_S, check=False
    )
    title = "RSS of a console-like process (Assistant, warm lexicon, 100 answered requests)"
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return Result("console_rss", title, skipped=f"the console process failed: {reason}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return Result("console_rss", title, rate=figures["rss_mb"], rate_unit="MiB", details=figures)
