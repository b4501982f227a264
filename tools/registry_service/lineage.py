"""Lineage of a model version: its source run, that run's params and metrics, its datasets."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tools.registry_service.views import DatasetRef, RunLineage
from tools.store.schema import (
    DatasetVersion,
    Experiment,
    LatestMetric,
    ModelVersion,
    Note,
    Run,
    RunDataset,
    RunParam,
)


def run_metrics(session: Session, run_id: str) -> dict[str, float]:
    rows = session.exec(select(LatestMetric).where(LatestMetric.run_id == run_id)).all()
    return {row.key: float(row.value) for row in rows}


def evaluation_metrics(session: Session, version: ModelVersion) -> dict[str, float]:
    """Return the version's own metrics, filled in from its source run's latest metrics."""
    values = run_metrics(session, version.run_id) if version.run_id else {}
    return with_version_metrics(values, version)


def with_version_metrics(run_values: dict[str, float], version: ModelVersion) -> dict[str, float]:
    """Return the run's latest metrics with the version's own metrics taking precedence."""
    return {**run_values, **(version.metrics or {})}


def run_params(session: Session, run_id: str) -> dict[str, str | None]:
    rows = session.exec(select(RunParam).where(RunParam.run_id == run_id)).all()
    return {row.key: row.value for row in rows}


def run_lineage(session: Session, run_id: str | None) -> RunLineage | None:
    """Return the run a version came from, or None when it is unknown or not in the store."""
    if run_id is None:
        return None
    run = session.get(Run, run_id)
    if run is None:
        return None
    experiment = session.get(Experiment, run.experiment_id)
    return RunLineage(
        run_id=run.id,
        name=run.name,
        experiment=experiment.name if experiment else None,
        status=run.status,
        start_time=run.start_time,
        params=run_params(session, run.id),
        metrics=run_metrics(session, run.id),
    )


def dataset_refs(session: Session, run_id: str | None) -> list[DatasetRef]:
    """Return the dataset versions the run read, through ``run_dataset``."""
    if run_id is None:
        return []
    query = (
        select(RunDataset, DatasetVersion)
        .join(DatasetVersion, col(DatasetVersion.id) == col(RunDataset.dataset_version_id))
        .where(RunDataset.run_id == run_id)
        .order_by(col(DatasetVersion.dataset_name), col(DatasetVersion.version))
    )
    return [
        DatasetRef(
            dataset=dataset.dataset_name,
            version=dataset.version,
            dataset_version_id=dataset.id,
            context=link.context,
            content_hash=dataset.content_hash,
            row_count=dataset.row_count,
        )
        for link, dataset in session.exec(query).all()
    ]


def model_card_source(session: Session, version: ModelVersion) -> str | None:
    """Return where the version's model card is: its own column, a note, or None."""
    if version.model_card and version.model_card.strip():
        return "model_version.model_card"
    note = session.exec(
        select(Note.id).where(
            Note.entity_type == "model_version",
            Note.entity_id == version.id,
            Note.kind == "model_card",
        )
    ).first()
    return "note" if note is not None else None
