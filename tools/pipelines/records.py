"""Writing pipeline runs and step runs: each change is one short transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tools.pipelines.definition import PipelineDefinition
from tools.store.db import Store
from tools.store.schema import PipelineRun, StepRun

ACTIVE_STATUSES = ("queued", "running")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")


def create_run_rows(
    session: Session,
    definition: PipelineDefinition,
    *,
    trigger: str,
    triggered_by: str | None,
    params: dict[str, Any],
    orchestrator: str,
) -> PipelineRun:
    """Add a queued pipeline run and one queued step run per step."""
    run = PipelineRun(
        pipeline_name=definition.name,
        status="queued",
        trigger=trigger,
        triggered_by=triggered_by,
        params=params,
        orchestrator=orchestrator,
    )
    session.add(run)
    for position, kind in enumerate(definition.steps, start=1):
        session.add(StepRun(pipeline_run_id=run.id, name=kind, kind=kind, position=position))
    session.flush()
    return run


def active_runs(session: Session, pipeline: str) -> list[PipelineRun]:
    query = select(PipelineRun).where(
        PipelineRun.pipeline_name == pipeline, col(PipelineRun.status).in_(ACTIVE_STATUSES)
    )
    return list(session.exec(query).all())


def steps_of(session: Session, pipeline_run_id: str) -> list[StepRun]:
    query = (
        select(StepRun)
        .where(StepRun.pipeline_run_id == pipeline_run_id)
        .order_by(col(StepRun.position))
    )
    return list(session.exec(query).all())


def steps_of_runs(session: Session, pipeline_run_ids: list[str]) -> dict[str, list[StepRun]]:
    """Return the step runs of several pipeline runs, in step order, read in one query."""
    steps: dict[str, list[StepRun]] = {run_id: [] for run_id in pipeline_run_ids}
    if not pipeline_run_ids:
        return steps
    query = (
        select(StepRun)
        .where(col(StepRun.pipeline_run_id).in_(pipeline_run_ids))
        .order_by(col(StepRun.pipeline_run_id), col(StepRun.position))
    )
    for step in session.exec(query).all():
        steps[step.pipeline_run_id].append(step)
    return steps


def fail_open_steps(steps: Iterable[StepRun], error: str, when: datetime) -> str | None:
    """Mark the running step failed and queued ones skipped; return the failed step's name."""
    failed = None
    for step in steps:
        if step.status == "running":
            step.status = "failed"
            step.error = error
            step.ended_at = when
            failed = step.name
        elif step.status == "queued":
            step.status = "skipped"
    return failed


class RunRecorder:
    """Updates one pipeline run and its step runs as the runner reports progress."""

    def __init__(self, store: Store, pipeline_run_id: str) -> None:
        self.store = store
        self.pipeline_run_id = pipeline_run_id

    def update_run(self, **fields: Any) -> None:
        with self.store.session() as session:
            run = session.get(PipelineRun, self.pipeline_run_id)
            assert run is not None
            for key, value in fields.items():
                setattr(run, key, value)
            session.add(run)

    def update_step(self, kind: str, **fields: Any) -> None:
        with self.store.session() as session:
            step = self._step(session, kind)
            if "outputs" in fields:
                fields["outputs"] = {**(step.outputs or {}), **(fields["outputs"] or {})}
            for key, value in fields.items():
                setattr(step, key, value)
            session.add(step)

    def finish(self, status: str, error: str | None, when: datetime) -> None:
        """Close the run: its status, end time and every step still open."""
        with self.store.session() as session:
            run = session.get(PipelineRun, self.pipeline_run_id)
            assert run is not None
            run.status = status
            run.error = error
            run.ended_at = when
            session.add(run)
            for step in steps_of(session, self.pipeline_run_id):
                if step.status == "queued":
                    step.status = "skipped"
                elif step.status == "running":
                    step.status = "failed"
                    step.error = step.error or error
                    step.ended_at = when
                session.add(step)

    def _step(self, session: Session, kind: str) -> StepRun:
        step = session.exec(
            select(StepRun).where(
                StepRun.pipeline_run_id == self.pipeline_run_id, StepRun.kind == kind
            )
        ).one()
        return step
