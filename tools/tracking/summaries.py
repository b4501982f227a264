"""Run summaries: a run's experiment, status, times, some latest metrics and model versions.

Every query here reads a whole batch of runs from one table, so the number of statements does
not grow with the number of runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import and_
from sqlmodel import Session, col, select

from tools.store.schema import Experiment, LatestMetric, ModelAlias, ModelVersion, Run
from tools.tracking.views import ModelVersionRef, RunSummary

# How many other metrics a run summary carries besides the ranking metric.
SUMMARY_METRICS = 6


def summarise_runs(
    session: Session, run_ids: Sequence[str], ranking_metric: str | None = None
) -> list[RunSummary]:
    """Build run summaries in the order of ``run_ids`` with a few metrics and model versions.

    A run whose experiment is missing from the store is left out.
    """
    if not run_ids:
        return []
    # The experiment name comes from a scalar subquery because DuckDB 2.0 plans a join here as
    # a scan of the whole run table: 33 ms against 9 ms on the 200k-run benchmark workspace.
    experiment_name = (
        select(Experiment.name).where(Experiment.id == Run.experiment_id).scalar_subquery()
    )
    rows = session.exec(select(Run, experiment_name).where(col(Run.id).in_(run_ids))).all()
    metrics = latest_metrics(session, run_ids)
    versions = model_versions_of(session, run_ids)
    by_id = {
        run.id: build_summary(
            run,
            name,
            _pick_metrics(metrics.get(run.id, {}), ranking_metric),
            versions.get(run.id, []),
        )
        for run, name in rows
        if name is not None
    }
    return [by_id[run_id] for run_id in run_ids if run_id in by_id]


def build_summary(
    run: Run,
    experiment_name: str,
    metrics: dict[str, float],
    model_versions: list[ModelVersionRef],
) -> RunSummary:
    """Return the summary of a loaded run with the metrics and model versions given."""
    return RunSummary(
        run_id=run.id,
        name=run.name,
        experiment=experiment_name,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        user=run.user,
        task=run.task,
        metrics=metrics,
        model_versions=model_versions,
    )


def _pick_metrics(values: dict[str, float], ranking_metric: str | None) -> dict[str, float]:
    keys = sorted(values)
    if ranking_metric in values:
        keys.remove(ranking_metric)  # type: ignore[arg-type]
        keys.insert(0, ranking_metric)  # type: ignore[arg-type]
    return {key: values[key] for key in keys[: SUMMARY_METRICS + 1]}


def experiment_names(session: Session, experiment_ids: Iterable[str]) -> dict[str, str]:
    """Return the name of each experiment id found in the store."""
    rows = session.exec(
        select(Experiment.id, Experiment.name).where(col(Experiment.id).in_(set(experiment_ids)))
    ).all()
    return dict(rows)


def latest_metrics(session: Session, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """Return the latest value of every metric of each run, by run id and metric key."""
    rows = session.exec(
        select(LatestMetric.run_id, LatestMetric.key, LatestMetric.value).where(
            col(LatestMetric.run_id).in_(run_ids)
        )
    ).all()
    result: dict[str, dict[str, float]] = defaultdict(dict)
    for run_id, key, value in rows:
        result[run_id][key] = value
    return result


def model_versions_of(session: Session, run_ids: Sequence[str]) -> dict[str, list[ModelVersionRef]]:
    """Return the model versions registered from each run, with their aliases, by run id."""
    rows = session.exec(
        select(ModelVersion.run_id, ModelVersion.model_name, ModelVersion.version, ModelAlias.alias)
        .outerjoin(
            ModelAlias,
            and_(
                col(ModelAlias.model_name) == col(ModelVersion.model_name),
                col(ModelAlias.version) == col(ModelVersion.version),
            ),
        )
        .where(col(ModelVersion.run_id).in_(run_ids))
        .order_by(col(ModelVersion.model_name), col(ModelVersion.version))
    ).all()
    aliases: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for run_id, name, version, alias in rows:
        if run_id is None:
            continue
        found = aliases[(run_id, name, version)]
        if alias is not None:
            found.append(alias)
    result: dict[str, list[ModelVersionRef]] = defaultdict(list)
    for (run_id, name, version), found in aliases.items():
        result[run_id].append(ModelVersionRef(model=name, version=version, aliases=sorted(found)))
    return result
