"""Read queries over experiments and runs, written as SQL that scales to 100k+ runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, nulls_last, or_, true
from sqlmodel import Session, col, select

from tools.errors import InvalidInputError, NotFoundError
from tools.resolve import not_found, resolve_runs
from tools.store.schema import (
    Experiment,
    LatestMetric,
    MetricPoint,
    Run,
)
from tools.tracking.filter_grammar import compile_filter
from tools.tracking.summaries import summarise_runs
from tools.tracking.views import ExperimentSummary, MetricPointView, RunSummary
from tools.vocabulary import find_metric, metric_direction

Direction = Literal["max", "min"]


@dataclass(frozen=True)
class RunQuery:
    experiment_ids: Sequence[str] | None = None
    task: str | None = None
    metric: str | None = None
    direction: Direction | None = None
    filter: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    name_contains: str | None = None
    limit: int = 10


def metric_keys(session: Session, experiment_ids: Sequence[str] | None = None) -> list[str]:
    """Return the metric keys logged in the store, optionally within some experiments."""
    query = select(col(LatestMetric.key)).distinct()
    if experiment_ids:
        query = query.join(Run, col(Run.id) == col(LatestMetric.run_id)).where(
            col(Run.experiment_id).in_(experiment_ids)
        )
    return sorted(str(key) for key in session.exec(query).all())


def resolve_metric(session: Session, text: str, experiment_ids: Sequence[str] | None = None) -> str:
    """Map what the user typed ("accuracy", "准确率", "val acc") to a logged metric key."""
    # An exact key is the common case, and one row of it is found without listing every key.
    if _metric_logged(session, text, experiment_ids):
        return text
    keys = metric_keys(session, experiment_ids)
    if text in keys:
        return text
    found = find_metric(text, keys)
    if found is None:
        scope = "these runs" if experiment_ids else "the store"
        raise not_found("metric", text, keys, f"metrics logged in {scope}: {', '.join(keys[:15])}")
    return found


def _metric_logged(session: Session, key: str, experiment_ids: Sequence[str] | None) -> bool:
    query = select(col(LatestMetric.run_id)).where(col(LatestMetric.key) == key)
    if experiment_ids:
        query = query.join(Run, col(Run.id) == col(LatestMetric.run_id)).where(
            col(Run.experiment_id).in_(experiment_ids)
        )
    return session.exec(query.limit(1)).first() is not None


def _conditions(query: RunQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Run.lifecycle_stage) == "active"]
    if query.experiment_ids:
        conditions.append(col(Run.experiment_id).in_(query.experiment_ids))
    if query.task:
        # A run's own task can be narrower than its experiment's (tumor-classification runs in
        # a tabular-classification experiment); either one matching counts.
        conditions.append(or_(col(Run.task) == query.task, col(Experiment.task) == query.task))
    if query.status:
        conditions.append(col(Run.status) == query.status.upper())
    if query.start is not None:
        conditions.append(col(Run.start_time) >= query.start)
    if query.end is not None:
        conditions.append(col(Run.start_time) < query.end)
    if query.name_contains:
        conditions.append(col(Run.name).ilike(f"%{query.name_contains}%"))
    if query.filter:
        conditions.append(compile_filter(query.filter))
    return conditions


def search_runs(
    session: Session, query: RunQuery
) -> tuple[list[RunSummary], int, Direction | None]:
    """Return the top runs for the query, the number of matches, and the ranking direction."""
    if query.limit < 1 or query.limit > 1000:
        raise InvalidInputError(f"limit {query.limit} is out of range; use 1 to 1000")
    direction = query.direction or (metric_direction(query.metric) if query.metric else None)
    where = and_(true(), *_conditions(query))
    # The window count runs over every match before the limit, so one query gives the top
    # runs and the number of matches.
    total_column = func.count().over().label("total")

    ranked: Any
    if query.metric:
        value = col(LatestMetric.value)
        ranked = (
            select(col(Run.id), value, total_column)
            .join(Experiment, col(Experiment.id) == col(Run.experiment_id))
            .join(
                LatestMetric,
                and_(
                    col(LatestMetric.run_id) == col(Run.id), col(LatestMetric.key) == query.metric
                ),
            )
            .where(where)
            .order_by(
                value.desc() if direction == "max" else value.asc(), col(Run.start_time).desc()
            )
        )
    else:
        ranked = (
            select(col(Run.id), col(Run.start_time), total_column)
            .join(Experiment, col(Experiment.id) == col(Run.experiment_id))
            .where(where)
            .order_by(nulls_last(col(Run.start_time).desc()))
        )

    rows = session.exec(ranked.limit(query.limit)).all()  # type: ignore[call-overload]
    total = int(rows[0][2]) if rows else 0
    ids = [row[0] for row in rows]
    values = {row[0]: row[1] for row in rows} if query.metric else {}
    summaries = summarise_runs(session, ids, ranking_metric=query.metric)
    for summary in summaries:
        summary.metric_value = values.get(summary.run_id)
    return summaries, total, direction


def best_run_per_experiment(
    session: Session,
    metric: str,
    direction: Direction,
    task: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[str, RunSummary | None]]:
    """Return each experiment that logs ``metric`` with its best run in [start, end), by name.

    Experiments are the active ones of ``task`` (the experiment's own task) in which any run
    logged the metric. The best run is an active run ranked like ``search_runs`` ranks: by the
    metric's latest value in ``direction``, then the latest start. A run id breaks a full tie.
    An experiment without a run in the window gets None. A constant number of queries.
    """
    experiments = _experiments_logging(session, metric, task)
    if not experiments:
        return []
    query = RunQuery(
        experiment_ids=list(experiments), metric=metric, direction=direction, start=start, end=end
    )
    value = col(LatestMetric.value)
    rank = func.row_number().over(
        partition_by=col(Run.experiment_id),
        order_by=(
            value.desc() if direction == "max" else value.asc(),
            col(Run.start_time).desc(),
            col(Run.id),
        ),
    )
    ranked = (
        select(
            col(Run.experiment_id).label("experiment_id"),
            col(Run.id).label("run_id"),
            value.label("value"),
            rank.label("rank"),
        )
        .join(Experiment, col(Experiment.id) == col(Run.experiment_id))
        .join(
            LatestMetric,
            and_(col(LatestMetric.run_id) == col(Run.id), col(LatestMetric.key) == metric),
        )
        .where(and_(true(), *_conditions(query)))
        .subquery()
    )
    rows = session.exec(
        select(ranked.c.experiment_id, ranked.c.run_id, ranked.c.value).where(ranked.c.rank == 1)
    ).all()
    best_run_ids = {str(experiment_id): str(run_id) for experiment_id, run_id, _ in rows}
    values = {str(run_id): float(value) for _, run_id, value in rows}

    summaries = {
        summary.run_id: summary
        for summary in summarise_runs(session, list(values), ranking_metric=metric)
    }
    for summary in summaries.values():
        summary.metric_value = values[summary.run_id]
    return [
        (name, summaries.get(best_run_ids.get(experiment_id, "")))
        for experiment_id, name in experiments.items()
    ]


def _experiments_logging(session: Session, metric: str, task: str | None) -> dict[str, str]:
    """Return the active experiments of ``task`` where any run logged ``metric``, id to name."""
    logged = (
        select(col(Run.id))
        .join(LatestMetric, col(LatestMetric.run_id) == col(Run.id))
        .where(col(Run.experiment_id) == col(Experiment.id), col(LatestMetric.key) == metric)
        .exists()
    )
    query = select(col(Experiment.id), col(Experiment.name)).where(
        col(Experiment.lifecycle_stage) == "active", logged
    )
    if task:
        query = query.where(col(Experiment.task) == task)
    rows = session.exec(query.order_by(col(Experiment.name), col(Experiment.id))).all()
    return {str(experiment_id): str(name) for experiment_id, name in rows}


def metric_history(session: Session, run_id: str, key: str) -> list[MetricPointView]:
    rows = session.exec(
        select(MetricPoint)
        .where(MetricPoint.run_id == run_id, MetricPoint.key == key)
        .order_by(col(MetricPoint.step), col(MetricPoint.timestamp))
    ).all()
    return [
        MetricPointView(step=row.step, value=row.value, timestamp=row.timestamp) for row in rows
    ]


def list_experiments(session: Session, task: str | None = None) -> list[ExperimentSummary]:
    """Return the active experiments by name, with run counts, last run time and metric keys."""
    keys_by_experiment: dict[str, set[str]] = defaultdict(set)
    for experiment_id, key in session.exec(
        select(Run.experiment_id, LatestMetric.key)
        .distinct()
        .join(LatestMetric, col(LatestMetric.run_id) == col(Run.id))  # type: ignore[call-overload]
    ).all():
        keys_by_experiment[experiment_id].add(key)

    # Run counts come from a grouped subquery joined to the experiments, so one query reads both.
    # NOTE: deleted runs count too, unlike in search_runs.
    stats = (
        select(
            col(Run.experiment_id).label("experiment_id"),
            func.count().label("run_count"),
            func.max(col(Run.start_time)).label("last_run_at"),
        )
        .group_by(col(Run.experiment_id))
        .subquery()
    )
    query = (
        select(Experiment, stats.c.run_count, stats.c.last_run_at)
        .outerjoin(stats, stats.c.experiment_id == col(Experiment.id))
        .where(col(Experiment.lifecycle_stage) == "active")
    )
    if task:
        query = query.where(col(Experiment.task) == task)
    rows = session.exec(query.order_by(col(Experiment.name))).all()
    return [
        ExperimentSummary(
            experiment_id=experiment.id,
            name=experiment.name,
            task=experiment.task,
            run_count=run_count or 0,
            last_run_at=last_run_at,
            metrics=sorted(keys_by_experiment.get(experiment.id, set())),
            source=experiment.source,
        )
        for experiment, run_count, last_run_at in rows
    ]


def experiment_names(session: Session) -> list[str]:
    return sorted({str(name) for name in session.exec(select(Experiment.name)).all()})


def require_runs(session: Session, references: Sequence[str]) -> list[Run]:
    """Resolve each reference to a run, in order, and reject the same run given twice."""
    runs = resolve_runs(session, references)
    if len({run.id for run in runs}) < len(runs):
        raise InvalidInputError("the same run was given twice; name two different runs to compare")
    return runs


def runs_or_error(rows: list[Any], what: str) -> None:
    if not rows:
        raise NotFoundError(f"no {what} found")


def any_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*conditions)
