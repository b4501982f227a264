"""Comparing a candidate model version with the version an alias points at now."""

from __future__ import annotations

from sqlmodel import Session

from tools.registry_service.lineage import run_params
from tools.registry_service.views import MetricDelta, ValueChange, VersionDiff
from tools.store.schema import ModelVersion


def diff_versions(
    session: Session, candidate: ModelVersion, baseline: ModelVersion | None
) -> VersionDiff:
    """Return metrics side by side with deltas, differing params and changed dependencies."""
    if baseline is None:
        metrics = [
            MetricDelta(key=key, candidate=value, baseline=None, delta=None)
            for key, value in sorted((candidate.metrics or {}).items())
        ]
        return VersionDiff(baseline_version=None, metrics=metrics)
    return VersionDiff(
        baseline_version=baseline.version,
        metrics=_metric_deltas(candidate.metrics or {}, baseline.metrics or {}),
        params=_changes(_params(session, candidate), _params(session, baseline)),
        dependencies=_changes(candidate.dependencies or {}, baseline.dependencies or {}),
    )


def _params(session: Session, version: ModelVersion) -> dict[str, str | None]:
    return run_params(session, version.run_id) if version.run_id else {}


def _metric_deltas(candidate: dict[str, float], baseline: dict[str, float]) -> list[MetricDelta]:
    deltas = []
    for key in sorted(set(candidate) | set(baseline)):
        new, old = candidate.get(key), baseline.get(key)
        delta = new - old if new is not None and old is not None else None
        deltas.append(MetricDelta(key=key, candidate=new, baseline=old, delta=delta))
    return deltas


def _changes(
    candidate: dict[str, str] | dict[str, str | None],
    baseline: dict[str, str] | dict[str, str | None],
) -> list[ValueChange]:
    keys = sorted(set(candidate) | set(baseline))
    return [
        ValueChange(key=key, candidate=candidate.get(key), baseline=baseline.get(key))
        for key in keys
        if candidate.get(key) != baseline.get(key)
    ]
