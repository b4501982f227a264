"""Memory of one call: Python allocations (tracemalloc) and the process's peak RSS growth.

The two are taken in separate calls because tracemalloc itself allocates. RSS comes from
/proc/self/status: the high-water mark (VmHWM) is reset through /proc/self/clear_refs before
the call, so VmHWM after it minus VmRSS before it is the growth the call caused. Memory that
native libraries allocate (DuckDB's buffers, ONNX Runtime) shows in RSS but not in tracemalloc.
Where /proc is missing, RSS is read from ``resource.getrusage`` (a peak that cannot be reset).
"""

from __future__ import annotations

import gc
import resource
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
# Writing "5" to clear_refs resets the peak RSS (Linux 4.0 and later).
_RESET_PEAK = "5"


@dataclass(frozen=True)
class MemoryUse:
    python_peak_mb: float
    rss_growth_mb: float
    rss_method: str


def _status_kib(field: str) -> int | None:
    if not _STATUS.is_file():
        return None
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def rss_mb() -> float:
    """Resident set size of this process now, in MiB."""
    current = _status_kib("VmRSS")
    if current is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current / 1024


def peak_rss_mb() -> float:
    """Highest resident set size of this process since start or the last reset, in MiB."""
    peak = _status_kib("VmHWM")
    if peak is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak / 1024


def reset_peak() -> bool:
    """Reset the peak RSS of this process; return False where the kernel does not allow it."""
    try:
        _CLEAR_REFS.write_text(_RESET_PEAK)
    except OSError:
        return False
    return True


def measure_memory(call: Callable[[], Any]) -> MemoryUse:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    gc.collect()
    resettable = reset_peak()
    before = rss_mb()
    call()
    growth = max(0.0, peak_rss_mb() - before)
    method = "VmHWM-VmRSS" if resettable else "ru_maxrss growth (peak not resettable)"
    return MemoryUse(python_peak / 2**20, growth, method)
