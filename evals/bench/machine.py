"""A description of the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        return None
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return None
    return completed.stdout.strip() or None


def describe() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "mlflow": _version("mlflow") or _version("mlflow-skinny"),
        "mlflow_distribution": "mlflow" if _version("mlflow") else "mlflow-skinny",
        "sqlalchemy": _version("sqlalchemy"),
        "chromadb": _version("chromadb"),
        "onnxruntime": _version("onnxruntime"),
        "commit": _commit(),
    }


def load_average() -> tuple[float, float, float] | None:
    """Return the 1, 5 and 15 minute load averages; other work on the machine skews figures."""
    try:
        return os.getloadavg()
    except OSError:
        return None
