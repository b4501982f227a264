"""Choosing the reference distribution that a model's current features are compared against.

In order of preference:
1. the dataset version named in the model's monitoring policy (``baseline_dataset_version_id``);
2. the training data of the model version that served most requests in the window, found
   through lineage (the run's ``run_dataset`` links, or the pipeline run that built it);
3. the model's own inference data in the baseline window before the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, func, literal, union_all
from sqlalchemy import select as sql_select  # sqlmodel's select mistypes labelled columns
from sqlmodel import Session, col, select

from tools.monitoring.metrics import Window
from tools.store.schema import DatasetVersion, ModelVersion, Pipeline, PipelineRun, RunDataset

FeatureKind = Literal["numeric", "categorical"]
OTHER = "(other)"


@dataclass(frozen=True)
class FeatureReference:
    """One feature's reference distribution: bin counts (numeric) or category counts."""

    name: str
    kind: FeatureKind
    counts: list[int]
    edges: list[float] = field(default_factory=list)  # numeric: right-closed bin edges
    categories: list[str] = field(default_factory=list)  # categorical: labels of counts
    mean: float | None = None

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Reference:
    kind: Literal["dataset", "baseline_window"]
    description: str
    dataset_version_id: str | None = None
    window: Window | None = None
    features: dict[str, FeatureReference] = field(default_factory=dict)


def references_from_profile(profile: dict[str, Any]) -> dict[str, FeatureReference]:
    """Build feature references from a dataset version's stored profile."""
    references: dict[str, FeatureReference] = {}
    for name, column in (profile.get("columns") or {}).items():
        histogram = column.get("histogram")
        if column.get("kind") == "numeric" and histogram:
            references[name] = FeatureReference(
                name,
                "numeric",
                counts=[int(c) for c in histogram["counts"]],
                edges=[float(e) for e in histogram["edges"]],
                mean=column.get("mean"),
            )
        elif column.get("kind") in ("categorical", "boolean") and column.get("top_values"):
            top = column["top_values"]
            references[name] = FeatureReference(
                name,
                "categorical",
                counts=[int(t["count"]) for t in top] + [int(column.get("other_count", 0))],
                categories=[str(t["value"]) for t in top] + [OTHER],
            )
    return references


def dataset_reference(version: DatasetVersion, why: str) -> Reference:
    return Reference(
        kind="dataset",
        description=f"dataset {version.dataset_name} v{version.version} ({why})",
        dataset_version_id=version.id,
        features=references_from_profile(version.profile or {}),
    )


def lineage_dataset(
    session: Session, model: str, candidates: list[int]
) -> tuple[DatasetVersion, int] | None:
    """Return the training dataset version of the first of ``candidates`` that has lineage."""
    found = training_dataset_by_version(session, model)
    for number in candidates:
        dataset_version_id = found.get(number)
        if dataset_version_id is None:
            continue
        dataset_version = session.get(DatasetVersion, dataset_version_id)
        if dataset_version is not None:
            return dataset_version, number
    return None


def training_dataset_by_version(session: Session, model: str) -> dict[int, str]:
    """Map each version number of ``model`` to the id of the dataset version it trained on.

    One query covers every version. A version's own run wins: the newest dataset version linked
    to that run in the ``training`` context. Without one, the newest pipeline run of one of the
    model's pipelines that registered that version number gives its dataset version. Equal
    creation times fall back to the lowest dataset version id, so the choice is stable.
    """
    run_links: Select[int, int, datetime, str] = (
        sql_select(
            col(ModelVersion.version).label("version"),
            literal(0).label("source"),
            col(DatasetVersion.created_at).label("linked_at"),
            col(DatasetVersion.id).label("dataset_version_id"),
        )
        .join(RunDataset, col(RunDataset.run_id) == col(ModelVersion.run_id))
        .join(DatasetVersion, col(DatasetVersion.id) == col(RunDataset.dataset_version_id))
        .where(col(ModelVersion.model_name) == model, col(RunDataset.context) == "training")
    )
    pipeline_links: Select[int, int, datetime, str] = (
        sql_select(
            col(PipelineRun.model_version).label("version"),
            literal(1).label("source"),
            col(PipelineRun.created_at).label("linked_at"),
            col(DatasetVersion.id).label("dataset_version_id"),
        )
        .join(Pipeline, col(Pipeline.name) == col(PipelineRun.pipeline_name))
        .join(DatasetVersion, col(DatasetVersion.id) == col(PipelineRun.dataset_version_id))
        .where(col(Pipeline.model_name) == model, col(PipelineRun.model_version).is_not(None))
    )
    links = union_all(run_links, pipeline_links).subquery()
    rank = func.row_number().over(
        partition_by=links.c.version,
        order_by=(links.c.source, links.c.linked_at.desc(), links.c.dataset_version_id),
    )
    ranked = select(links.c.version, links.c.dataset_version_id, rank.label("rank")).subquery()
    rows = session.exec(
        select(ranked.c.version, ranked.c.dataset_version_id).where(ranked.c.rank == 1)
    ).all()
    return {int(version): str(dataset_version_id) for version, dataset_version_id in rows}


def latest_model_versions(session: Session, model: str) -> list[int]:
    rows = session.exec(
        select(ModelVersion.version)
        .where(ModelVersion.model_name == model)
        .order_by(col(ModelVersion.version).desc())
    ).all()
    return [int(v) for v in rows]
