"""Logging a pipeline's training run into the store: experiment, run, params, metrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, func, select

from tools.datasets import link_run_dataset
from tools.pipelines.compute import TrainResult
from tools.pipelines.definition import PipelineDefinition
from tools.pipelines.training import CodeSnapshot
from tools.store.schema import (
    Experiment,
    LatestMetric,
    MetricPoint,
    Run,
    RunParam,
    RunTag,
)
from tools.vocabulary import find_task

# RunParam values are text; very long values (a list of thresholds, say) are cut to this.
MAX_PARAM_CHARS = 500


@dataclass(frozen=True)
class TrainingRunInfo:
    run_id: str
    name: str
    user: str | None
    entry_point: str
    artifact_dir: Path
    params: dict[str, object]
    snapshot: CodeSnapshot
    pipeline_run_id: str
    dataset_version_id: str | None


def experiment_for(session: Session, definition: PipelineDefinition) -> Experiment:
    """Return the experiment named after the pipeline, creating it on first use."""
    found = session.exec(select(Experiment).where(Experiment.name == definition.name)).first()
    if found is not None:
        return found
    task = definition.task or find_task(f"{definition.model} {definition.name}")
    task_source = None
    if definition.task:
        task_source = "explicit"
    elif task:
        task_source = "inferred"
    experiment = Experiment(
        name=definition.name,
        task=task,
        task_source=task_source,
        tags={"modelpilot.pipeline": definition.name, "modelpilot.model": definition.model},
        source="pipeline",
    )
    session.add(experiment)
    session.flush()
    return experiment


def start_training_run(
    session: Session, definition: PipelineDefinition, info: TrainingRunInfo, when: datetime
) -> Run:
    """Add the RUNNING run with its params, tags, code version and dataset lineage."""
    experiment = experiment_for(session, definition)
    run = Run(
        id=info.run_id,
        experiment_id=experiment.id,
        name=info.name,
        status="RUNNING",
        start_time=when,
        user=info.user,
        source_type="PIPELINE",
        source_name=info.snapshot.path,
        source_version=info.snapshot.sha256[:12],
        entry_point=info.entry_point,
        artifact_uri=str(info.artifact_dir),
        task=experiment.task,
        source="pipeline",
    )
    session.add(run)
    _add_params(session, run.id, {k: str(v) for k, v in info.params.items()})
    tags = {
        "modelpilot.pipeline": definition.name,
        "modelpilot.pipeline_run_id": info.pipeline_run_id,
        "modelpilot.model": definition.model,
        "modelpilot.code_sha256": info.snapshot.sha256,
    }
    session.add_all(RunTag(run_id=run.id, key=k, value=v) for k, v in tags.items())
    if info.dataset_version_id is not None:
        link_run_dataset(session, run.id, info.dataset_version_id, "training")
    return run


def finish_training_run(
    session: Session, run_id: str, result: TrainResult, started: datetime, ended: datetime
) -> None:
    """Record the trained model: history, estimator params, environment, FINISHED."""
    run = session.get(Run, run_id)
    assert run is not None
    known = set(session.exec(select(RunParam.key).where(RunParam.run_id == run_id)).all())
    extra = {k: v for k, v in result.estimator_params.items() if k not in known}
    _add_params(session, run_id, {"model_class": result.model_class, **extra})
    points = [
        (r.key, r.value, r.step, started + timedelta(seconds=r.elapsed_s)) for r in result.history
    ]
    _add_points(session, run_id, points)
    run.environment = result.environment
    run.status = "FINISHED"
    run.end_time = ended
    session.add(run)


def fail_training_run(session: Session, run_id: str, ended: datetime) -> None:
    run = session.get(Run, run_id)
    if run is not None:
        run.status = "FAILED"
        run.end_time = ended
        session.add(run)


def log_evaluation(
    session: Session, run_id: str, metrics: dict[str, float], when: datetime
) -> None:
    """Log test metrics after any history of the same key, so they become the latest value."""
    points = []
    for key, value in metrics.items():
        last = session.exec(
            select(func.max(MetricPoint.step)).where(
                MetricPoint.run_id == run_id, MetricPoint.key == key
            )
        ).one()
        points.append((key, value, 0 if last is None else int(last) + 1, when))
    _add_points(session, run_id, points)
    run = session.get(Run, run_id)
    if run is not None and (run.end_time is None or run.end_time < when):
        run.end_time = when
        session.add(run)


def _add_params(session: Session, run_id: str, params: dict[str, str]) -> None:
    session.add_all(
        RunParam(run_id=run_id, key=key[:250], value=value[:MAX_PARAM_CHARS])
        for key, value in params.items()
    )


def _add_points(
    session: Session, run_id: str, points: Iterable[tuple[str, float, int, datetime]]
) -> None:
    latest: dict[str, tuple[int, float, datetime]] = {}
    rows = []
    for key, value, step, timestamp in points:
        rows.append(
            {"run_id": run_id, "key": key, "value": value, "step": step, "timestamp": timestamp}
        )
        if key not in latest or step >= latest[key][0]:
            latest[key] = (step, value, timestamp)
    if rows:
        session.connection().execute(MetricPoint.__table__.insert(), rows)  # type: ignore[attr-defined]
    for key, (step, value, timestamp) in latest.items():
        row = session.get(LatestMetric, (run_id, key))
        if row is not None and row.step > step:
            continue
        row = row or LatestMetric(run_id=run_id, key=key, value=value)
        row.value, row.step, row.timestamp = value, step, timestamp
        session.add(row)


def metric_history_lengths(session: Session, run_id: str) -> dict[str, int]:
    query = (
        select(MetricPoint.key, func.count())
        .where(MetricPoint.run_id == run_id)
        .group_by(col(MetricPoint.key))
    )
    return {key: int(count) for key, count in session.exec(query).all()}
