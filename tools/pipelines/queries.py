"""Reading pipelines and pipeline runs for the tools.

A run's view shows its pipeline's model, the dataset version it read and its failed step.
Listings read all of that with the runs in one query, so they cost the same few statements
however many runs they show. A tool that shows one run loads its steps anyway, so it takes
the failed step from them and skips the costlier listing query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from tools.errors import NotFoundError
from tools.pipelines.definition import PipelineDefinition
from tools.pipelines.views import (
    PipelineRunDetail,
    PipelineRunView,
    PipelineSummary,
    StepRunView,
)
from tools.pipelines.workspace import definition_of
from tools.store.schema import DatasetVersion, LatestMetric, Pipeline, PipelineRun, StepRun

# A query for pipeline runs whose rows start with the run and its dataset version's name and
# version; listing queries add more columns.
RunQuery = Select[*tuple[Any, ...]]

# A run id prefix shorter than this matches too many runs to be useful.
MIN_PREFIX = 6


@dataclass(frozen=True)
class RunRow:
    """A pipeline run and the label of the dataset version it read, read in one query."""

    run: PipelineRun
    dataset: str | None  # "name vN" of the dataset version row, or None when that row is missing


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _run_select() -> RunQuery:
    """Select runs with the name and version of the dataset version each one read."""
    return select(PipelineRun, DatasetVersion.dataset_name, DatasetVersion.version).outerjoin(
        DatasetVersion, col(DatasetVersion.id) == col(PipelineRun.dataset_version_id)
    )


def _listing_select() -> RunQuery:
    """Select runs as ``_run_select`` does, plus their pipeline row and first failed step."""
    failed = (
        select(StepRun.name)
        .where(StepRun.pipeline_run_id == PipelineRun.id, StepRun.status == "failed")
        .order_by(col(StepRun.position))
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            PipelineRun,
            DatasetVersion.dataset_name,
            DatasetVersion.version,
            Pipeline,
            failed.label("failed_step"),
        )
        .outerjoin(DatasetVersion, col(DatasetVersion.id) == col(PipelineRun.dataset_version_id))
        .outerjoin(Pipeline, col(Pipeline.name) == col(PipelineRun.pipeline_name))
    )


def _run_row(values: Sequence[Any]) -> RunRow:
    run, dataset_name, version = values[:3]
    dataset = None if dataset_name is None else f"{dataset_name} v{version}"
    return RunRow(run=run, dataset=dataset)


def _run_rows(session: Session, query: RunQuery) -> list[RunRow]:
    return [_run_row(values) for values in session.exec(query).all()]


def _listed_views(session: Session, query: RunQuery) -> list[PipelineRunView]:
    """Run a ``_listing_select`` query and build a view of each run it returns."""
    definitions: dict[str, PipelineDefinition] = {}
    views = []
    for values in session.exec(query).all():
        row, pipeline, failed_step = _run_row(values), values[3], values[4]
        definition = None
        if pipeline is not None and pipeline.definition:
            # Parse each pipeline's definition once, not once per run.
            if pipeline.name not in definitions:
                definitions[pipeline.name] = definition_of(pipeline)
            definition = definitions[pipeline.name]
        views.append(run_view(row, pipeline, failed_step, definition))
    return views


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


def first_failed_step(steps: Sequence[StepRun]) -> StepRun | None:
    """Return the failed step that comes first in step order (``steps`` must be in order)."""
    return next((step for step in steps if step.status == "failed"), None)


def run_view(
    row: RunRow,
    pipeline: Pipeline | None,
    failed_step: str | None,
    definition: PipelineDefinition | None = None,
) -> PipelineRunView:
    """Build a run's view; ``definition`` saves parsing the pipeline's definition again."""
    run = row.run
    dataset = row.dataset
    if dataset is None and pipeline is not None and pipeline.definition:
        # A run that failed before recording its dataset version shows what it was meant to read.
        dataset = (definition or definition_of(pipeline)).dataset.label()
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
        failed_step=failed_step,
        error=run.error,
    )


def pipeline_row(session: Session, name: str) -> Pipeline | None:
    return session.exec(select(Pipeline).where(Pipeline.name == name)).first()


def run_detail(
    session: Session, row: RunRow, pipeline: Pipeline | None, steps: Sequence[StepRun]
) -> PipelineRunDetail:
    """Build a run's detail from its steps (in step order) and its training run's metrics."""
    run = row.run
    metrics: dict[str, float] = {}
    if run.run_id:
        rows = session.exec(select(LatestMetric).where(LatestMetric.run_id == run.run_id)).all()
        metrics = {metric.key: float(metric.value) for metric in rows}
    failed = first_failed_step(steps)
    return PipelineRunDetail(
        **run_view(row, pipeline, failed.name if failed else None).model_dump(),
        params=run.params or {},
        metrics=metrics,
        steps=[step_view(step) for step in steps],
    )


def find_run(session: Session, reference: str) -> RunRow:
    """Find a pipeline run by id or unique id prefix."""
    reference = reference.strip()
    exact = col(PipelineRun.id) == reference
    # One query reads the exact match (sorted first) and up to two other prefix matches.
    query = (
        _run_select()
        .where(or_(exact, col(PipelineRun.id).startswith(reference, autoescape=True)))
        .order_by(exact.desc())
        .limit(3)
    )
    rows = _run_rows(session, query)
    if rows and rows[0].run.id == reference:
        return rows[0]
    if len(reference) < MIN_PREFIX:
        raise NotFoundError(
            f"no pipeline run {reference!r}; give at least {MIN_PREFIX} characters of its id"
        )
    if len(rows) == 1:
        return rows[0]
    if rows:
        raise NotFoundError(f"pipeline run id prefix {reference!r} is ambiguous; give more of it")
    raise NotFoundError(
        f"no pipeline run {reference!r}; list runs with the list_pipeline_runs tool"
    )


def latest_run(
    session: Session, pipeline: str | None, *, statuses: tuple[str, ...] | None = None
) -> RunRow | None:
    """Return the newest run of ``pipeline`` (of any pipeline if None) with one of ``statuses``."""
    query = _run_select()
    if pipeline is not None:
        query = query.where(col(PipelineRun.pipeline_name) == pipeline)
    if statuses:
        query = query.where(col(PipelineRun.status).in_(statuses))
    rows = _run_rows(session, query.order_by(col(PipelineRun.created_at).desc()).limit(1))
    return rows[0] if rows else None


def successes_around(session: Session, run: PipelineRun) -> tuple[RunRow | None, RunRow | None]:
    """Return the last succeeded run of the same pipeline before ``run`` and the newest after it."""
    created = col(PipelineRun.created_at)
    # Rank the succeeded runs newest first on each side of ``run``, and keep rank 1 of each side.
    rank = func.row_number().over(partition_by=created > run.created_at, order_by=created.desc())
    ranked = (
        select(PipelineRun.id, rank.label("rank"))
        .where(
            col(PipelineRun.pipeline_name) == run.pipeline_name,
            col(PipelineRun.status) == "succeeded",
            created != run.created_at,
        )
        .subquery()
    )
    query = _run_select().join(ranked, ranked.c.id == col(PipelineRun.id)).where(ranked.c.rank == 1)
    rows = _run_rows(session, query)
    previous = next((row for row in rows if row.run.created_at < run.created_at), None)
    newer = next((row for row in rows if row.run.created_at > run.created_at), None)
    return previous, newer


def list_runs(
    session: Session,
    *,
    pipeline: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[PipelineRunView]:
    """Return the views of the newest runs that match every given filter, newest first."""
    query = _listing_select()
    if pipeline is not None:
        query = query.where(col(PipelineRun.pipeline_name) == pipeline)
    if status is not None:
        query = query.where(col(PipelineRun.status) == status)
    if start is not None:
        query = query.where(col(PipelineRun.created_at) >= start)
    if end is not None:
        query = query.where(col(PipelineRun.created_at) < end)
    query = query.order_by(col(PipelineRun.created_at).desc()).limit(limit)
    return _listed_views(session, query)


def pipeline_summaries(session: Session, pipelines: Sequence[Pipeline]) -> list[PipelineSummary]:
    """Summarise pipelines with their last run and last success, read in one query."""
    last, success_at = _latest_runs(session, [row.name for row in pipelines])
    summaries = []
    for row in pipelines:
        definition = definition_of(row)
        summaries.append(
            PipelineSummary(
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
                last_run=last.get(row.name),
                last_success_at=success_at.get(row.name),
            )
        )
    return summaries


def _latest_runs(
    session: Session, pipelines: list[str]
) -> tuple[dict[str, PipelineRunView], dict[str, datetime]]:
    """Return each pipeline's newest run and the end time of its newest succeeded run.

    A succeeded run without a recorded end time counts from its creation time.
    """
    if not pipelines:
        return {}, {}
    newest = func.row_number().over(
        partition_by=PipelineRun.pipeline_name, order_by=col(PipelineRun.created_at).desc()
    )
    newest_of_status = func.row_number().over(
        partition_by=(PipelineRun.pipeline_name, PipelineRun.status),
        order_by=col(PipelineRun.created_at).desc(),
    )
    ranked = (
        select(PipelineRun.id, newest.label("newest"), newest_of_status.label("newest_of_status"))
        .where(col(PipelineRun.pipeline_name).in_(pipelines))
        .subquery()
    )
    is_last = ranked.c.newest == 1
    is_success = and_(col(PipelineRun.status) == "succeeded", ranked.c.newest_of_status == 1)
    query = (
        _listing_select()
        .join(ranked, ranked.c.id == col(PipelineRun.id))
        .where(or_(is_last, is_success))
        .order_by(col(PipelineRun.created_at).desc())
    )
    last: dict[str, PipelineRunView] = {}
    success_at: dict[str, datetime] = {}
    for view in _listed_views(session, query):
        # Newest first, so the first run seen of each pipeline is its newest one.
        last.setdefault(view.pipeline, view)
        if view.status == "succeeded" and view.pipeline not in success_at:
            success_at[view.pipeline] = view.ended_at or view.created_at
    return last, success_at
