"""Lineage between dataset versions and the runs and model versions that used them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from tools.errors import InvalidInputError, NotFoundError
from tools.store.schema import (
    DatasetVersion,
    ModelVersion,
    PipelineRun,
    Run,
    RunDataset,
)

CONTEXTS = ("training", "validation", "evaluation", "test")
EARLIEST = datetime.min.replace(tzinfo=UTC)


def link_run_dataset(
    session: Session, run_id: str, dataset_version_id: str, context: str = "training"
) -> RunDataset:
    """Record that run ``run_id`` read the dataset version, in the role ``context``.

    Linking the same pair again updates its context. The run is not looked up, so a caller may
    link a run that it creates later in the same transaction.
    """
    if context not in CONTEXTS:
        raise InvalidInputError(
            f"invalid lineage context {context!r}; use one of {', '.join(CONTEXTS)}"
        )
    if session.get(DatasetVersion, dataset_version_id) is None:
        raise NotFoundError(
            f"no dataset version with id {dataset_version_id!r}; register the dataset first"
        )
    link = session.get(RunDataset, (run_id, dataset_version_id))
    if link is None:
        link = RunDataset(run_id=run_id, dataset_version_id=dataset_version_id, context=context)
    else:
        link.context = context
    session.add(link)
    session.flush()
    return link


@dataclass(frozen=True)
class RunUse:
    run_id: str
    run_name: str | None
    experiment_id: str | None
    status: str | None
    start_time: datetime | None
    context: str
    dataset_version: int


@dataclass(frozen=True)
class ModelUse:
    model_name: str
    version: int
    run_id: str | None
    status: str
    dataset_version: int


@dataclass(frozen=True)
class PipelineUse:
    pipeline_run_id: str
    pipeline_name: str
    status: str
    dataset_version: int


@dataclass
class Lineage:
    dataset: str
    versions: list[int]
    runs: list[RunUse] = field(default_factory=list)
    model_versions: list[ModelUse] = field(default_factory=list)
    pipeline_runs: list[PipelineUse] = field(default_factory=list)


def dataset_lineage(session: Session, versions: list[DatasetVersion]) -> Lineage:
    """Return the runs, model versions and pipeline runs that used any of ``versions``."""
    name = versions[0].dataset_name if versions else ""
    lineage = Lineage(name, sorted(v.version for v in versions))
    by_id = {v.id: v.version for v in versions}
    if not by_id:
        return lineage

    links = session.exec(
        select(RunDataset, Run)
        .join(Run, col(Run.id) == col(RunDataset.run_id), isouter=True)
        .where(col(RunDataset.dataset_version_id).in_(list(by_id)))
    ).all()
    run_versions: dict[str, int] = {}
    for link, run in links:
        number = by_id[link.dataset_version_id]
        run_versions[link.run_id] = number
        lineage.runs.append(
            RunUse(
                run_id=link.run_id,
                run_name=run.name if run else None,
                experiment_id=run.experiment_id if run else None,
                status=run.status if run else None,
                start_time=run.start_time if run else None,
                context=link.context,
                dataset_version=number,
            )
        )

    pipeline_runs = session.exec(
        select(PipelineRun).where(col(PipelineRun.dataset_version_id).in_(list(by_id)))
    ).all()
    for pipeline_run in pipeline_runs:
        number = by_id[pipeline_run.dataset_version_id or ""]
        lineage.pipeline_runs.append(
            PipelineUse(pipeline_run.id, pipeline_run.pipeline_name, pipeline_run.status, number)
        )
        if pipeline_run.run_id:
            run_versions.setdefault(pipeline_run.run_id, number)

    if run_versions:
        models = session.exec(
            select(ModelVersion)
            .where(col(ModelVersion.run_id).in_(list(run_versions)))
            .order_by(col(ModelVersion.model_name), col(ModelVersion.version))
        ).all()
        lineage.model_versions = [
            ModelUse(m.model_name, m.version, m.run_id, m.status, run_versions[m.run_id or ""])
            for m in models
        ]
    lineage.runs.sort(key=lambda r: (r.dataset_version, r.start_time or EARLIEST))
    return lineage


def training_dataset_versions(session: Session, run_id: str) -> list[DatasetVersion]:
    """Return the dataset versions a run trained on (context ``training``), newest first."""
    statement = (
        select(DatasetVersion)
        .join(RunDataset, col(RunDataset.dataset_version_id) == col(DatasetVersion.id))
        .where(RunDataset.run_id == run_id, RunDataset.context == "training")
        .order_by(col(DatasetVersion.created_at).desc())
    )
    return list(session.exec(statement).all())
