"""Repeated timing of one call: median and 95th percentile after warm-up calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Wall-clock milliseconds of repeated calls. ``p95_ms`` interpolates linearly between
    samples, so with 30 samples it lies between the second and third slowest call."""

    samples: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Timing:
        if not samples_ms:
            raise ValueError("no samples to summarise")
        return cls(
            samples=len(samples_ms),
            median_ms=statistics.median(samples_ms),
            p95_ms=float(np.percentile(samples_ms, 95)),
            min_ms=min(samples_ms),
            max_ms=max(samples_ms),
        )


def time_calls(call: Callable[[], Any], repeat: int, warmup: int) -> tuple[Timing, Any]:
    """Call ``warmup`` times untimed, then ``repeat`` times timed; return the timing and the
    last call's result."""
    result = None
    for _ in range(warmup):
        result = call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing.of(samples), result
