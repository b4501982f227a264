"""Listing registered models and ranking model versions by a metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from tools.errors import InvalidInputError
from tools.registry_service.lineage import evaluation_metrics
from tools.registry_service.lookup import aliases_by_version
from tools.registry_service.views import ModelSummary, RankedVersion
from tools.resolve import not_found
from tools.store.schema import ModelAlias, ModelVersion, RegisteredModel
from tools.vocabulary import find_metric, metric_direction

Direction = Literal["max", "min"]


def list_models(
    session: Session, task: str | None = None, query: str | None = None
) -> list[ModelSummary]:
    """Return registered models with their latest version and aliases, newest update first."""
    statement = select(RegisteredModel)
    if task is not None:
        statement = statement.where(RegisteredModel.task == task)
    models = list(session.exec(statement).all())
    if query:
        wanted = query.casefold()
        models = [
            m
            for m in models
            if wanted in m.name.casefold()
            or wanted in (m.description or "").casefold()
            or wanted in (m.task or "").casefold()
        ]
    versions: dict[str, list[int]] = defaultdict(list)
    for name, number in session.exec(select(ModelVersion.model_name, ModelVersion.version)):
        versions[name].append(int(number))
    aliases: dict[str, dict[str, int]] = defaultdict(dict)
    for row in session.exec(select(ModelAlias)).all():
        aliases[row.model_name][row.alias] = row.version
    summaries = [
        ModelSummary(
            name=m.name,
            task=m.task,
            description=m.description,
            owner=m.owner,
            latest_version=max(versions[m.name]) if versions[m.name] else None,
            version_count=len(versions[m.name]),
            aliases=dict(sorted(aliases[m.name].items())),
            updated_at=m.updated_at or m.created_at,
        )
        for m in models
    ]
    return sorted(summaries, key=lambda s: (s.updated_at is not None, s.updated_at), reverse=True)


@dataclass(frozen=True)
class VersionQuery:
    task: str | None = None
    metric: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    alias: str | None = None
    include_archived: bool = False
    limit: int = 10


def _candidates(session: Session, query: VersionQuery) -> list[tuple[ModelVersion, str | None]]:
    statement = select(ModelVersion, RegisteredModel.task).join(
        RegisteredModel, col(RegisteredModel.name) == col(ModelVersion.model_name)
    )
    if query.task is not None:
        statement = statement.where(RegisteredModel.task == query.task)
    if not query.include_archived:
        statement = statement.where(ModelVersion.status != "ARCHIVED")
    if query.start is not None:
        statement = statement.where(col(ModelVersion.created_at) >= query.start)
    if query.end is not None:
        statement = statement.where(col(ModelVersion.created_at) < query.end)
    if query.alias is not None:
        statement = statement.join(
            ModelAlias,
            (col(ModelAlias.model_name) == col(ModelVersion.model_name))
            & (col(ModelAlias.version) == col(ModelVersion.version)),
        ).where(ModelAlias.alias == query.alias)
    rows = session.exec(statement.order_by(col(ModelVersion.created_at).desc())).all()
    return [(version, task) for version, task in rows]


def search_versions(
    session: Session, query: VersionQuery
) -> tuple[list[RankedVersion], str | None, Direction | None, int]:
    """Rank versions by a metric (direction from the metric's name) or list newest first.

    Returns the page, the metric key used, its direction and the number of matches.
    Ranking happens in Python: registries hold hundreds of versions, not the 100k+ rows that
    runs reach, so one pass over the candidates stays cheap.
    """
    if query.limit < 1 or query.limit > 1000:
        raise InvalidInputError(f"limit {query.limit} is out of range; use 1 to 1000")
    candidates = _candidates(session, query)
    values = {version.id: evaluation_metrics(session, version) for version, _ in candidates}
    metric: str | None = None
    direction: Direction | None = None
    if query.metric is not None:
        keys = sorted({key for found in values.values() for key in found})
        metric = query.metric if query.metric in keys else find_metric(query.metric, keys)
        if metric is None:
            raise not_found("metric", query.metric, keys, "these versions carry no such metric")
        direction = metric_direction(metric)
        candidates = [(v, t) for v, t in candidates if metric in values[v.id]]
        sign = -1.0 if direction == "max" else 1.0
        candidates.sort(key=lambda pair: sign * values[pair[0].id][metric])
    page = candidates[: query.limit]
    aliases_of: dict[str, dict[int, list[str]]] = {}
    ranked = []
    for version, task in page:
        if version.model_name not in aliases_of:
            aliases_of[version.model_name] = aliases_by_version(session, version.model_name)
        ranked.append(
            RankedVersion(
                model=version.model_name,
                version=version.version,
                status=version.status,
                run_id=version.run_id,
                description=version.description,
                created_at=version.created_at,
                created_by=version.created_by,
                aliases=aliases_of[version.model_name].get(version.version, []),
                metrics=values[version.id],
                task=task,
                value=values[version.id].get(metric) if metric else None,
            )
        )
    return ranked, metric, direction, len(candidates)
