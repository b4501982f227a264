"""Tools over experiments and runs: search and rank, get, compare, metric history."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from tools.errors import InvalidInputError
from tools.periods import PeriodArgs, resolve_window
from tools.resolve import resolve_experiment, resolve_run
from tools.tool_registry import ToolContext, tool
from tools.tracking import queries
from tools.tracking.details import run_details
from tools.tracking.views import ExperimentSummary, MetricPointView, RunDetail, RunSummary
from tools.vocabulary import find_task, metric_direction


class SearchRunsArgs(PeriodArgs):
    experiment: str | None = Field(default=None, description="Experiment name.")
    task: str | None = Field(
        default=None,
        description="Model task, e.g. image-classification, fraud-detection, churn-prediction.",
    )
    metric: str | None = Field(
        default=None, description="Metric to rank by, e.g. accuracy, f1, val_loss."
    )
    order: Literal["max", "min"] | None = Field(
        default=None,
        description="Rank highest or lowest first; default follows the metric (loss: lowest).",
    )
    filter: str | None = Field(
        default=None,
        description=(
            "MLflow search syntax plus OR and parentheses, e.g. "
            "\"metrics.accuracy > 0.9 and (params.model = 'rf' or params.model = 'svc')\"."
        ),
    )
    status: Literal["FINISHED", "FAILED", "RUNNING", "KILLED", "SCHEDULED"] | None = None
    name_contains: str | None = Field(default=None, description="Part of the run name.")
    limit: int = Field(default=10, ge=1, le=1000, description="How many runs to return.")


class SearchRunsResult(BaseModel):
    runs: list[RunSummary]
    total: int = Field(description="How many runs matched, before the limit.")
    metric: str | None
    order: Literal["max", "min"] | None
    window: dict[str, str | None] | None
    experiment: str | None = None
    task: str | None = None


def _experiment_ids(session: Session, name: str | None) -> list[str] | None:
    if name is None:
        return None
    return [experiment.id for experiment in resolve_experiment(session, name)]


def _task(text: str | None) -> str | None:
    if text is None:
        return None
    return find_task(text) or text


@tool(category="runs", examples=("best image classifier in the last three months",))
def search_runs(ctx: ToolContext, args: SearchRunsArgs) -> SearchRunsResult:
    """Search and rank runs by a metric, filtered by experiment, task, time, status, params, tags.

    Use it for "best run", "top 5 runs by f1", "runs from last month", "failed runs this week".
    Give the time window in `period` exactly as the user said it.
    """
    window = resolve_window(args)
    with ctx.store.session() as session:
        experiment_ids = _experiment_ids(session, args.experiment)
        query = queries.RunQuery(
            experiment_ids=experiment_ids,
            task=_task(args.task),
            metric=args.metric or None,
            direction=args.order,
            filter=args.filter,
            status=args.status,
            start=window.start if window else None,
            end=window.end if window else None,
            name_contains=args.name_contains,
            limit=args.limit,
        )
        query, runs, total, direction = _search(session, query)
    return SearchRunsResult(
        runs=runs,
        total=total,
        metric=query.metric,
        order=direction,
        window=window.to_dict() if window else None,
        experiment=args.experiment,
        task=query.task,
    )


def _search(
    session: Session, query: queries.RunQuery
) -> tuple[queries.RunQuery, list[RunSummary], int, queries.Direction | None]:
    """Rank runs by the metric as typed, mapping it to a logged key only when nothing ranks.

    A logged key is the usual case, so it needs no lookup of its own. Text such as "准确率" or
    "val acc" ranks nothing, so it is mapped and ranked again. An unknown metric raises
    NotFoundError with did-you-mean.
    """
    runs, total, direction = queries.search_runs(session, query)
    if query.metric is None or total > 0:
        return query, runs, total, direction
    metric = queries.resolve_metric(session, query.metric, query.experiment_ids)
    if metric == query.metric:
        return query, runs, total, direction
    query = replace(query, metric=metric)
    return query, *queries.search_runs(session, query)


class RunRef(BaseModel):
    run: str = Field(description="Run id, id prefix (8+ characters) or exact run name.")


@tool(category="runs")
def get_run(ctx: ToolContext, args: RunRef) -> RunDetail:
    """Get one run: status, times, params, tags, latest metrics, note, lineage, model versions."""
    with ctx.store.session() as session:
        return run_details(session, [resolve_run(session, args.run)])[0]


class CompareRunsArgs(BaseModel):
    runs: list[str] = Field(
        min_length=2, max_length=10, description="Two or more run ids or run names."
    )


class MetricComparison(BaseModel):
    metric: str
    values: list[float | None]
    best_run: str | None = Field(description="Run id with the best value.")
    direction: Literal["max", "min"]


class CompareRunsResult(BaseModel):
    runs: list[RunSummary]
    params_differing: dict[str, list[str | None]] = Field(
        description="Only the params whose values differ, one value per run in order."
    )
    params_same_count: int
    metrics: list[MetricComparison]


@tool(category="runs", examples=("compare run rf-200 with run svc-rbf",))
def compare_runs(ctx: ToolContext, args: CompareRunsArgs) -> CompareRunsResult:
    """Compare two or more runs: the params that differ, and metrics side by side with the best."""
    with ctx.store.session() as session:
        details = run_details(session, queries.require_runs(session, args.runs))
    keys = sorted({key for detail in details for key in detail.params})
    differing = {
        key: [detail.params.get(key) for detail in details]
        for key in keys
        if len({detail.params.get(key) for detail in details}) > 1
    }
    metric_keys = sorted({key for detail in details for key in detail.metrics})
    comparisons = [_compare_metric(key, details) for key in metric_keys]
    return CompareRunsResult(
        runs=[
            RunSummary(**detail.model_dump(include=set(RunSummary.model_fields)))
            for detail in details
        ],
        params_differing=differing,
        params_same_count=len(keys) - len(differing),
        metrics=comparisons,
    )


def _compare_metric(key: str, details: list[RunDetail]) -> MetricComparison:
    direction = metric_direction(key)
    values = [detail.metrics.get(key) for detail in details]
    present = [
        (value, detail.run_id)
        for value, detail in zip(values, details, strict=True)
        if value is not None
    ]
    best = None
    if present:
        best = (max(present) if direction == "max" else min(present))[1]
    return MetricComparison(metric=key, values=values, best_run=best, direction=direction)


class MetricHistoryArgs(BaseModel):
    run: str = Field(description="Run id, id prefix or exact run name.")
    metric: str = Field(description="Metric key, e.g. val_loss.")


class MetricHistoryResult(BaseModel):
    run_id: str
    run_name: str | None
    metric: str
    points: list[MetricPointView]


@tool(category="runs")
def metric_history(ctx: ToolContext, args: MetricHistoryArgs) -> MetricHistoryResult:
    """Get the full history of one metric of a run (every step), for curves and trends."""
    with ctx.store.session() as session:
        run = resolve_run(session, args.run)
        key = queries.resolve_metric(session, args.metric, [run.experiment_id])
        points = queries.metric_history(session, run.id, key)
    return MetricHistoryResult(run_id=run.id, run_name=run.name, metric=key, points=points)


class BestRunArgs(PeriodArgs):
    metric: str = Field(description="Metric to rank by, e.g. accuracy.")
    task: str | None = Field(default=None, description="Only experiments of this task.")
    order: Literal["max", "min"] | None = None


class BestRunEntry(BaseModel):
    experiment: str
    run: RunSummary | None


class BestRunResult(BaseModel):
    metric: str
    order: Literal["max", "min"]
    best: list[BestRunEntry]


@tool(category="runs")
def best_run_per_experiment(ctx: ToolContext, args: BestRunArgs) -> BestRunResult:
    """Find the best run of every experiment by a metric, optionally for one task or window."""
    window = resolve_window(args)
    with ctx.store.session() as session:
        metric = queries.resolve_metric(session, args.metric)
        direction = args.order or metric_direction(metric)
        best = queries.best_run_per_experiment(
            session,
            metric,
            direction,
            task=_task(args.task),
            start=window.start if window else None,
            end=window.end if window else None,
        )
    entries = [BestRunEntry(experiment=name, run=run) for name, run in best]
    if not entries:
        raise InvalidInputError(f"no experiment logs the metric {metric!r}")
    return BestRunResult(metric=metric, order=direction, best=entries)


class ListExperimentsArgs(BaseModel):
    task: str | None = Field(default=None, description="Only experiments of this task.")


class ListExperimentsResult(BaseModel):
    experiments: list[ExperimentSummary]


@tool(category="runs")
def list_experiments(ctx: ToolContext, args: ListExperimentsArgs) -> ListExperimentsResult:
    """List experiments with their task, run count, last run time and logged metrics."""
    with ctx.store.session() as session:
        return ListExperimentsResult(
            experiments=queries.list_experiments(session, _task(args.task))
        )
