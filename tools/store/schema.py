"""SQLModel tables for the whole model lifecycle.

Design notes for DuckDB:
- Entity keys are text ids (MLflow's own ids where an entity was imported, else uuid4 hex);
  high-volume rows (metric points, inference records, audit entries) use BIGINT keys fed by an
  explicit sequence, because DuckDB has no implicit autoincrement.
- Metric values and other measurements are DOUBLE (``float`` alone would map to 32-bit FLOAT).
- Rows that other rows reference are never re-keyed: DuckDB checks foreign keys on updates of
  indexed columns, so the schema declares no FOREIGN KEY constraints and the services keep the
  references consistent inside their transactions.
- Every timestamp is TIMESTAMPTZ and comes back as aware UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Double, Index, Sequence, Table, Text
from sqlmodel import Field, SQLModel

from tools.clock import now
from tools.store.types import DOUBLE, JSONText, UTCDateTime

SCHEMA_VERSION = 1


def new_id() -> str:
    return uuid.uuid4().hex


def _time(nullable: bool = True, **kwargs: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kwargs)


def _created() -> Any:
    return Field(default_factory=now, sa_type=UTCDateTime, nullable=False)


def _json(default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_type=JSONText)
    return Field(default_factory=default, sa_type=JSONText)


def _sequence_key(name: str) -> Any:
    sequence = Sequence(name)
    column = Column(BigInteger, sequence, primary_key=True, server_default=sequence.next_value())
    return Field(default=None, sa_column=column)


def _sequence_number(name: str) -> Any:
    """A BIGINT filled from a sequence on insert: orders rows that share a timestamp."""
    sequence = Sequence(name)
    column = Column(BigInteger, sequence, server_default=sequence.next_value())
    return Field(default=None, sa_column=column)


class StoreMeta(SQLModel, table=True):
    __tablename__ = "store_meta"
    key: str = Field(primary_key=True)
    value: str


# --- projects, experiments, runs -------------------------------------------------------------


class Project(SQLModel, table=True):
    __tablename__ = "project"
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    description: str | None = None
    created_at: datetime = _created()


class Experiment(SQLModel, table=True):
    __tablename__ = "experiment"
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str | None = None
    name: str = Field(index=True)
    task: str | None = None
    task_source: str | None = None  # "explicit", "inferred" or None
    lifecycle_stage: str = "active"
    artifact_location: str | None = None
    tags: dict[str, str] | None = _json(dict)
    source: str | None = None  # where it was imported from, e.g. "mlflow:/path/to/mlruns"
    external_id: str | None = None  # the experiment id inside that source
    created_at: datetime = _created()
    updated_at: datetime | None = _time()


class Run(SQLModel, table=True):
    __tablename__ = "run"
    __table_args__ = (Index("ix_run_experiment_start", "experiment_id", "start_time"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    experiment_id: str = Field(index=True)
    name: str | None = Field(default=None, index=True)
    status: str = "FINISHED"  # RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
    start_time: datetime | None = _time()
    end_time: datetime | None = _time()
    user: str | None = None
    source_type: str | None = None
    source_name: str | None = None
    source_version: str | None = None  # code version, e.g. a git commit
    entry_point: str | None = None
    artifact_uri: str | None = None
    lifecycle_stage: str = "active"
    task: str | None = None
    note: str | None = None
    environment: dict[str, Any] | None = _json()
    source: str | None = None
    created_at: datetime = _created()


class RunParam(SQLModel, table=True):
    __tablename__ = "run_param"
    run_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str | None = None


class RunTag(SQLModel, table=True):
    __tablename__ = "run_tag"
    run_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str | None = None


class MetricPoint(SQLModel, table=True):
    """One logged value of a metric: the full history, not just the last value."""

    __tablename__ = "metric_point"
    __table_args__ = (Index("ix_metric_point_run_key", "run_id", "key"),)
    id: int | None = _sequence_key("metric_point_id_seq")
    run_id: str
    key: str
    value: float = Field(sa_type=DOUBLE)
    step: int = Field(default=0, sa_type=BigInteger)
    timestamp: datetime | None = _time()


class LatestMetric(SQLModel, table=True):
    """The last value of each metric of a run (highest step, then latest timestamp)."""

    __tablename__ = "latest_metric"
    # Ranking reads by (key, value); run summaries read a page of runs by run_id.
    __table_args__ = (
        Index("ix_latest_metric_key_value", "key", "value"),
        Index("ix_latest_metric_run", "run_id"),
    )
    run_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: float = Field(sa_type=DOUBLE)
    step: int = Field(default=0, sa_type=BigInteger)
    timestamp: datetime | None = _time()


# --- model registry, aliases, deployments ---------------------------------------------------


class RegisteredModel(SQLModel, table=True):
    __tablename__ = "registered_model"
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    description: str | None = None
    task: str | None = None
    owner: str | None = None
    tags: dict[str, str] | None = _json(dict)
    source: str | None = None
    created_at: datetime = _created()
    updated_at: datetime | None = _time()


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_version"
    __table_args__ = (
        Index("ix_model_version_model_version", "model_name", "version", unique=True),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    model_name: str = Field(index=True)
    version: int
    run_id: str | None = Field(default=None, index=True)
    status: str = "READY"  # READY, ARCHIVED, FAILED_REGISTRATION
    stage: str | None = None  # MLflow's legacy stage (None, Staging, Production, Archived)
    description: str | None = None
    source_uri: str | None = None
    flavor: str | None = None
    metrics: dict[str, float] | None = _json(dict)
    structure: dict[str, Any] | None = _json()
    dependencies: dict[str, str] | None = _json()
    training_script: str | None = None
    model_card: str | None = None
    signature: dict[str, Any] | None = _json()
    tags: dict[str, str] | None = _json(dict)
    created_by: str | None = None
    created_at: datetime = _created()
    updated_at: datetime | None = _time()


class ModelAlias(SQLModel, table=True):
    """The version an alias points at now; ``AliasEvent`` keeps the full history."""

    __tablename__ = "model_alias"
    model_name: str = Field(primary_key=True)
    alias: str = Field(primary_key=True)
    version: int
    assigned_at: datetime = _created()
    assigned_by: str | None = None


class AliasEvent(SQLModel, table=True):
    __tablename__ = "alias_event"
    __table_args__ = (Index("ix_alias_event_model_alias", "model_name", "alias", "occurred_at"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    model_name: str
    alias: str
    from_version: int | None = None
    to_version: int | None = None  # None when the alias was removed
    action: str = "set"  # set, move, remove, rollback, promote, import
    actor: str | None = None
    reason: str | None = None
    occurred_at: datetime = _created()
    seq: int | None = _sequence_number("alias_event_seq")


class Deployment(SQLModel, table=True):
    """What serves in an environment now; ``DeploymentEvent`` keeps the history."""

    __tablename__ = "deployment"
    id: str = Field(default_factory=new_id, primary_key=True)
    model_name: str = Field(index=True)
    environment: str = "production"
    version: int | None = None
    status: str = "active"  # active, stopped, failed
    endpoint: str | None = None
    updated_at: datetime = _created()


class DeploymentEvent(SQLModel, table=True):
    __tablename__ = "deployment_event"
    id: str = Field(default_factory=new_id, primary_key=True)
    model_name: str = Field(index=True)
    environment: str = "production"
    from_version: int | None = None
    to_version: int | None = None
    action: str = "deploy"  # deploy, rollback, undeploy
    actor: str | None = None
    pipeline_run_id: str | None = None
    note: str | None = None
    occurred_at: datetime = _created()
    seq: int | None = _sequence_number("deployment_event_seq")


class PromotionRequest(SQLModel, table=True):
    __tablename__ = "promotion_request"
    id: str = Field(default_factory=new_id, primary_key=True)
    model_name: str
    version: int
    target_alias: str = "production"
    status: str = "pending"  # pending, approved, rejected, cancelled
    requested_by: str
    reviewed_by: str | None = None
    reason: str | None = None
    review_comment: str | None = None
    checklist: dict[str, Any] | None = _json()
    metrics: dict[str, float] | None = _json()
    diff: dict[str, Any] | None = _json()
    created_at: datetime = _created()
    reviewed_at: datetime | None = _time()


# --- datasets --------------------------------------------------------------------------------


class Dataset(SQLModel, table=True):
    __tablename__ = "dataset"
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    description: str | None = None
    owner: str | None = None
    created_at: datetime = _created()


class DatasetVersion(SQLModel, table=True):
    __tablename__ = "dataset_version"
    id: str = Field(default_factory=new_id, primary_key=True)
    dataset_name: str = Field(index=True)
    version: int
    content_hash: str = Field(index=True)
    path: str | None = None
    format: str | None = None  # csv, parquet, hdf5
    split: str | None = None
    source: str | None = None
    tags: dict[str, str] | None = _json(dict)
    columns: list[dict[str, Any]] | None = _json()  # schema: name and type per column
    row_count: int | None = Field(default=None, sa_type=BigInteger)
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    profile: dict[str, Any] | None = _json()
    quality: list[dict[str, Any]] | None = _json()
    created_by: str | None = None
    created_at: datetime = _created()


class RunDataset(SQLModel, table=True):
    """Lineage: which dataset versions a run read, and in which role."""

    __tablename__ = "run_dataset"
    run_id: str = Field(primary_key=True)
    dataset_version_id: str = Field(primary_key=True)
    context: str = "training"  # training, validation, evaluation


# --- pipelines -------------------------------------------------------------------------------


class Pipeline(SQLModel, table=True):
    __tablename__ = "pipeline"
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    model_name: str | None = None
    owner: str | None = None
    definition_path: str | None = None
    definition: dict[str, Any] | None = _json()
    created_at: datetime = _created()
    updated_at: datetime | None = _time()


class PipelineRun(SQLModel, table=True):
    __tablename__ = "pipeline_run"
    id: str = Field(default_factory=new_id, primary_key=True)
    pipeline_name: str = Field(index=True)
    status: str = "queued"  # queued, running, succeeded, failed, cancelled
    trigger: str = "manual"  # manual, schedule, alert, demo
    triggered_by: str | None = None
    params: dict[str, Any] | None = _json()
    dataset_version_id: str | None = None
    run_id: str | None = None  # the training run it logged
    model_version: int | None = None
    error: str | None = None
    runner_pid: int | None = None
    orchestrator: str = "local"
    created_at: datetime = _created()
    started_at: datetime | None = _time()
    ended_at: datetime | None = _time()


class StepRun(SQLModel, table=True):
    __tablename__ = "step_run"
    id: str = Field(default_factory=new_id, primary_key=True)
    pipeline_run_id: str = Field(index=True)
    name: str
    kind: str  # preprocess, train, evaluate, gate, register, deploy, notify
    position: int
    status: str = "queued"  # queued, running, succeeded, failed, skipped
    log: str | None = None
    error: str | None = None
    outputs: dict[str, Any] | None = _json()
    pid: int | None = None
    started_at: datetime | None = _time()
    ended_at: datetime | None = _time()


# --- monitoring and alerts -------------------------------------------------------------------


class InferenceRecord(SQLModel, table=True):
    """One prediction served by a model; its feature values are rows of ``inference_feature``.

    There is no index on (model_name, timestamp): monitoring queries scan a model's time window,
    which DuckDB's per-row-group min/max statistics already narrow down, and the index slowed
    bulk ingestion by about 40 %.
    """

    __tablename__ = "inference_record"
    id: int | None = _sequence_key("inference_record_id_seq")
    model_name: str
    version: int | None = None
    timestamp: datetime = Field(sa_type=UTCDateTime)
    latency_ms: float | None = Field(default=None, sa_type=DOUBLE)
    status: str = "ok"  # ok, error
    prediction: str | None = None
    confidence: float | None = Field(default=None, sa_type=DOUBLE)
    label: str | None = None
    source: str | None = None


# The feature values of inference records, one row per (record, feature), kept apart from the
# records so drift is a GROUP BY over two columns instead of parsing JSON for every feature and
# row. It is a plain table with no key: a composite primary key made bulk inserts of millions of
# rows about eight times slower in DuckDB, and rows are only ever inserted, never updated.
inference_feature = Table(
    "inference_feature",
    SQLModel.metadata,
    Column("record_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("num_value", Double),
    Column("str_value", Text),
)


class MonitoringPolicy(SQLModel, table=True):
    """Per-model alert thresholds and what an alert does (notify only, or retrain).

    A NULL threshold means the default of ``tools.monitoring.policy``.
    """

    __tablename__ = "monitoring_policy"
    model_name: str = Field(primary_key=True)
    latency_p95_ms: float | None = Field(default=None, sa_type=DOUBLE)
    drift_psi: float | None = Field(default=None, sa_type=DOUBLE)
    drift_js: float | None = Field(default=None, sa_type=DOUBLE)
    drift_linf: float | None = Field(default=None, sa_type=DOUBLE)
    drift_pvalue: float | None = Field(default=None, sa_type=DOUBLE)
    numeric_drift_method: str | None = None  # psi, jensen_shannon
    categorical_drift_method: str | None = None  # l_infinity, chi_squared
    confidence_drop: float | None = Field(default=None, sa_type=DOUBLE)
    error_rate: float | None = Field(default=None, sa_type=DOUBLE)
    accuracy_min: float | None = Field(default=None, sa_type=DOUBLE)
    window_hours: float | None = Field(default=None, sa_type=DOUBLE)
    baseline_hours: float | None = Field(default=None, sa_type=DOUBLE)
    on_alert: str = "notify"  # notify, retrain
    retrain_pipeline: str | None = None
    cooldown_hours: float = Field(default=24.0, sa_type=DOUBLE)
    last_retrain_at: datetime | None = _time()
    baseline_dataset_version_id: str | None = None
    updated_by: str | None = None
    updated_at: datetime = _created()


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    id: str = Field(default_factory=new_id, primary_key=True)
    kind: str  # drift, latency, confidence, error_rate, pipeline_failed, gate_failed
    severity: str = "warning"  # info, warning, critical
    status: str = "open"  # open, acknowledged, resolved
    model_name: str | None = Field(default=None, index=True)
    pipeline_run_id: str | None = None
    dedup_key: str | None = Field(default=None, index=True)
    title: str
    message: str | None = None
    details: dict[str, Any] | None = _json()
    owner: str | None = None
    notified: str | None = None  # channel the notification went to, if any
    occurrences: int = 1
    created_at: datetime = _created()
    updated_at: datetime | None = _time()
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = _time()


# --- notes, users, governance ----------------------------------------------------------------


class Note(SQLModel, table=True):
    """Free text tied to an entity: experiment notes, model cards, notes written in chat."""

    __tablename__ = "note"
    id: str = Field(default_factory=new_id, primary_key=True)
    entity_type: str | None = None  # run, experiment, model_version, registered_model, dataset
    entity_id: str | None = Field(default=None, index=True)
    kind: str = "note"  # note, model_card, run_note, description
    title: str | None = None
    body: str
    author: str | None = None
    source_path: str | None = None
    created_at: datetime = _created()


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    name: str = Field(primary_key=True)
    role: str = "viewer"  # viewer, editor, approver, admin
    display_name: str | None = None
    slack_user_id: str | None = Field(default=None, index=True)
    created_at: datetime = _created()


class AuditEntry(SQLModel, table=True):
    """One tool call; append-only through the tools."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_occurred_at", "occurred_at"),)
    id: int | None = _sequence_key("audit_entry_id_seq")
    occurred_at: datetime = _created()
    user: str | None = None
    channel: str | None = None
    tool: str
    arguments: dict[str, Any] | None = _json()
    mutating: bool = False
    outcome: str  # ok, error, denied, needs_confirmation, confirmed, rejected
    detail: str | None = None


class ConfirmationRequest(SQLModel, table=True):
    """A pending mutation waiting for the same user to confirm it."""

    __tablename__ = "confirmation_request"
    token: str = Field(primary_key=True)
    user: str
    tool: str
    arguments: dict[str, Any] | None = _json()
    state_fingerprint: str
    summary: str
    created_at: datetime = _created()
    used_at: datetime | None = _time()


class ImportRecord(SQLModel, table=True):
    """One import of an external source, with its summary."""

    __tablename__ = "import_record"
    id: str = Field(default_factory=new_id, primary_key=True)
    source: str
    kind: str = "mlflow"
    summary: dict[str, Any] | None = _json()
    started_at: datetime = _created()
    ended_at: datetime | None = _time()
