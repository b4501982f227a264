"""Closing pipeline runs that can no longer finish.

A runner that was killed leaves its run "running", so every listing or trigger of pipeline
runs first calls ``reconcile_pipeline_runs``. It marks a run failed, and raises an alert, when
its runner process is gone, when its running step has overrun the step timeout by
``HUNG_GRACE``, or when it sat queued with no runner for ``QUEUED_GRACE``. The runner kills an
overrunning step itself, so only a hung runner reaches the second case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from tools.clock import now
from tools.pipelines.alerts import raise_pipeline_alert
from tools.pipelines.definition import PipelineDefinition
from tools.pipelines.processes import pid_alive
from tools.pipelines.records import ACTIVE_STATUSES, fail_open_steps, steps_of
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import Pipeline, PipelineRun, StepRun

log = logging.getLogger(__name__)

HUNG_GRACE = timedelta(minutes=5)
QUEUED_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class ClosedRun:
    pipeline_run_id: str
    pipeline: str
    model: str | None
    owner: str | None
    step: str | None
    error: str


def reconcile_pipeline_runs(store: Store, settings: Settings) -> list[str]:
    """Mark stale active runs failed and alert their owners; return their ids."""
    if settings.read_only:
        return []
    with store.session() as session:
        closed = reconcile_in_session(session, now())
    for run in closed:
        raise_pipeline_alert(
            store,
            settings,
            kind="pipeline_failed",
            pipeline=run.pipeline,
            pipeline_run_id=run.pipeline_run_id,
            model=run.model,
            owner=run.owner,
            step=run.step,
            error=run.error,
        )
    return [run.pipeline_run_id for run in closed]


def reconcile_in_session(session: Session, when: datetime) -> list[ClosedRun]:
    """Mark stale active runs failed inside ``session``; return what was closed."""
    query = select(PipelineRun).where(col(PipelineRun.status).in_(ACTIVE_STATUSES))
    closed = []
    for run in session.exec(query).all():
        steps = steps_of(session, run.id)
        definition = _definition(session, run.pipeline_name)
        reason = stale_reason(run, steps, definition, when)
        if reason is None:
            continue
        step = fail_open_steps(steps, reason, when)
        session.add_all(steps)
        run.status = "failed"
        run.error = reason
        run.ended_at = when
        session.add(run)
        log.warning(
            "pipeline run %s of %s marked failed: %s", run.id[:8], run.pipeline_name, reason
        )
        closed.append(
            ClosedRun(
                run.id,
                run.pipeline_name,
                definition.model if definition else None,
                definition.owner if definition else None,
                step,
                reason,
            )
        )
    return closed


def stale_reason(
    run: PipelineRun,
    steps: list[StepRun],
    definition: PipelineDefinition | None,
    when: datetime,
) -> str | None:
    """Return why an active run can no longer finish, or None while it still may."""
    if run.runner_pid is not None and not pid_alive(run.runner_pid):
        return (
            f"the runner process (pid {run.runner_pid}) ended before the run finished; "
            "it was killed or crashed"
        )
    running = [s for s in steps if s.status == "running" and s.started_at is not None]
    timeout = timedelta(seconds=definition.step_timeout_s if definition else 900.0)
    for step in running:
        assert step.started_at is not None
        if when - step.started_at > timeout + HUNG_GRACE:
            return (
                f"step {step.name} has run since {step.started_at:%Y-%m-%d %H:%M} UTC, past "
                f"its {timeout.total_seconds():g} s timeout; the runner stopped responding"
            )
    if run.status == "queued" and run.runner_pid is None and when - run.created_at > QUEUED_GRACE:
        return "no runner process picked the run up; trigger the pipeline again"
    return None


def _definition(session: Session, name: str) -> PipelineDefinition | None:
    row = session.exec(select(Pipeline).where(Pipeline.name == name)).first()
    if row is None or not row.definition:
        return None
    return PipelineDefinition.model_validate(row.definition)
