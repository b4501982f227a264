"""Small builders that write tracking rows straight into a test store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from tools.store.db import Store
from tools.store.schema import (
    Experiment,
    LatestMetric,
    MetricPoint,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    Run,
    RunParam,
    RunTag,
    User,
)


def add_experiment(store: Store, name: str, task: str | None = None) -> str:
    with store.session() as session:
        experiment = Experiment(name=name, task=task)
        session.add(experiment)
        return experiment.id


def add_run(
    store: Store,
    experiment_id: str,
    name: str,
    started: datetime,
    metrics: dict[str, float | list[float]],
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    status: str = "FINISHED",
    task: str | None = None,
) -> str:
    """Add a run; a list of metric values becomes a history with steps 0..n-1."""
    with store.session() as session:
        run = Run(
            experiment_id=experiment_id,
            name=name,
            status=status,
            start_time=started,
            end_time=started + timedelta(minutes=5),
            user="carol",
            task=task,
        )
        session.add(run)
        for key, value in (params or {}).items():
            session.add(RunParam(run_id=run.id, key=key, value=value))
        for key, value in (tags or {}).items():
            session.add(RunTag(run_id=run.id, key=key, value=value))
        for key, values in metrics.items():
            history = values if isinstance(values, list) else [values]
            for step, value in enumerate(history):
                session.add(
                    MetricPoint(
                        run_id=run.id,
                        key=key,
                        value=value,
                        step=step,
                        timestamp=started + timedelta(seconds=step),
                    )
                )
            session.add(
                LatestMetric(
                    run_id=run.id,
                    key=key,
                    value=history[-1],
                    step=len(history) - 1,
                    timestamp=started + timedelta(seconds=len(history) - 1),
                )
            )
        return run.id


def add_model_version(
    store: Store,
    model: str,
    version: int,
    run_id: str | None,
    task: str | None = None,
    aliases: tuple[str, ...] = (),
) -> None:
    with store.session() as session:
        if session.get(RegisteredModel, model) is None and not any(
            m.name == model for m in session.exec(select(RegisteredModel)).all()
        ):
            session.add(RegisteredModel(name=model, task=task))
        session.add(ModelVersion(model_name=model, version=version, run_id=run_id))
        for alias in aliases:
            existing = session.get(ModelAlias, (model, alias))
            if existing:
                existing.version = version
                session.add(existing)
            else:
                session.add(ModelAlias(model_name=model, alias=alias, version=version))


def add_user(store: Store, name: str, role: str) -> None:
    with store.session() as session:
        session.add(User(name=name, role=role))
