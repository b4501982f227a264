"""Turn records read from MLflow into plain row dicts for the store's tables."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from tools.clock import now
from tools.mlflow_import import identity
from tools.mlflow_import.records import (
    ExperimentRecord,
    MetricRecord,
    ModelArtifacts,
    RunRecord,
    latest_points,
)
from tools.mlflow_import.tasks import TaskGuess

NOTE_TAG = "mlflow.note.content"


def json_ready(value: Any) -> Any:
    """Replace NaN and infinities, which JSON cannot hold, by their text form."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def same_json(left: Any, right: Any) -> bool:
    """Compare two JSON column values the way the store would hand them back."""
    return json.dumps(left, sort_keys=True, default=str) == json.dumps(
        right, sort_keys=True, default=str
    )


def experiment_row(source_key: str, record: ExperimentRecord, task: TaskGuess) -> dict[str, Any]:
    return {
        "id": identity.experiment_id(source_key, record.external_id),
        "name": record.name,
        "task": task.task,
        "task_source": task.source,
        "lifecycle_stage": record.lifecycle_stage,
        "artifact_location": record.artifact_location,
        "tags": record.tags,
        "source": source_key,
        "external_id": record.external_id,
        "updated_at": record.updated_at,
    }


def run_row(
    source_key: str, experiment_id: str, record: RunRecord, task: str | None
) -> dict[str, Any]:
    return {
        "id": record.run_id,
        "experiment_id": experiment_id,
        "name": record.name,
        "status": record.status,
        "start_time": record.start_time,
        "end_time": record.end_time,
        "user": record.user,
        "source_type": record.source_type,
        "source_name": record.source_name,
        "source_version": record.source_version,
        "entry_point": record.entry_point,
        "artifact_uri": record.artifact_uri,
        "lifecycle_stage": record.lifecycle_stage,
        "task": task,
        "note": record.note,
        "environment": run_environment(record),
        "source": source_key,
    }


def run_environment(record: RunRecord) -> dict[str, Any] | None:
    """Describe what the run logged as models, in the shape the registry service reads.

    ``python`` and ``dependencies`` come from the first model that records them, so that
    registering the run later inside ModelPilot finds its packages.
    """
    models = list(record.models)
    logged = [model.artifacts for model in record.logged_models if model.artifacts is not None]
    environment: dict[str, Any] = {}
    for described in [*models, *logged]:
        if described.dependencies:
            dependencies = dict(described.dependencies)
            python = dependencies.pop("python", None)
            if python:
                environment["python"] = python
            environment["dependencies"] = dependencies
            break
    if models:
        environment["models"] = [model.summary() for model in models]
    if record.logged_models:
        environment["logged_models"] = [model.summary() for model in record.logged_models]
    return json_ready(environment) if environment else None


def metric_rows(run_id: str, points: list[MetricRecord]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "key": point.key,
            "value": point.value,
            "step": point.step,
            "timestamp": point.timestamp,
        }
        for point in points
    ]


def latest_metric_rows(run_id: str, points: list[MetricRecord]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "key": key,
            "value": point.value,
            "step": point.step,
            "timestamp": point.timestamp,
        }
        for key, point in latest_points(points).items()
    ]


def key_value_rows(run_id: str, values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"run_id": run_id, "key": key, "value": value} for key, value in values.items()]


def metric_stats(points: list[MetricRecord]) -> dict[str, tuple[int, datetime | None]]:
    """Count and latest timestamp per metric key: what changes when MLflow appends values."""
    stats: dict[str, tuple[int, datetime | None]] = {}
    for point in points:
        count, latest = stats.get(point.key, (0, None))
        if point.timestamp is not None and (latest is None or point.timestamp > latest):
            latest = point.timestamp
        stats[point.key] = (count + 1, latest)
    return stats


def note_row(
    entity_type: str,
    entity_id: str,
    kind: str,
    body: str,
    *,
    title: str,
    author: str | None,
    source_path: str,
    created_at: datetime | None,
) -> dict[str, Any]:
    return {
        "id": identity.note_id(entity_type, entity_id, kind),
        "entity_type": entity_type,
        "entity_id": entity_id,
        "kind": kind,
        "title": title,
        "body": body,
        "author": author,
        "source_path": source_path,
        "created_at": created_at or now(),
    }


def artifacts_columns(artifacts: ModelArtifacts | None) -> dict[str, Any]:
    """Return the model_version columns that an MLmodel file fills."""
    if artifacts is None:
        return {"flavor": None, "structure": None, "signature": None, "dependencies": None}
    return {
        "flavor": artifacts.flavor,
        "structure": json_ready(artifacts.structure) or None,
        "signature": json_ready(artifacts.signature),
        "dependencies": artifacts.dependencies or None,
    }
