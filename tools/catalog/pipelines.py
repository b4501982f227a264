"""Tools over training pipelines: list them, run one, follow its runs, explain a failure.

Every tool that lists or triggers pipeline runs first closes runs whose runner died (see
``tools.pipelines.reconcile``), so a killed run never stays "running".
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from tools.clock import now
from tools.errors import InvalidInputError, ModelPilotError, ToolError
from tools.periods import PeriodArgs, resolve_window
from tools.pipelines.alerts import raise_pipeline_alert
from tools.pipelines.explain import explain_failure
from tools.pipelines.launch import check_orchestrator, queue_run, start_runner_process
from tools.pipelines.queries import (
    RunRow,
    find_run,
    latest_run,
    list_runs,
    pipeline_row,
    pipeline_summaries,
    run_detail,
)
from tools.pipelines.reconcile import ClosedRun, reconcile_in_session, reconcile_pipeline_runs
from tools.pipelines.records import active_runs, steps_of
from tools.pipelines.sources import resolve_source
from tools.pipelines.views import (
    FailureExplanation,
    PipelineRunDetail,
    PipelineRunView,
    PipelineSummary,
)
from tools.pipelines.workspace import definition_of, find_pipeline, sync_workspace
from tools.registry_service.fingerprint import fingerprint
from tools.store.schema import Pipeline
from tools.tool_registry import ChangePlan, ToolContext, tool

PIPELINE_FIELD = Field(description="Pipeline name, e.g. fraud-retrain or churn-train.")
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def _transaction(ctx: ToolContext) -> Session:
    if ctx.session is None:
        raise ToolError("this tool changes the store; run it through Governor.invoke and confirm")
    return ctx.session


def _reconcile(ctx: ToolContext) -> None:
    reconcile_pipeline_runs(ctx.store, ctx.settings)


def _pipeline(ctx: ToolContext, session: Session, name: str) -> Pipeline:
    """Return the pipeline row for ``name``, recording new workspace files unless read-only."""
    sync = not ctx.settings.read_only
    return find_pipeline(session, ctx.settings, name, sync=sync)[0]


# --- list_pipelines --------------------------------------------------------------------------


class ListPipelinesArgs(BaseModel):
    model: str | None = Field(
        default=None, description="Only pipelines that train this registered model."
    )


class ListPipelinesResult(BaseModel):
    pipelines: list[PipelineSummary]


@tool(category="pipelines", examples=("which pipelines do we have?", "list training pipelines"))
def list_pipelines(ctx: ToolContext, args: ListPipelinesArgs) -> ListPipelinesResult:
    """List the declared training pipelines with their model, owner, steps and last run.

    Use it for "which pipelines exist", "who owns the fraud pipeline" or to find a
    pipeline's exact name before triggering or inspecting it.
    """
    _reconcile(ctx)
    with ctx.store.session() as session:
        if not ctx.settings.read_only:
            sync_workspace(session, ctx.settings)
        rows = session.exec(select(Pipeline).order_by(col(Pipeline.name))).all()
        declared = [row for row in rows if row.definition]
        if args.model:
            requested = args.model.casefold()
            declared = [row for row in declared if definition_of(row).model.casefold() == requested]
        summaries = pipeline_summaries(session, declared)
    return ListPipelinesResult(pipelines=summaries)


# --- trigger_pipeline ------------------------------------------------------------------------


class TriggerPipelineArgs(BaseModel):
    pipeline: str = PIPELINE_FIELD
    params: dict[str, Any] | None = Field(
        default=None,
        description="Training parameters that override the pipeline's own for this run only.",
    )
    orchestrator: Literal["local", "ray"] | None = Field(
        default=None, description="Where the steps run; default: the pipeline's setting."
    )


class TriggerPipelineResult(BaseModel):
    pipeline_run_id: str
    pipeline: str
    status: str
    orchestrator: str
    summary: str


def _plan_trigger(ctx: ToolContext, args: TriggerPipelineArgs) -> ChangePlan:
    session = _transaction(ctx)
    row, definition = find_pipeline(session, ctx.settings, args.pipeline)
    orchestrator = check_orchestrator(args.orchestrator, definition)
    try:
        source, _ = resolve_source(session, ctx.settings, definition.dataset)
        dataset = source.label
    except ModelPilotError:
        # The preprocess step reports a missing dataset; the plan still names what was asked.
        dataset = definition.dataset.label()
    summary = (
        f"run pipeline {definition.name} (train {definition.model} on dataset {dataset}"
        + (f", with {_params_text(args.params)}" if args.params else "")
        + (f", on {orchestrator}" if orchestrator != "local" else "")
        + ")"
    )
    active = sorted(run.id for run in active_runs(session, definition.name))
    state = [row.definition, args.params, orchestrator, active]
    details = {"pipeline": definition.name, "model": definition.model, "dataset": dataset}
    return ChangePlan(summary, fingerprint("trigger_pipeline", state), details)


def _params_text(params: dict[str, Any] | None) -> str:
    return "params " + ", ".join(f"{k}={v}" for k, v in (params or {}).items())


@tool(
    category="pipelines",
    mutating=True,
    role="editor",
    plan=_plan_trigger,
    examples=("run the fraud retraining pipeline", "retrain churn-predictor"),
)
def trigger_pipeline(ctx: ToolContext, args: TriggerPipelineArgs) -> TriggerPipelineResult:
    """Start a run of a training pipeline (needs editor); returns the pipeline run id at once.

    The run goes through the pipeline's steps (preprocess, train, evaluate, gate, register,
    deploy, notify) in a background process; follow it with pipeline_run_status. `params`
    override the pipeline's training parameters for this run only. A pipeline with a run
    still queued or running cannot be started again until that run ends.
    """
    session = _transaction(ctx)
    closed = reconcile_in_session(session, now())
    run = queue_run(
        session,
        ctx.settings,
        args.pipeline,
        trigger="manual",
        triggered_by=ctx.user,
        params=args.params,
        orchestrator=args.orchestrator,
    )
    ctx.after_commit.append(lambda: _alert_closed(ctx, closed))
    ctx.after_commit.append(
        lambda: _start(ctx, run.id, run.orchestrator),
    )
    return TriggerPipelineResult(
        pipeline_run_id=run.id,
        pipeline=run.pipeline_name,
        status=run.status,
        orchestrator=run.orchestrator,
        summary=f"pipeline {run.pipeline_name} run {run.id[:8]} queued on {run.orchestrator}",
    )


def _start(ctx: ToolContext, pipeline_run_id: str, orchestrator: str) -> None:
    start_runner_process(ctx.store, ctx.settings, pipeline_run_id, orchestrator=orchestrator)


def _alert_closed(ctx: ToolContext, closed: list[ClosedRun]) -> None:
    for run in closed:
        raise_pipeline_alert(
            ctx.store,
            ctx.settings,
            kind="pipeline_failed",
            pipeline=run.pipeline,
            pipeline_run_id=run.pipeline_run_id,
            model=run.model,
            owner=run.owner,
            step=run.step,
            error=run.error,
        )


# --- pipeline_run_status ---------------------------------------------------------------------


class PipelineRunStatusArgs(BaseModel):
    pipeline: str | None = Field(default=None, description="Pipeline name: its latest run.")
    run_id: str | None = Field(default=None, description="Pipeline run id or id prefix.")


class PipelineRunStatusResult(BaseModel):
    run: PipelineRunDetail
    summary: str


def _chosen_run(
    ctx: ToolContext, session: Session, pipeline: str | None, run_id: str | None
) -> tuple[RunRow, Pipeline | None]:
    """Return the run to show and its pipeline row (None when the store has no such row)."""
    if run_id:
        chosen = find_run(session, run_id)
        return chosen, pipeline_row(session, chosen.run.pipeline_name)
    if pipeline:
        row = _pipeline(ctx, session, pipeline)
        found = latest_run(session, row.name)
        if found is None:
            raise ToolError(f"pipeline {row.name} has not run yet; start it with trigger_pipeline")
        return found, row
    found = latest_run(session, None)
    if found is None:
        raise ToolError("no pipeline has run yet; list pipelines with list_pipelines")
    return found, pipeline_row(session, found.run.pipeline_name)


@tool(
    category="pipelines",
    examples=("status of the fraud pipeline", "did the last churn-train run finish?"),
)
def pipeline_run_status(ctx: ToolContext, args: PipelineRunStatusArgs) -> PipelineRunStatusResult:
    """Show a pipeline run with each step's status, duration, outputs and error.

    Give `run_id`, or `pipeline` for its latest run; with neither, the latest run of any
    pipeline. The result includes the training run it logged, its metrics and the model
    version it registered.
    """
    _reconcile(ctx)
    with ctx.store.session() as session:
        run, pipeline = _chosen_run(ctx, session, args.pipeline, args.run_id)
        detail = run_detail(session, run, pipeline, steps_of(session, run.run.id))
    return PipelineRunStatusResult(run=detail, summary=_status_summary(detail))


def _status_summary(run: PipelineRunDetail) -> str:
    done = sum(1 for step in run.steps if step.status == "succeeded")
    text = f"{run.pipeline} run {run.pipeline_run_id[:8]} is {run.status}"
    text += f" ({done} of {len(run.steps)} steps succeeded)"
    if run.failed_step:
        text += f"; step {run.failed_step} failed: {run.error}"
    if run.model_version is not None:
        text += f"; registered {run.model} v{run.model_version}"
    return text


# --- list_pipeline_runs ----------------------------------------------------------------------


class ListPipelineRunsArgs(PeriodArgs):
    pipeline: str | None = Field(default=None, description="Pipeline name; all if omitted.")
    status: RunStatus | None = Field(default=None, description="Only runs with this status.")
    limit: int = Field(default=20, ge=1, le=500, description="How many runs, newest first.")


class ListPipelineRunsResult(BaseModel):
    runs: list[PipelineRunView] = Field(description="Newest first.")
    counts: dict[str, int] = Field(description="How many listed runs have each status.")
    window: dict[str, str | None] | None = None


@tool(
    category="pipelines",
    examples=("failed pipeline runs last month", "recent runs of fraud-retrain"),
)
def list_pipeline_runs(ctx: ToolContext, args: ListPipelineRunsArgs) -> ListPipelineRunsResult:
    """List pipeline runs, newest first, optionally of one pipeline, status and time window.

    Use it for "which pipeline runs failed last week" or "recent runs of fraud-retrain".
    Give the time window in `period` exactly as the user said it.
    """
    _reconcile(ctx)
    window = resolve_window(args)
    with ctx.store.session() as session:
        pipeline = None
        if args.pipeline:
            pipeline = _pipeline(ctx, session, args.pipeline).name
        runs = list_runs(
            session,
            pipeline=pipeline,
            status=args.status,
            start=window.start if window else None,
            end=window.end if window else None,
            limit=args.limit,
        )
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    return ListPipelineRunsResult(
        runs=runs, counts=counts, window=window.to_dict() if window else None
    )


# --- explain_pipeline_failure ----------------------------------------------------------------


class ExplainPipelineFailureArgs(BaseModel):
    pipeline: str | None = Field(default=None, description="Pipeline name: its latest failure.")
    run_id: str | None = Field(default=None, description="A failed pipeline run id or prefix.")


@tool(
    category="pipelines",
    examples=("why did the churn pipeline fail?", "what broke in fraud-retrain?"),
)
def explain_pipeline_failure(
    ctx: ToolContext, args: ExplainPipelineFailureArgs
) -> FailureExplanation:
    """Explain why a pipeline run failed and what changed since the last successful run.

    Give `pipeline` (its most recent failed run) or `run_id`. The answer has the failed
    step, its error, the last lines of its log, and the differences from the last successful
    run of the same pipeline: dataset version, params and training code (with a diff).
    """
    if not (args.pipeline or args.run_id):
        raise InvalidInputError("give the pipeline name or a pipeline run id to explain")
    _reconcile(ctx)
    with ctx.store.session() as session:
        if args.run_id:
            run = find_run(session, args.run_id)
            if run.run.status != "failed":
                raise ToolError(
                    f"pipeline run {run.run.id[:8]} is {run.run.status}, "
                    "not failed; nothing to explain"
                )
            pipeline = pipeline_row(session, run.run.pipeline_name)
        else:
            pipeline = _pipeline(ctx, session, args.pipeline or "")
            found = latest_run(session, pipeline.name, statuses=("failed",))
            if found is None:
                raise ToolError(f"pipeline {pipeline.name} has no failed runs")
            run = found
        return explain_failure(session, ctx.settings, run, pipeline)
