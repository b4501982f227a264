"""Choosing the reference distribution that a model's current features are compared against.

In order of preference:
1. the dataset version named in the model's monitoring policy (``baseline_dataset_version_id``);
2. the training data of the model version that served most requests in the window, found
   through lineage (the run's ``run_dataset`` links, or the pipeline run that built it);
3. the model's own inference data in the baseline window before the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session, col, select

from tools.datasets.lineage import training_dataset_versions
from tools.monitoring.metrics import Window
from tools.store.schema import DatasetVersion, ModelVersion, PipelineRun

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
    session: Session, model: str, versions_by_traffic: list[int]
) -> tuple[DatasetVersion, int] | None:
    """Return the training dataset version of the busiest model version that has lineage."""
    for number in versions_by_traffic:
        model_version = session.exec(
            select(ModelVersion).where(
                ModelVersion.model_name == model, ModelVersion.version == number
            )
        ).first()
        if model_version is not None and model_version.run_id:
            found = training_dataset_versions(session, model_version.run_id)
            if found:
                return found[0], number
        pipeline_run = session.exec(
            select(PipelineRun)
            .where(
                col(PipelineRun.model_version) == number,
                col(PipelineRun.dataset_version_id).is_not(None),
            )
            .order_by(col(PipelineRun.created_at).desc())
        ).first()
        if pipeline_run is not None and _pipeline_builds(session, pipeline_run, model):
            dataset_version = session.get(DatasetVersion, pipeline_run.dataset_version_id)
            if dataset_version is not None:
                return dataset_version, number
    return None


def _pipeline_builds(session: Session, pipeline_run: PipelineRun, model: str) -> bool:
    from tools.store.schema import Pipeline

    pipeline = session.exec(
        select(Pipeline).where(Pipeline.name == pipeline_run.pipeline_name)
    ).first()
    return pipeline is not None and pipeline.model_name == model


def latest_model_versions(session: Session, model: str) -> list[int]:
    rows = session.exec(
        select(ModelVersion.version)
        .where(ModelVersion.model_name == model)
        .order_by(col(ModelVersion.version).desc())
    ).all()
    return [int(v) for v in rows]
