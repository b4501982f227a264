"""Result shapes of the registry services, shared by the tools and the assistant."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ModelSummary(BaseModel):
    name: str
    task: str | None
    description: str | None
    owner: str | None
    latest_version: int | None
    version_count: int
    aliases: dict[str, int] = Field(description="Alias name to the version it points at now.")
    updated_at: datetime | None


class VersionSummary(BaseModel):
    model: str
    version: int
    status: str
    run_id: str | None
    description: str | None
    created_at: datetime
    created_by: str | None
    aliases: list[str] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)


class RunLineage(BaseModel):
    run_id: str
    name: str | None
    experiment: str | None
    status: str
    start_time: datetime | None
    params: dict[str, str | None] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)


class DatasetRef(BaseModel):
    dataset: str
    version: int
    dataset_version_id: str
    context: str
    content_hash: str
    row_count: int | None


class DeploymentView(BaseModel):
    model: str
    environment: str
    version: int | None
    status: str
    endpoint: str | None
    updated_at: datetime


class ModelVersionDetail(VersionSummary):
    stage: str | None
    flavor: str | None
    source_uri: str | None
    structure: dict[str, Any] | None
    dependencies: dict[str, str] = Field(default_factory=dict)
    signature: dict[str, Any] | None
    tags: dict[str, str] = Field(default_factory=dict)
    training_script: str | None = Field(description="The start of the training script.")
    training_script_length: int = Field(description="Length of the whole script in characters.")
    training_script_truncated: bool
    model_card_present: bool
    model_card_source: str | None = Field(
        description="'model_version.model_card' or 'note', where the model card was found."
    )
    run: RunLineage | None
    datasets: list[DatasetRef] = Field(default_factory=list)
    deployments: list[DeploymentView] = Field(default_factory=list)


class AliasEventView(BaseModel):
    alias: str
    from_version: int | None
    to_version: int | None
    action: str
    actor: str | None
    reason: str | None
    occurred_at: datetime


class DeploymentEventView(BaseModel):
    model: str
    environment: str
    from_version: int | None
    to_version: int | None
    action: str
    actor: str | None
    note: str | None
    pipeline_run_id: str | None
    occurred_at: datetime


class RankedVersion(VersionSummary):
    task: str | None
    value: float | None = Field(description="The ranking metric's value, if ranked.")


class ComparedVersion(BaseModel):
    version: int
    status: str
    stage: str | None
    aliases: list[str] = Field(default_factory=list, description="Aliases that point at it now.")
    run_id: str | None
    run_name: str | None
    created_at: datetime
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="The version's evaluation metrics, filled in from its source run's.",
    )
    deployments: list[DeploymentView] = Field(
        default_factory=list, description="Environments that serve this version now."
    )


class MetricAcrossVersions(BaseModel):
    metric: str
    direction: Literal["max", "min"] = Field(
        description="max when higher is better, min when lower is."
    )
    values: list[float | None] = Field(description="One value per compared version, in order.")
    differences: list[float | None] = Field(
        description="Each value minus the baseline version's value, in the same order."
    )
    best_version: int | None = Field(
        description="The version with the best value, or None on a tie or with fewer than 2 values."
    )


class VersionComparison(BaseModel):
    model: str
    versions: list[ComparedVersion]
    baseline_version: int = Field(
        description="The first version given, which the differences are computed against."
    )
    main_metric: str | None = Field(
        description="The headline metric that every compared version has, if any."
    )
    best_version: int | None = Field(description="The best version on the main metric.")
    metrics: list[MetricAcrossVersions] = Field(default_factory=list)


class ChecklistItem(BaseModel):
    name: str
    passed: bool
    required: bool
    detail: str


class MetricDelta(BaseModel):
    key: str
    candidate: float | None
    baseline: float | None
    delta: float | None


class ValueChange(BaseModel):
    key: str
    candidate: str | None
    baseline: str | None


class VersionDiff(BaseModel):
    baseline_version: int | None = Field(
        description="The version the target alias points at now, if any."
    )
    metrics: list[MetricDelta] = Field(default_factory=list)
    params: list[ValueChange] = Field(default_factory=list, description="Run params that differ.")
    dependencies: list[ValueChange] = Field(
        default_factory=list, description="Packages added, removed or changed."
    )


class PromotionRequestView(BaseModel):
    id: str
    model: str
    version: int
    target_alias: str
    status: str
    requested_by: str
    reason: str | None
    reviewed_by: str | None
    review_comment: str | None
    checklist: list[ChecklistItem] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    diff: VersionDiff | None
    created_at: datetime
    reviewed_at: datetime | None


class AuditEntryView(BaseModel):
    id: int | None
    occurred_at: datetime
    user: str | None
    channel: str | None
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    mutating: bool
    outcome: str
    detail: str | None


class UserView(BaseModel):
    name: str
    role: str
    known: bool = Field(description="False for a user the store does not list (a viewer).")
    display_name: str | None = None
    slack_user_id: str | None = None
    created_at: datetime | None = None
