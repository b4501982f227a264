"""The rules planner on the demo workspace: every one-turn request of the demo gold set, timed.

The synthetic workspace shows how the tools scale. This measure shows how long a user of the
demo waits for a reply from the rules planner. Each
request runs as the gold item's user with the item's pinned "now", in a fresh conversation,
end to end through ``Assistant.ask`` (planning, governance, tool calls, audit, answer).
Mutations stop at the confirmation request, so the workspace's models never change.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from evals.bench.machine import load_average
from evals.bench.results import Options, Result
from evals.bench.timing import Timing
from evals.harness.gold import GoldItem, gold_files, load_items, select_items
from evals.harness.workspaces import (
    READY_MARKER,
    build_demo_workspace,
    pinned_now,
    workspace_settings,
)
from tools.governance import Actor

log = logging.getLogger(__name__)

KEY = "planner_demo"


def demo_requests() -> list[GoldItem]:
    """Return the demo gold items with a single user turn and nothing to set up first."""
    items = select_items(load_items(gold_files()), workspaces=("demo",))
    return [item for item in items if len(item.turns) == 1 and not item.setup]


def demo_planner_measure(work_dir: Path, reuse: bool, options: Options) -> Result:
    """Build (or reuse) the demo workspace under ``work_dir`` and time every request.

    Every request runs once untimed when ``options.warmup`` is set (it loads modules, the
    embedding model and caches), then ``options.repeat // 10`` timed passes (at least one).
    """
    from assistant.service import Assistant
    from tools.store.db import open_store

    home = work_dir / "demo" / ".modelpilot"
    build_s = _build(home, reuse)
    settings = workspace_settings(home)
    store = open_store(settings)
    assistant = Assistant(settings, store)
    items = demo_requests()
    load = load_average()
    passes = max(1, options.repeat // 10)
    samples: list[float] = []
    worst: dict[str, float] = {}
    try:
        if options.warmup > 0:
            for item in items:
                _ask(assistant, item, f"warm-{item.id}")
        for number in range(passes):
            for item in items:
                elapsed = _ask(assistant, item, f"{number}-{item.id}")
                samples.append(elapsed)
                worst[item.turns[0]] = max(worst.get(item.turns[0], 0.0), elapsed)
    finally:
        store.release()
    slowest = sorted(worst.items(), key=lambda entry: -entry[1])[:8]
    details: dict[str, Any] = {
        "requests": len(items),
        "passes": passes,
        "untimed_pass": options.warmup > 0,
        "load_before": None if load is None else round(load[0], 2),
        "under_50_ms": round(sum(1 for s in samples if s < 50) / len(samples), 3),
        "workspace_build_s": round(build_s, 1),
        "slowest": {text: round(ms, 1) for text, ms in slowest},
    }
    title = f"{len(items)} demo requests through Assistant.ask (rules planner, end to end)"
    return Result(KEY, title, Timing.of(samples), details=details)


def _build(home: Path, reuse: bool) -> float:
    if reuse and (home / READY_MARKER).is_file():
        return 0.0
    started = time.perf_counter()
    build_demo_workspace(home)
    (home / READY_MARKER).write_text("built for the planner benchmark\n")
    return time.perf_counter() - started


def _ask(assistant: Any, item: GoldItem, conversation: str) -> float:
    with pinned_now(item.now):
        started = time.perf_counter()
        assistant.ask(item.turns[0], Actor(item.user, "bench"), conversation)
        return (time.perf_counter() - started) * 1000
