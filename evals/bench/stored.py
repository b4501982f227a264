"""Read a benchmark run back from its JSON file, to render the report again without rerunning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.bench.memory import MemoryUse
from evals.bench.results import Result
from evals.bench.runner import BenchRun, ScaleRun
from evals.bench.timing import Timing


def load_run(path: Path) -> BenchRun:
    data = json.loads(path.read_text())
    runs = [_scale_run(raw) for raw in data.pop("runs")]
    demo = [_result(raw) for raw in data.pop("demo", [])]
    return BenchRun(runs=runs, demo=demo, **data)


def _scale_run(raw: dict[str, Any]) -> ScaleRun:
    results = [_result(item) for item in raw.pop("results")]
    return ScaleRun(results=results, **raw)


def _result(raw: dict[str, Any]) -> Result:
    timing = raw.pop("timing")
    memory = raw.pop("memory")
    return Result(
        timing=Timing(**timing) if timing else None,
        memory=MemoryUse(**memory) if memory else None,
        **raw,
    )
