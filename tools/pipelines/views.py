"""Result shapes of the pipeline tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class StepRunView(BaseModel):
    name: str
    position: int
    status: str = Field(description="queued, running, succeeded, failed or skipped.")
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    error: str | None = None
    pid: int | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)


class PipelineRunView(BaseModel):
    pipeline_run_id: str
    pipeline: str
    status: str = Field(description="queued, running, succeeded, failed or cancelled.")
    trigger: str
    triggered_by: str | None = None
    orchestrator: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    dataset: str | None = Field(default=None, description="Dataset version it read.")
    training_run_id: str | None = None
    model: str | None = None
    model_version: int | None = None
    failed_step: str | None = None
    error: str | None = None


class PipelineRunDetail(PipelineRunView):
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    steps: list[StepRunView] = Field(default_factory=list)


class PipelineSummary(BaseModel):
    name: str
    model: str
    owner: str
    description: str | None = None
    dataset: str
    entry_point: str
    steps: list[str]
    gate: str | None = None
    alias: str
    orchestrator: str
    definition_path: str | None = None
    last_run: PipelineRunView | None = None
    last_success_at: datetime | None = None


class Change(BaseModel):
    """One difference between a failed run and the last successful run before it."""

    kind: Literal["dataset", "params", "code"]
    before: str | None = None
    after: str | None = None
    detail: str


class FailureExplanation(BaseModel):
    run: PipelineRunView
    failed_step: str | None
    error: str | None
    log_tail: list[str] = Field(default_factory=list)
    last_success: PipelineRunView | None = None
    changes: list[Change] = Field(default_factory=list)
    code_diff: str | None = None
    newer_success: PipelineRunView | None = Field(
        default=None, description="A successful run after the failed one, if any."
    )
    summary: str
