"""Result shapes of the tracking queries, shared by the tools and the answer composer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ModelVersionRef(BaseModel):
    model: str
    version: int
    aliases: list[str] = Field(default_factory=list)


class RunSummary(BaseModel):
    run_id: str
    name: str | None
    experiment: str
    status: str
    start_time: datetime | None
    end_time: datetime | None = None
    user: str | None = None
    task: str | None = None
    metric_value: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    model_versions: list[ModelVersionRef] = Field(default_factory=list)


class RunDetail(RunSummary):
    params: dict[str, str | None] = Field(default_factory=dict)
    tags: dict[str, str | None] = Field(default_factory=dict)
    note: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    artifact_uri: str | None = None
    datasets: list[dict[str, str | int | None]] = Field(default_factory=list)
    metric_history_lengths: dict[str, int] = Field(default_factory=dict)


class ExperimentSummary(BaseModel):
    experiment_id: str
    name: str
    task: str | None
    run_count: int
    last_run_at: datetime | None
    metrics: list[str] = Field(default_factory=list)
    source: str | None = None


class MetricPointView(BaseModel):
    step: int
    value: float
    timestamp: datetime | None
