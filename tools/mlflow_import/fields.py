"""Normalise MLflow field values that differ between MLflow 1, 2 and 3 and between readers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# MLflow's RunStatus enum numbers, as the file store writes them into meta.yaml.
_RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
# MLflow's SourceType enum numbers.
_SOURCE_TYPE = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 1000: "UNKNOWN"}
# The LoggedModelStatus protobuf numbers used in MLflow 3 ``models/m-*/meta.yaml``.
_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
_RUN_STATUS_NAMES = frozenset(_RUN_STATUS.values())


def from_millis(value: Any) -> datetime | None:
    """Convert MLflow's epoch milliseconds (int, float or numeric text) to aware UTC."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        millis = float(value)
    except (TypeError, ValueError):
        return None
    if millis != millis or millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def text_or_none(value: Any) -> str | None:
    """Return ``value`` as text, treating None and the empty string as absent."""
    if value is None:
        return None
    text = str(value)
    return text if text else None


def run_status(value: Any) -> str:
    """Map a run status (enum number or name) to its name; unknown values become UNKNOWN."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _RUN_STATUS.get(value, "UNKNOWN")
    text = str(value or "").strip().upper()
    if text.isdigit():
        return _RUN_STATUS.get(int(text), "UNKNOWN")
    if text.startswith("RUNSTATUS."):
        text = text.removeprefix("RUNSTATUS.")
    return text if text in _RUN_STATUS_NAMES else "UNKNOWN"


def source_type(value: Any) -> str | None:
    """Map a source type (enum number or name) to its name."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _SOURCE_TYPE.get(value, str(value))
    text = str(value).strip()
    if text.isdigit():
        return _SOURCE_TYPE.get(int(text), text)
    return text.upper()


def logged_model_status(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _LOGGED_MODEL_STATUS.get(value, str(value))
    text = str(value).strip().upper()
    if text.isdigit():
        return _LOGGED_MODEL_STATUS.get(int(text), text)
    return text.removeprefix("LOGGEDMODELSTATUS.").removeprefix("LOGGED_MODEL_")


def stage(value: Any) -> str | None:
    """Return MLflow's legacy stage, with its placeholder "None" read as no stage."""
    text = text_or_none(value)
    if text is None or text.strip().lower() == "none":
        return None
    return text


def version_number(value: Any) -> int | None:
    """Read a model version number that may be an int or numeric text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def string_map(value: Any) -> dict[str, str]:
    """Return a mapping of text to text, or an empty one when ``value`` is not a mapping."""
    if not isinstance(value, dict):
        return {}
    return {str(key): "" if item is None else str(item) for key, item in value.items()}
