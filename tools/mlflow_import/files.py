"""Read the small files of an mlruns folder without ever raising on one bad file.

Every reader here records what it could not read in the import summary and returns what it
could, so one corrupt file costs one item, never the import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tools.mlflow_import.fields import from_millis
from tools.mlflow_import.records import MetricRecord
from tools.mlflow_import.summary import ImportSummary

# libyaml's loader read real models' 200-line conda.yaml files about 12 times faster than the
# pure-Python loader in one measurement on a single machine.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Malformed metric lines reported one by one per file before the rest are only counted.
_BAD_LINES_LISTED = 3


def read_text(path: Path) -> str:
    """Read a file as UTF-8, replacing undecodable bytes rather than failing on them."""
    return path.read_bytes().decode("utf-8", errors="replace")


def read_yaml(path: Path, entity: str, summary: ImportSummary) -> dict[str, Any] | None:
    """Parse a meta.yaml-style mapping, or record a skip and return None."""
    try:
        loaded = yaml.load(read_text(path), Loader=_YAML_LOADER)
    except OSError as exc:
        summary.skip(entity, str(path), f"cannot read the file: {exc.strerror or exc}")
        return None
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        summary.skip(entity, str(path), f"invalid YAML: {first_line}")
        return None
    if not isinstance(loaded, dict):
        summary.skip(entity, str(path), f"expected a YAML mapping, found {type(loaded).__name__}")
        return None
    return loaded


def read_key_files(folder: Path, entity: str, summary: ImportSummary) -> dict[str, str]:
    """Read a params/ or tags/ folder: one file per key, the file content is the value.

    MLflow allows "/" in keys and stores such keys as nested folders, so the key is the
    file's path relative to ``folder``. Values are kept exactly as written, as MLflow's own
    client returns them (MLflow writes no final newline, but older files may have one).
    """
    values: dict[str, str] = {}
    if not folder.is_dir():
        return values
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory) / name
            key = path.relative_to(folder).as_posix()
            try:
                values[key] = read_text(path)
            except OSError as exc:
                summary.skip(entity, str(path), f"cannot read the file: {exc.strerror or exc}")
    return values


def list_key_files(folder: Path) -> dict[str, Path]:
    """Map each key under a metrics/ folder (nested folders for "/" in keys) to its file."""
    files: dict[str, Path] = {}
    if not folder.is_dir():
        return files
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory) / name
            files[path.relative_to(folder).as_posix()] = path
    return files


def parse_metric_line(line: str) -> tuple[int, float, int] | None:
    """Parse ``timestamp value [step [run id | dataset name, dataset digest]]``.

    MLflow 1 wrote two fields, MLflow 2 three, and MLflow 3 adds a run id (logged models) or a
    dataset name and digest after the step. Returns None for a line that does not fit.
    """
    parts = line.split()
    if len(parts) < 2 or len(parts) > 5:
        return None
    try:
        timestamp = int(float(parts[0]))
        value = float(parts[1])
        step = int(float(parts[2])) if len(parts) >= 3 else 0
    except ValueError:
        return None
    return timestamp, value, step


def read_metric_file(path: Path, key: str, summary: ImportSummary) -> list[MetricRecord]:
    """Read every valid line of one metric's history file; report the malformed ones."""
    try:
        text = read_text(path)
    except OSError as exc:
        summary.skip("metric_points", str(path), f"cannot read the file: {exc.strerror or exc}")
        return []
    points: list[MetricRecord] = []
    bad_lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed = parse_metric_line(line)
        if parsed is None:
            bad_lines.append(number)
            continue
        timestamp, value, step = parsed
        points.append(MetricRecord(key, value, step, from_millis(timestamp)))
    _report_bad_lines(path, bad_lines, summary)
    return points


def _report_bad_lines(path: Path, bad_lines: list[int], summary: ImportSummary) -> None:
    expected = "expected 'timestamp value [step]'"
    for number in bad_lines[:_BAD_LINES_LISTED]:
        summary.skip("metric_points", f"{path}:{number}", f"malformed metric line; {expected}")
    rest = len(bad_lines) - _BAD_LINES_LISTED
    if rest > 0:
        summary.skip(
            "metric_points", str(path), f"{rest} more malformed metric line(s); {expected}", rest
        )
