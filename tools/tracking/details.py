"""Run details: everything about a few runs, read with one query per table for the whole batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, union_all
from sqlmodel import Session, col, select

from tools.errors import NotFoundError
from tools.store.schema import DatasetVersion, MetricPoint, Run, RunDataset, RunParam, RunTag
from tools.tracking.summaries import (
    build_summary,
    experiment_names,
    latest_metrics,
    model_versions_of,
)
from tools.tracking.views import RunDetail

# Tags with this prefix are left out of a run's tags. MLflow's "mlflow.log-model.history" tag
# is one of them: a JSON list of the models the run logged.
_HIDDEN_TAG_PREFIX = "mlflow.log-model"


def run_details(session: Session, runs: Sequence[Run]) -> list[RunDetail]:
    """Return each run with all params, tags, latest metrics, history lengths and lineage.

    The number of queries is the same for one run and for ten.
    """
    if not runs:
        return []
    run_ids = [run.id for run in runs]
    names = experiment_names(session, {run.experiment_id for run in runs})
    metrics = latest_metrics(session, run_ids)
    versions = model_versions_of(session, run_ids)
    params, tags = _params_and_tags(session, run_ids)
    lengths = _history_lengths(session, run_ids)
    datasets = _datasets_of(session, run_ids)
    return [
        RunDetail(
            **build_summary(
                run, _experiment_name(run, names), {}, versions.get(run.id, [])
            ).model_dump(exclude={"metrics"}),
            metrics=dict(sorted(metrics.get(run.id, {}).items())),
            params=dict(sorted(params.get(run.id, {}).items())),
            tags={
                key: value
                for key, value in sorted(tags.get(run.id, {}).items())
                if not key.startswith(_HIDDEN_TAG_PREFIX)
            },
            note=run.note,
            source_name=run.source_name,
            source_version=run.source_version,
            artifact_uri=run.artifact_uri,
            datasets=datasets.get(run.id, []),
            metric_history_lengths=dict(sorted(lengths.get(run.id, {}).items())),
        )
        for run in runs
    ]


def _experiment_name(run: Run, names: dict[str, str]) -> str:
    name = names.get(run.experiment_id)
    if name is None:
        raise NotFoundError(
            f"run {run.id!r} belongs to experiment id {run.experiment_id!r}, which is missing "
            "from the store; import that experiment again"
        )
    return name


KeyValues = dict[str, dict[str, str | None]]


def _params_and_tags(session: Session, run_ids: Sequence[str]) -> tuple[KeyValues, KeyValues]:
    """Return the params and the tags of each run, by run id, from one query."""
    params = select(
        literal("param").label("kind"), col(RunParam.run_id), col(RunParam.key), col(RunParam.value)
    ).where(col(RunParam.run_id).in_(run_ids))
    tags = select(
        literal("tag").label("kind"), col(RunTag.run_id), col(RunTag.key), col(RunTag.value)
    ).where(col(RunTag.run_id).in_(run_ids))
    by_kind: dict[str, KeyValues] = {"param": defaultdict(dict), "tag": defaultdict(dict)}
    for kind, run_id, key, value in session.exec(union_all(params, tags)).all():
        by_kind[kind][run_id][key] = value
    return by_kind["param"], by_kind["tag"]


def _history_lengths(session: Session, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Return how many points each metric of each run logged, by run id and metric key."""
    rows = session.exec(
        select(col(MetricPoint.run_id), col(MetricPoint.key), func.count())
        .where(col(MetricPoint.run_id).in_(run_ids))
        .group_by(col(MetricPoint.run_id), col(MetricPoint.key))
    ).all()
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for run_id, key, count in rows:
        result[run_id][key] = count
    return result


def _datasets_of(session: Session, run_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Return the dataset versions each run read, with the role it read them in, by run id."""
    rows = session.exec(
        select(
            col(RunDataset.run_id),
            col(DatasetVersion.dataset_name),
            col(DatasetVersion.version),
            col(RunDataset.context),
        )
        .join(RunDataset, col(RunDataset.dataset_version_id) == col(DatasetVersion.id))
        .where(col(RunDataset.run_id).in_(run_ids))
        .order_by(
            col(RunDataset.run_id),
            col(DatasetVersion.dataset_name),
            col(DatasetVersion.version),
            col(RunDataset.context),
        )
    ).all()
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run_id, name, version, context in rows:
        result[run_id].append({"dataset": name, "version": version, "context": context})
    return result
