"""Records read from an MLflow store, before anything is written to ours.

Both readers (the mlruns folder reader and the MLflow client reader) produce these value
objects, so the writer never needs to know where a record came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class MetricRecord:
    """One logged value of a metric."""

    key: str
    value: float
    step: int
    timestamp: datetime | None


@dataclass
class ModelArtifacts:
    """Description of a model from its MLmodel file and the environment files next to it."""

    location: str
    flavor: str | None = None
    flavors: list[str] = field(default_factory=list)
    structure: dict[str, Any] = field(default_factory=dict)
    signature: dict[str, Any] | None = None
    dependencies: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready description, used where no table column fits."""
        return {
            "location": self.location,
            "flavor": self.flavor,
            "flavors": self.flavors,
            "structure": self.structure,
            "signature": self.signature,
            "dependencies": self.dependencies,
        }


@dataclass
class ExperimentRecord:
    external_id: str
    name: str
    lifecycle_stage: str = "active"
    artifact_location: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    location: str = ""  # folder or URI it was read from, for skip messages and notes


@dataclass
class RunRecord:
    run_id: str
    experiment_external_id: str
    name: str | None = None
    status: str = "FINISHED"
    start_time: datetime | None = None
    end_time: datetime | None = None
    user: str | None = None
    source_type: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    entry_point: str | None = None
    artifact_uri: str | None = None
    lifecycle_stage: str = "active"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_keys: list[str] = field(default_factory=list)
    location: str = ""
    # Filled in just before the run is written, so only one batch of metric history is in memory.
    metrics: list[MetricRecord] = field(default_factory=list)
    models: list[ModelArtifacts] = field(default_factory=list)
    logged_models: list[LoggedModelRecord] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        return self.tags.get("mlflow.note.content") or None


@dataclass
class LoggedModelRecord:
    """An MLflow 3 logged model (``<experiment>/models/m-*``)."""

    model_id: str
    experiment_external_id: str
    name: str | None = None
    source_run_id: str | None = None
    status: str | None = None
    model_type: str | None = None
    artifact_location: str | None = None
    created_at: datetime | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[MetricRecord] = field(default_factory=list)
    artifacts: ModelArtifacts | None = None
    location: str = ""

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready description with the last value of each metric."""
        latest = {key: point.value for key, point in latest_points(self.metrics).items()}
        described: dict[str, Any] = {
            "model_id": self.model_id,
            "name": self.name,
            "status": self.status,
            "model_type": self.model_type,
            "artifact_location": self.artifact_location,
            "params": self.params,
            "tags": self.tags,
            "metrics": latest,
        }
        if self.artifacts is not None:
            described["artifacts"] = self.artifacts.summary()
        return described


@dataclass
class ModelVersionRecord:
    model_name: str
    version: int
    run_id: str | None = None
    status: str = "READY"
    stage: str | None = None
    description: str | None = None
    source_uri: str | None = None
    model_id: str | None = None  # MLflow 3: the logged model this version registers
    user: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    location: str = ""
    artifacts: ModelArtifacts | None = None


@dataclass
class RegisteredModelRecord:
    name: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    versions: list[ModelVersionRecord] = field(default_factory=list)
    location: str = ""


def _latest_order(point: MetricRecord) -> tuple[int, float, float]:
    timestamp = point.timestamp.timestamp() if point.timestamp is not None else float("-inf")
    # NaN never wins against a real number, as in MLflow's comparison.
    value = float("-inf") if point.value != point.value else point.value
    return (point.step, timestamp, value)


def latest_points(points: list[MetricRecord]) -> dict[str, MetricRecord]:
    """Pick each metric's last value the way MLflow does: highest step, then latest timestamp."""
    latest: dict[str, MetricRecord] = {}
    for point in points:
        current = latest.get(point.key)
        if current is None or _latest_order(point) > _latest_order(current):
            latest[point.key] = point
    return latest
