"""Comparing several versions of one registered model side by side."""

from __future__ import annotations

from sqlmodel import Session

from tools.errors import InvalidInputError
from tools.registry_service.lineage import with_version_metrics
from tools.registry_service.lookup import require_model, require_version
from tools.registry_service.versions import describe_version
from tools.registry_service.views import ComparedVersion, MetricAcrossVersions, VersionComparison
from tools.store.schema import ModelVersion
from tools.vocabulary import Direction, find_metric, metric_direction

# Canonical metrics tried in this order for the headline of a comparison. AUC comes first
# because it depends on neither a threshold nor the class balance: on a fraud model with 3%
# positives, accuracy stays near 0.98 for versions that differ a lot in what they catch.
HEADLINE_METRICS = ("auc", "f1", "accuracy", "r2", "rmse", "mae", "loss")


def compare_versions(session: Session, model: str, versions: list[int]) -> VersionComparison:
    """Return the versions' lineage, metrics and deployments, and the best version per metric.

    The first version given is the baseline that the differences are computed against.
    """
    name = require_model(session, model).name
    numbers = _distinct_versions(name, versions)
    compared = [_compared(session, require_version(session, name, n)) for n in numbers]

    keys = sorted({key for version in compared for key in version.metrics})
    metrics = [_metric_across(key, compared) for key in keys]
    main = _main_metric(compared)
    best = next((m.best_version for m in metrics if m.metric == main), None)
    return VersionComparison(
        model=name,
        versions=compared,
        baseline_version=numbers[0],
        main_metric=main,
        best_version=best,
        metrics=metrics,
    )


def _distinct_versions(model: str, versions: list[int]) -> list[int]:
    numbers = list(dict.fromkeys(versions))
    if len(numbers) < 2:
        raise InvalidInputError(
            f"invalid versions {versions} of {model}: give 2 to 5 different version numbers"
        )
    return numbers


def _compared(session: Session, row: ModelVersion) -> ComparedVersion:
    detail = describe_version(session, row)
    return ComparedVersion(
        version=detail.version,
        status=detail.status,
        stage=detail.stage,
        aliases=detail.aliases,
        run_id=detail.run_id,
        run_name=detail.run.name if detail.run else None,
        created_at=detail.created_at,
        # describe_version already read the run's latest metrics.
        metrics=with_version_metrics(detail.run.metrics if detail.run else {}, row),
        deployments=detail.deployments,
    )


def _metric_across(key: str, compared: list[ComparedVersion]) -> MetricAcrossVersions:
    direction = metric_direction(key)
    values = [version.metrics.get(key) for version in compared]
    baseline = values[0]
    differences = [
        value - baseline if value is not None and baseline is not None else None for value in values
    ]
    numbers = [version.version for version in compared]
    return MetricAcrossVersions(
        metric=key,
        direction=direction,
        values=values,
        differences=differences,
        best_version=_best_version(values, numbers, direction),
    )


def _best_version(
    values: list[float | None], numbers: list[int], direction: Direction
) -> int | None:
    """Return the version with the best value, or None on a tie or with fewer than 2 values."""
    present = [(v, n) for v, n in zip(values, numbers, strict=True) if v is not None]
    if len(present) < 2:
        return None
    best_value = (max if direction == "max" else min)(value for value, _ in present)
    winners = [number for value, number in present if value == best_value]
    return winners[0] if len(winners) == 1 else None


def _main_metric(compared: list[ComparedVersion]) -> str | None:
    """Return the first headline metric that every compared version has, as a logged key."""
    shared = set.intersection(*(set(version.metrics) for version in compared))
    keys = sorted(shared)
    for canonical in HEADLINE_METRICS:
        key = find_metric(canonical, keys)
        if key is not None:
            return key
    return None
