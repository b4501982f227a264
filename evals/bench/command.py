"""Run the benchmark and write its JSON and Markdown; shared by both command lines."""

from __future__ import annotations

import logging
from pathlib import Path

from evals.bench.report import write_json, write_markdown
from evals.bench.runner import BenchRun, RunConfig, run
from evals.bench.stored import load_run

log = logging.getLogger(__name__)

JSON_NAME = "benchmarks.json"
MARKDOWN_NAME = "benchmarks.md"


def execute(config: RunConfig, report: Path | None, command: str) -> tuple[Path, Path]:
    """Run the measures; return the paths of the JSON results and the Markdown report.

    With ``config.only`` and an earlier results file in the output folder, the new figures
    replace the same measures of the same scales there, and the rest is kept.
    """
    result = run(config)
    result.command = command
    json_path = config.out / JSON_NAME
    if config.only is not None and json_path.is_file():
        result = merge(load_run(json_path), result)
    markdown_path = report or config.out / MARKDOWN_NAME
    write_json(result, json_path)
    write_markdown(result, markdown_path, result.command)
    log.info("wrote %s and %s", json_path, markdown_path)
    return json_path, markdown_path


def merge(earlier: BenchRun, later: BenchRun) -> BenchRun:
    """Put the results of ``later`` into ``earlier``, measure by measure and scale by scale."""
    by_scale = {scale_run.scale: scale_run for scale_run in earlier.runs}
    for scale_run in later.runs:
        kept = by_scale.get(scale_run.scale)
        if kept is None:
            earlier.runs.append(scale_run)
            continue
        replaced = {result.key for result in scale_run.results}
        kept.results = [r for r in kept.results if r.key not in replaced] + scale_run.results
    if later.demo:
        earlier.demo = later.demo
    earlier.command = f"{earlier.command}; then {later.command}"
    return earlier
