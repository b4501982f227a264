"""Reading pipelines and pipeline runs for the tools."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from tools.errors import NotFoundError
from tools.pipelines.records import steps_of
from tools.pipelines.views import (
    PipelineRunDetail,
    PipelineRunView,
    PipelineSummary,
    StepRunView,
)
from tools.pipelines.workspace import definition_of
from tools.store.schema import DatasetVersion, LatestMetric, Pipeline, PipelineRun, StepRun

# A run id prefix shorter than this matches too many runs to be useful.
MIN_PREFIX = 6


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def dataset_label(session: Session, dataset_version_id: str | None) -> str | None:
    if dataset_version_id is None:
        return None
    row = session.get(DatasetVersion, dataset_version_id)
    return None if row is None else f"{row.dataset_name} v{row.version}"


def step_view(step: StepRun) -> StepRunView:
    return StepRunView(
        name=step.name,
        position=step.position,
        status=step.status,
        started_at=step.started_at,
        ended_at=step.ended_at,
        duration_s=_seconds(step.started_at, step.ended_at),
        error=step.error,
        pid=step.pid,
        outputs=step.outputs or {},
    )


def run_view(session: Session, run: PipelineRun) -> PipelineRunView:
    pipeline = session.exec(select(Pipeline).where(Pipeline.name == run.pipeline_name)).first()
    failed = session.exec(
        select(StepRun.name).where(StepRun.pipeline_run_id == run.id, StepRun.status == "failed")
    ).first()
    dataset = dataset_label(session, run.dataset_version_id)
    if dataset is None and pipeline is not None and pipeline.definition:
        dataset = definition_of(pipeline).dataset.label()
    return PipelineRunView(
        pipeline_run_id=run.id,
        pipeline=run.pipeline_name,
        status=run.status,
        trigger=run.trigger,
        triggered_by=run.triggered_by,
        orchestrator=run.orchestrator,
        created_at=run.created_at,
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration_s=_seconds(run.started_at, run.ended_at),
        dataset=dataset,
        training_run_id=run.run_id,
        model=pipeline.model_name if pipeline else None,
        model_version=run.model_version,
        failed_step=failed,
        error=run.error,
    )


def run_detail(session: Session, run: PipelineRun) -> PipelineRunDetail:
    metrics: dict[str, float] = {}
    if run.run_id:
        rows = session.exec(select(LatestMetric).where(LatestMetric.run_id == run.run_id)).all()
        metrics = {row.key: float(row.value) for row in rows}
    return PipelineRunDetail(
        **run_view(session, run).model_dump(),
        params=run.params or {},
        metrics=metrics,
        steps=[step_view(step) for step in steps_of(session, run.id)],
    )


def find_run(session: Session, reference: str) -> PipelineRun:
    """Find a pipeline run by id or unique id prefix."""
    reference = reference.strip()
    run = session.get(PipelineRun, reference)
    if run is not None:
        return run
    if len(reference) < MIN_PREFIX:
        raise NotFoundError(
            f"no pipeline run {reference!r}; give at least {MIN_PREFIX} characters of its id"
        )
    rows = session.exec(
        select(PipelineRun).where(col(PipelineRun.id).startswith(reference)).limit(3)
    ).all()
    if len(rows) == 1:
        return rows[0]
    if rows:
        raise NotFoundError(f"pipeline run id prefix {reference!r} is ambiguous; give more of it")
    raise NotFoundError(
        f"no pipeline run {reference!r}; list runs with the list_pipeline_runs tool"
    )


def latest_run(
    session: Session,
    pipeline: str,
    *,
    statuses: tuple[str, ...] | None = None,
    before: datetime | None = None,
    after: datetime | None = None,
) -> PipelineRun | None:
    """Return the newest run of ``pipeline`` with one of ``statuses`` in the time bounds."""
    query = select(PipelineRun).where(PipelineRun.pipeline_name == pipeline)
    if statuses:
        query = query.where(col(PipelineRun.status).in_(statuses))
    if before is not None:
        query = query.where(PipelineRun.created_at < before)
    if after is not None:
        query = query.where(PipelineRun.created_at > after)
    return session.exec(query.order_by(col(PipelineRun.created_at).desc())).first()


def list_runs(
    session: Session,
    *,
    pipeline: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[PipelineRun]:
    query = select(PipelineRun)
    if pipeline is not None:
        query = query.where(PipelineRun.pipeline_name == pipeline)
    if status is not None:
        query = query.where(PipelineRun.status == status)
    if start is not None:
        query = query.where(col(PipelineRun.created_at) >= start)
    if end is not None:
        query = query.where(col(PipelineRun.created_at) < end)
    query = query.order_by(col(PipelineRun.created_at).desc()).limit(limit)
    return list(session.exec(query).all())


def pipeline_summary(session: Session, row: Pipeline) -> PipelineSummary:
    definition = definition_of(row)
    last = latest_run(session, row.name)
    success = latest_run(session, row.name, statuses=("succeeded",))
    return PipelineSummary(
        name=row.name,
        model=definition.model,
        owner=definition.owner,
        description=definition.description,
        dataset=definition.dataset.label(),
        entry_point=definition.entry_point,
        steps=list(definition.steps),
        gate=definition.gate,
        alias=definition.alias,
        orchestrator=definition.orchestrator,
        definition_path=row.definition_path,
        last_run=run_view(session, last) if last else None,
        last_success_at=(success.ended_at or success.created_at) if success else None,
    )
