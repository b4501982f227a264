"""The eval harness: run the gold items through the assistant, score them, write the report.

from evals.harness import EvalOptions, run_eval
run = run_eval(EvalOptions(planner="rules", categories=("search_rank",)))
run.summary.overall.overall.rate
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from evals.harness.gold import GoldItem, first_per_group, gold_files, load_items, select_items
from evals.harness.report import (
    RunInfo,
    json_report,
    markdown_report,
    write_json,
    write_markdown,
)
from evals.harness.routing import PlannerMode
from evals.harness.runner import ItemResult, Progress, run_items
from evals.harness.scoring import Summary, summarise
from evals.harness.workspaces import PROJECT_ROOT, WorkspacePool
from tools.errors import InvalidInputError

__all__ = ["EvalOptions", "EvalRun", "run_eval", "write_reports"]

log = logging.getLogger(__name__)

DEFAULT_MARKDOWN = PROJECT_ROOT / "docs" / "evals.md"
DEFAULT_JSON = PROJECT_ROOT / "evals" / "results" / "latest.json"


@dataclass(frozen=True)
class EvalOptions:
    planner: PlannerMode = "rules"
    categories: Sequence[str] = ()
    workspaces: Sequence[str] = ()
    languages: Sequence[str] = ()
    repeats: int = 1
    gold: Sequence[Path] = ()
    # A folder to keep built workspaces in between runs (for development; see WorkspacePool).
    cache_dir: Path | None = None
    # Only the first N items of each workspace, category and language (slow LLM runs).
    per_category: int | None = None


@dataclass
class EvalRun:
    summary: Summary
    info: RunInfo
    results: list[ItemResult] = field(default_factory=list)


def run_eval(options: EvalOptions, progress: Progress | None = None) -> EvalRun:
    """Run the selected gold items and return their scores; writes no report."""
    if options.repeats < 1:
        raise InvalidInputError(f"--repeat must be at least 1, not {options.repeats}")
    files = list(options.gold) or gold_files()
    items = select_items(
        load_items(files), options.categories, options.workspaces, options.languages
    )
    if options.per_category is not None:
        items = first_per_group(items, options.per_category)
    if not items:
        raise InvalidInputError(
            "no gold items match the selection; check --category and --workspace"
        )
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.perf_counter()
    pool = WorkspacePool.temporary(options.cache_dir, documents=_needs_documents(items))
    try:
        results = run_items(items, pool, options.planner, options.repeats, progress)
        build_seconds = {name: built.seconds for name, built in pool.built.items()}
    finally:
        pool.close()
    info = RunInfo(
        started_at=started_at,
        seconds=time.perf_counter() - started,
        items=len(items),
        gold_files=[path.name for path in files],
        build_seconds=build_seconds,
    )
    return EvalRun(summarise(results, options.planner, options.repeats), info, results)


def _needs_documents(items: Sequence[GoldItem]) -> bool:
    """Index the realdata documents only when a selected realdata item may search them."""
    return any(
        item.workspace == "realdata" and item.category in ("knowledge", "prompt_injection")
        for item in items
    )


def write_reports(
    run: EvalRun, markdown: Path = DEFAULT_MARKDOWN, json_path: Path = DEFAULT_JSON
) -> None:
    write_markdown(markdown, markdown_report(run.summary, run.info))
    write_json(json_path, json_report(run.summary, run.info, run.results))
    log.info("eval report written to %s and %s", markdown, json_path)
