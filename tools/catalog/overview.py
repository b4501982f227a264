"""The workspace overview: which names exist, so planners resolve and never invent them."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import col, func, select

from tools.store.db import Store
from tools.store.schema import (
    Dataset,
    Experiment,
    LatestMetric,
    ModelAlias,
    ModelVersion,
    Pipeline,
    RegisteredModel,
    Run,
)
from tools.tool_registry import ToolContext, tool


class OverviewArgs(BaseModel):
    pass


class ModelEntry(BaseModel):
    name: str
    task: str | None
    latest_version: int | None
    aliases: dict[str, int] = Field(default_factory=dict)


class OverviewResult(BaseModel):
    models: list[ModelEntry]
    experiments: list[str]
    experiment_tasks: dict[str, str]
    datasets: list[str]
    pipelines: list[str]
    metrics: list[str]
    tasks: list[str]
    run_count: int


@tool(category="workspace")
def workspace_overview(ctx: ToolContext, args: OverviewArgs) -> OverviewResult:
    """List the names in this workspace: models, experiments, datasets, pipelines, metrics.

    Call it when unsure how something is spelled; never guess a name.
    """
    with ctx.store.session() as session:
        latest = dict(
            session.exec(
                select(ModelVersion.model_name, func.max(ModelVersion.version)).group_by(
                    ModelVersion.model_name
                )
            ).all()
        )
        aliases: dict[str, dict[str, int]] = {}
        for row in session.exec(select(ModelAlias)).all():
            aliases.setdefault(row.model_name, {})[row.alias] = row.version
        models = [
            ModelEntry(
                name=model.name,
                task=model.task,
                latest_version=latest.get(model.name),
                aliases=aliases.get(model.name, {}),
            )
            for model in session.exec(select(RegisteredModel).order_by(col(RegisteredModel.name)))
        ]
        experiments = session.exec(select(Experiment.name, Experiment.task)).all()
        return OverviewResult(
            models=models,
            experiments=sorted({name for name, _ in experiments}),
            experiment_tasks={name: task for name, task in experiments if task},
            datasets=sorted(session.exec(select(Dataset.name)).all()),
            pipelines=sorted(session.exec(select(Pipeline.name)).all()),
            metrics=sorted(session.exec(select(LatestMetric.key).distinct()).all()),
            tasks=sorted(
                {m.task for m in models if m.task} | {task for _, task in experiments if task}
            ),
            run_count=session.exec(select(func.count()).select_from(Run)).one(),
        )


# One row that changes whenever a name the overview lists changes. DuckDB's hash() keeps it to
# a single scan of small tables, and latest_metric's row count moves when a run logs a new key.
_FINGERPRINT_SQL = text("""
SELECT
    (SELECT count(*) FROM latest_metric),
    (SELECT sum(hash(name, task)) FROM experiment),
    (SELECT sum(hash(name, task)) FROM registered_model),
    (SELECT sum(hash(model_name, version)) FROM model_version),
    (SELECT sum(hash(model_name, alias, version)) FROM model_alias),
    (SELECT sum(hash(name)) FROM dataset),
    (SELECT sum(hash(name)) FROM pipeline)
""")


def names_fingerprint(store: Store) -> tuple[object, ...] | None:
    """Return a value that changes when the overview's names do; None off DuckDB.

    Reading it costs one small query, a fraction of the overview, so a process can keep
    the names between requests and still see what another process added.
    """
    with store.connection() as connection:
        if connection.dialect.name != "duckdb":
            return None
        return tuple(connection.execute(_FINGERPRINT_SQL).one())
