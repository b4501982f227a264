"""Tools over the model registry: models, versions, aliases, deployments, promotions, notes.

The read-only tools open their own session. The mutating ones plan through
``tools.registry_service`` (summary and fingerprint for the confirmation) and, once confirmed,
plan again and apply inside the governance transaction ``ctx.session``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge
from pydantic import BaseModel, BeforeValidator, Field
from sqlmodel import Session

from tools.errors import ConfigError, InvalidInputError, PermissionDeniedError, ToolError
from tools.periods import PeriodArgs, resolve_window
from tools.registry_service import aliases as alias_service
from tools.registry_service import deployments as deployment_service
from tools.registry_service import models as model_service
from tools.registry_service import notes as note_service
from tools.registry_service import promotion as promotion_service
from tools.registry_service import versions as version_service
from tools.registry_service.aliases import AliasMove
from tools.registry_service.comparison import compare_versions
from tools.registry_service.lookup import (
    alias_row,
    aliases_by_version,
    find_version,
    normalise_alias,
    require_model,
)
from tools.registry_service.moments import resolve_moment
from tools.registry_service.policy import RegistryPolicy, load_policy
from tools.registry_service.rollback import plan_rollback
from tools.registry_service.views import (
    AliasEventView,
    DeploymentEventView,
    DeploymentView,
    ModelSummary,
    ModelVersionDetail,
    PromotionRequestView,
    RankedVersion,
    VersionComparison,
    VersionSummary,
)
from tools.settings import get_settings
from tools.tool_registry import ChangePlan, Role, ToolContext, role_allows, tool
from tools.vocabulary import find_task


def transaction(ctx: ToolContext) -> Session:
    """Return the governance transaction a mutating tool must write in."""
    if ctx.session is None:
        raise ToolError("this tool changes the store; run it through Governor.invoke and confirm")
    return ctx.session


def _version_text(value: object) -> object:
    # Users and models write "v7" as often as 7.
    if isinstance(value, str):
        return value.strip().removeprefix("v").removeprefix("V")
    return value


def _alias_text(value: object) -> object:
    return value.strip().casefold() if isinstance(value, str) else value


VersionNumber = Annotated[int, Ge(1), BeforeValidator(_version_text)]
AliasName = Annotated[str, BeforeValidator(_alias_text)]


def _model_field() -> Any:
    return Field(description="Registered model name, e.g. fraud-detector.")


def _task(text: str | None) -> str | None:
    if text is None:
        return None
    return find_task(text) or text


def _policy(ctx: ToolContext) -> RegistryPolicy:
    return load_policy(ctx.settings)


def alias_role(args: Any) -> Role:
    """editor; approver for protected aliases (production, champion, prod by default)."""
    try:
        policy = load_policy(get_settings())
    except ConfigError:
        # Fail closed; the plan reports the broken policy file to the caller.
        return "approver"
    return "approver" if policy.is_protected(args.alias) else "editor"


def _require_alias_role(ctx: ToolContext, policy: RegistryPolicy, alias: str) -> None:
    # The role rule reads the environment's policy; this re-check uses the governor's.
    required: Role = "approver" if policy.is_protected(alias) else "editor"
    if not role_allows(ctx.role, required):
        raise PermissionDeniedError(
            f"{ctx.user} ({ctx.role}) may not change alias {alias!r}: it needs the {required} role"
        )


# --- read-only tools -------------------------------------------------------------------------


class ListModelsArgs(BaseModel):
    task: str | None = Field(
        default=None, description="Model task, e.g. fraud-detection, image-classification."
    )
    query: str | None = Field(
        default=None, description="Text to look for in the model name, description or task."
    )


class ListModelsResult(BaseModel):
    models: list[ModelSummary]
    task: str | None


@tool(category="registry", examples=("which models are registered?", "list fraud models"))
def list_models(ctx: ToolContext, args: ListModelsArgs) -> ListModelsResult:
    """List registered models with their latest version, aliases, task and last update.

    Use it for "which models do we have", "models for churn prediction", or to find the
    exact name of a model before calling another registry tool.
    """
    task = _task(args.task)
    with ctx.store.session() as session:
        models = model_service.list_models(session, task=task, query=args.query)
    return ListModelsResult(models=models, task=task)


class GetModelVersionArgs(BaseModel):
    model: str = _model_field()
    version: VersionNumber | None = Field(default=None, description="Version number, e.g. 7.")
    alias: AliasName | None = Field(
        default=None, description="Alias instead of a number, e.g. production or staging."
    )


@tool(category="registry", examples=("tell me about fraud-detector v7", "what is in production?"))
def get_model_version(ctx: ToolContext, args: GetModelVersionArgs) -> ModelVersionDetail:
    """Describe one model version: metrics, lineage, dependencies, model card and deployment.

    Give `version` or `alias` (not both); with neither, the latest version is described.
    The result includes the structure, dependencies, the start of the training script and its
    full length, the description, whether a model card exists, the source run (name,
    experiment, params, metrics), the dataset versions that run read, the aliases the
    version holds now and where it is deployed.
    """
    with ctx.store.session() as session:
        model = require_model(session, args.model).name
        alias = normalise_alias(args.alias) if args.alias is not None else None
        version = find_version(session, model, version=args.version, alias=alias)
        return version_service.describe_version(session, version)


class ListModelVersionsArgs(BaseModel):
    model: str = _model_field()
    status: Literal["READY", "ARCHIVED", "FAILED_REGISTRATION"] | None = Field(
        default=None, description="Only versions with this status."
    )


class ListModelVersionsResult(BaseModel):
    model: str
    versions: list[VersionSummary]


@tool(category="registry", examples=("list versions of fraud-detector",))
def list_model_versions(ctx: ToolContext, args: ListModelVersionsArgs) -> ListModelVersionsResult:
    """List the versions of a registered model, newest first, with status, aliases and metrics."""
    with ctx.store.session() as session:
        model = require_model(session, args.model).name
        versions = version_service.list_versions(session, model, args.status)
    return ListModelVersionsResult(model=model, versions=versions)


class CompareModelVersionsArgs(BaseModel):
    model: str = _model_field()
    versions: list[VersionNumber] = Field(
        min_length=2,
        max_length=5,
        description="2 to 5 version numbers to compare, e.g. [2, 3]. The first is the baseline.",
    )


@tool(
    category="registry",
    examples=("compare fraud-detector v2 and v3", "which is better, churn-predictor v1 or v2?"),
)
def compare_model_versions(ctx: ToolContext, args: CompareModelVersionsArgs) -> VersionComparison:
    """Compare 2 to 5 versions of one registered model side by side.

    For each version: status and stage, the aliases that point at it now, the source run (id and
    name), creation time, evaluation metrics (the version's own, filled in from its run's
    latest metrics) and where it is deployed. For each metric: the values, their difference
    to the first version given, and the best version (higher is better for scores such as
    accuracy or auc, lower for loss, error and latency). `main_metric` and `best_version`
    name the headline metric every version has (auc, else f1, else accuracy, ...) and the
    version that wins on it. To compare runs that were never registered, use compare_runs.
    """
    with ctx.store.session() as session:
        return compare_versions(session, args.model, args.versions)


class AliasHistoryArgs(BaseModel):
    model: str = _model_field()
    alias: AliasName = Field(default="production", description="Alias, e.g. production.")
    at: str | None = Field(
        default=None,
        description=(
            "A moment to ask which version held the alias then: an ISO instant or date, or a "
            "phrase in the user's words, e.g. '3 March', 'last Friday'. For a day, the "
            "result is the holder at the end of that day."
        ),
    )


class AliasHistoryResult(BaseModel):
    model: str
    alias: str
    current_version: int | None
    events: list[AliasEventView] = Field(description="Every change of the alias, newest first.")
    at: str | None = None
    as_of: str | None = Field(
        default=None,
        description="The instant `version_at` describes: the one given, or the end of the day.",
    )
    version_at: int | None = Field(default=None, description="The version that held it then.")
    changes_in_window: list[AliasEventView] = Field(
        default_factory=list, description="Changes within the day or period `at` named."
    )


@tool(
    category="registry",
    examples=("which version was in production on 3 March?", "history of the production alias"),
)
def alias_history(ctx: ToolContext, args: AliasHistoryArgs) -> AliasHistoryResult:
    """Show every change of a model's alias (who, when, from and to which version, why).

    With `at`, also return which version held the alias at that moment, e.g. "what was in
    production on 3 March". Pass the moment in the user's words.
    """
    moment = resolve_moment(args.at) if args.at else None
    with ctx.store.session() as session:
        model = require_model(session, args.model).name
        alias = normalise_alias(args.alias)
        current = alias_row(session, model, alias)
        events = alias_service.alias_events(session, model, alias)
        result = AliasHistoryResult(
            model=model,
            alias=alias,
            current_version=current.version if current else None,
            events=[alias_service.view_event(e) for e in reversed(events)],
            at=args.at,
        )
        if moment is not None:
            result.as_of = moment.as_of.isoformat()
            result.version_at = alias_service.holder_before(events, current, moment.cutoff)
            if moment.window is not None:
                result.changes_in_window = [
                    alias_service.view_event(e)
                    for e in reversed(events)
                    if moment.window.contains(e.occurred_at)
                ]
    return result


class GetDeploymentsArgs(BaseModel):
    model: str | None = Field(default=None, description="Registered model name; all if omitted.")
    environment: str | None = Field(
        default=None, description="Environment, e.g. production or staging; all if omitted."
    )


class GetDeploymentsResult(BaseModel):
    deployments: list[DeploymentView]


@tool(category="registry", examples=("what is deployed in production?",))
def get_deployments(ctx: ToolContext, args: GetDeploymentsArgs) -> GetDeploymentsResult:
    """Show what serves now in each environment: model, version, status, endpoint, since when."""
    with ctx.store.session() as session:
        model = require_model(session, args.model).name if args.model else None
        found = deployment_service.current_deployments(session, model, args.environment)
    return GetDeploymentsResult(deployments=found)


class DeploymentHistoryArgs(PeriodArgs):
    model: str | None = Field(default=None, description="Registered model name; all if omitted.")
    environment: str | None = Field(default=None, description="Environment, e.g. production.")
    limit: int = Field(default=50, ge=1, le=1000, description="How many events to return.")


class DeploymentHistoryResult(BaseModel):
    events: list[DeploymentEventView] = Field(description="Newest first.")
    window: dict[str, str | None] | None


@tool(category="registry", examples=("deployments of fraud-detector last month",))
def deployment_history(ctx: ToolContext, args: DeploymentHistoryArgs) -> DeploymentHistoryResult:
    """List deployments, rollbacks and undeployments over time, newest first.

    Use it for "when did fraud-detector last change in production" or "what was deployed
    last week". Give the time window in `period` in the user's words.
    """
    window = resolve_window(args)
    with ctx.store.session() as session:
        model = require_model(session, args.model).name if args.model else None
        events = deployment_service.deployment_events(
            session,
            model,
            args.environment,
            start=window.start if window else None,
            end=window.end if window else None,
            limit=args.limit,
        )
    return DeploymentHistoryResult(events=events, window=window.to_dict() if window else None)


class SearchModelVersionsArgs(PeriodArgs):
    task: str | None = Field(default=None, description="Model task, e.g. fraud-detection.")
    metric: str | None = Field(
        default=None, description="Metric to rank by, e.g. accuracy, auc, val_loss."
    )
    alias: AliasName | None = Field(
        default=None, description="Only versions this alias points at now, e.g. production."
    )
    include_archived: bool = Field(default=False, description="Also rank archived versions.")
    limit: int = Field(default=10, ge=1, le=1000, description="How many versions to return.")


class SearchModelVersionsResult(BaseModel):
    versions: list[RankedVersion]
    total: int = Field(description="How many versions matched, before the limit.")
    metric: str | None
    order: Literal["max", "min"] | None
    window: dict[str, str | None] | None


@tool(
    category="registry",
    examples=("best fraud model version by auc", "top versions registered this quarter"),
)
def search_model_versions(
    ctx: ToolContext, args: SearchModelVersionsArgs
) -> SearchModelVersionsResult:
    """Rank model versions across registered models by a metric, or list the newest.

    The order follows the metric (accuracy: highest first; loss, latency: lowest first).
    `period` filters by registration time, in the user's words. Archived versions are left
    out unless `include_archived` is true.
    """
    window = resolve_window(args)
    query = model_service.VersionQuery(
        task=_task(args.task),
        metric=args.metric,
        start=window.start if window else None,
        end=window.end if window else None,
        alias=normalise_alias(args.alias) if args.alias else None,
        include_archived=args.include_archived,
        limit=args.limit,
    )
    with ctx.store.session() as session:
        versions, metric, order, total = model_service.search_versions(session, query)
    return SearchModelVersionsResult(
        versions=versions,
        total=total,
        metric=metric,
        order=order,
        window=window.to_dict() if window else None,
    )


class ListPromotionRequestsArgs(BaseModel):
    status: Literal["pending", "approved", "rejected", "cancelled"] | None = Field(
        default=None, description="Only requests with this status."
    )
    model: str | None = Field(default=None, description="Registered model name.")


class ListPromotionRequestsResult(BaseModel):
    requests: list[PromotionRequestView]


@tool(category="registry", examples=("pending promotion requests",))
def list_promotion_requests(
    ctx: ToolContext, args: ListPromotionRequestsArgs
) -> ListPromotionRequestsResult:
    """List promotion requests, newest first, with their checklist, metrics and diff."""
    with ctx.store.session() as session:
        model = require_model(session, args.model).name if args.model else None
        found = promotion_service.list_requests(session, args.status, model)
    return ListPromotionRequestsResult(requests=found)


# --- registering and archiving versions ------------------------------------------------------


class RegisterModelVersionArgs(BaseModel):
    run_id: str = Field(description="Run id, id prefix (8+ characters) or exact run name.")
    model: str = Field(
        description="Registered model name; a new name creates the registered model."
    )
    description: str | None = Field(default=None, description="What this version is.")


class RegisterModelVersionResult(BaseModel):
    version: VersionSummary
    created_model: bool
    summary: str


def _plan_registration(ctx: ToolContext, args: RegisterModelVersionArgs) -> ChangePlan:
    plan = version_service.plan_registration(transaction(ctx), args.run_id, args.model)
    details = {"model": plan.model, "version": plan.version, "run_id": plan.run_id}
    return ChangePlan(plan.summary, plan.fingerprint, details)


@tool(
    category="registry",
    mutating=True,
    role="editor",
    plan=_plan_registration,
    examples=("register run 3f2a9c1b as fraud-detector",),
)
def register_model_version(
    ctx: ToolContext, args: RegisterModelVersionArgs
) -> RegisterModelVersionResult:
    """Register a run's model as the next version of a registered model (needs editor).

    The version number is the highest existing one plus one. A model name the registry does
    not know creates that registered model. The run's latest metrics and its recorded
    environment (package versions) are copied onto the version. Runs that FAILED or were
    KILLED are rejected.
    """
    session = transaction(ctx)
    plan = version_service.plan_registration(session, args.run_id, args.model)
    row = version_service.apply_registration(session, plan, ctx.user, args.description)
    return RegisterModelVersionResult(
        version=version_service.summarise_version(row, []),
        created_model=plan.create_model,
        summary=plan.summary,
    )


class ArchiveModelVersionArgs(BaseModel):
    model: str = _model_field()
    version: VersionNumber = Field(description="Version number to archive.")


class ArchiveModelVersionResult(BaseModel):
    version: VersionSummary
    summary: str


def _plan_archive(ctx: ToolContext, args: ArchiveModelVersionArgs) -> ChangePlan:
    plan = version_service.plan_archive(transaction(ctx), _policy(ctx), args.model, args.version)
    return ChangePlan(
        plan.summary, plan.fingerprint, {"model": plan.model, "version": plan.version}
    )


@tool(
    category="registry",
    mutating=True,
    role="editor",
    plan=_plan_archive,
    examples=("archive fraud-detector v3",),
)
def archive_model_version(
    ctx: ToolContext, args: ArchiveModelVersionArgs
) -> ArchiveModelVersionResult:
    """Archive a model version so it is no longer offered for use (needs editor).

    It is rejected while a protected alias (production, champion, prod) points at the
    version, or while the version is deployed in an environment. Move the alias or deploy
    another version first.
    """
    session = transaction(ctx)
    plan = version_service.plan_archive(session, _policy(ctx), args.model, args.version)
    row = version_service.apply_archive(session, plan)
    aliases = aliases_by_version(session, plan.model).get(plan.version, [])
    return ArchiveModelVersionResult(
        version=version_service.summarise_version(row, aliases), summary=plan.summary
    )


# --- aliases and rollback --------------------------------------------------------------------


class AliasChangeResult(BaseModel):
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    action: str = Field(description="The alias history action: set, move, remove, rollback...")
    environment: str | None = Field(
        description="The environment this alias deploys to (production, staging), if any."
    )
    summary: str


def _alias_result(move: AliasMove) -> AliasChangeResult:
    return AliasChangeResult(
        model=move.model,
        alias=move.alias,
        from_version=move.from_version,
        to_version=move.to_version,
        action=move.event_action,
        environment=move.environment,
        summary=move.summary,
    )


def _move_plan(move: AliasMove) -> ChangePlan:
    details = {
        "model": move.model,
        "alias": move.alias,
        "from_version": move.from_version,
        "to_version": move.to_version,
        "environment": move.environment,
    }
    return ChangePlan(move.summary, move.fingerprint, details)


class SetAliasArgs(BaseModel):
    model: str = _model_field()
    alias: AliasName = Field(description="Alias to point, e.g. production, staging, challenger.")
    version: VersionNumber = Field(description="Version number the alias should point at.")
    reason: str | None = Field(
        default=None, description="Reason for the change, in the user's words."
    )


def _set_alias_move(ctx: ToolContext, args: SetAliasArgs) -> AliasMove:
    policy = _policy(ctx)
    alias = normalise_alias(args.alias)
    _require_alias_role(ctx, policy, alias)
    session = transaction(ctx)
    return alias_service.plan_alias_move(session, policy, args.model, alias, args.version, "assign")


def _plan_set_alias(ctx: ToolContext, args: SetAliasArgs) -> ChangePlan:
    return _move_plan(_set_alias_move(ctx, args))


@tool(
    category="registry",
    mutating=True,
    role=alias_role,
    plan=_plan_set_alias,
    examples=("point production of fraud-detector at v8", "set staging to v9"),
)
def set_alias(ctx: ToolContext, args: SetAliasArgs) -> AliasChangeResult:
    """Point an alias of a registered model at a version; this is how a version is deployed.

    Ordinary aliases need the editor role; protected ones (production, champion, prod by
    default) need approver. Moving `production` or `staging` also deploys the version to
    that environment and records a deployment event. A protected alias cannot point at an
    archived version. For a reviewed change use request_promotion instead, and to undo a bad
    release use rollback_model.
    """
    move = _set_alias_move(ctx, args)
    alias_service.apply_alias_move(transaction(ctx), move, ctx.user, args.reason)
    return _alias_result(move)


class RemoveAliasArgs(BaseModel):
    model: str = _model_field()
    alias: AliasName = Field(description="Alias to remove.")
    reason: str | None = Field(
        default=None, description="Reason for the change, in the user's words."
    )


def _remove_alias_move(ctx: ToolContext, args: RemoveAliasArgs) -> AliasMove:
    policy = _policy(ctx)
    alias = normalise_alias(args.alias)
    _require_alias_role(ctx, policy, alias)
    return alias_service.plan_alias_move(
        transaction(ctx), policy, args.model, alias, None, "remove"
    )


def _plan_remove_alias(ctx: ToolContext, args: RemoveAliasArgs) -> ChangePlan:
    return _move_plan(_remove_alias_move(ctx, args))


@tool(category="registry", mutating=True, role=alias_role, plan=_plan_remove_alias)
def remove_alias(ctx: ToolContext, args: RemoveAliasArgs) -> AliasChangeResult:
    """Remove an alias from a registered model (editor; approver for protected aliases).

    Removing `production` or `staging` also undeploys the model from that environment.
    """
    move = _remove_alias_move(ctx, args)
    alias_service.apply_alias_move(transaction(ctx), move, ctx.user, args.reason)
    return _alias_result(move)


class RollbackModelArgs(BaseModel):
    model: str = _model_field()
    alias: AliasName = Field(default="production", description="Alias to roll back.")
    to_version: VersionNumber | None = Field(
        default=None,
        description=(
            "Version to go back to; default: the newest earlier holder of the alias that it "
            "was not rolled back from."
        ),
    )
    reason: str | None = Field(
        default=None, description="Reason for the change, in the user's words."
    )


def _rollback_move(ctx: ToolContext, args: RollbackModelArgs) -> AliasMove:
    policy = _policy(ctx)
    alias = normalise_alias(args.alias)
    return plan_rollback(transaction(ctx), policy, args.model, alias, args.to_version)


def _plan_rollback(ctx: ToolContext, args: RollbackModelArgs) -> ChangePlan:
    return _move_plan(_rollback_move(ctx, args))


@tool(
    category="registry",
    mutating=True,
    role="approver",
    plan=_plan_rollback,
    examples=("roll back fraud-detector", "roll back production of churn-model to v4"),
)
def rollback_model(ctx: ToolContext, args: RollbackModelArgs) -> AliasChangeResult:
    """Roll an alias (production by default) back to an earlier version (needs approver).

    Without `to_version` the target is the version that held the alias before the current
    one, read from the alias history (after v1 → v3 → v2 it returns to v3, not v1), skipping
    versions the alias was rolled back from because they were found bad: after v1 → v2 → v3
    and a rollback v3 → v2, the next rollback goes to v1. A given `to_version` is used even
    if it was rolled back from. The rollback is recorded in the alias history (action
    rollback) and, for production or staging, as a deployment rollback.
    """
    move = _rollback_move(ctx, args)
    alias_service.apply_alias_move(transaction(ctx), move, ctx.user, args.reason)
    return _alias_result(move)


# --- promotion requests ----------------------------------------------------------------------


class RequestPromotionArgs(BaseModel):
    model: str = _model_field()
    version: VersionNumber = Field(description="Candidate version number.")
    alias: AliasName = Field(default="production", description="Alias to promote it to.")
    reason: str | None = Field(default=None, description="Why it should be promoted.")


class PromotionResult(BaseModel):
    request: PromotionRequestView
    summary: str
    alias_change: AliasChangeResult | None = None


def _promotion_plan(
    ctx: ToolContext, args: RequestPromotionArgs
) -> promotion_service.PromotionPlan:
    alias = normalise_alias(args.alias)
    return promotion_service.plan_promotion_request(
        transaction(ctx), _policy(ctx), args.model, args.version, alias
    )


def _plan_request_promotion(ctx: ToolContext, args: RequestPromotionArgs) -> ChangePlan:
    plan = _promotion_plan(ctx, args)
    details = {
        "checklist": [item.model_dump() for item in plan.checklist],
        "diff": plan.diff.model_dump(mode="json"),
    }
    return ChangePlan(plan.summary, plan.fingerprint, details)


@tool(
    category="registry",
    mutating=True,
    role="editor",
    plan=_plan_request_promotion,
    examples=("request promotion of fraud-detector v8 to production",),
)
def request_promotion(ctx: ToolContext, args: RequestPromotionArgs) -> PromotionResult:
    """Ask for a version to be promoted to an alias (production by default); needs editor.

    The request carries the version's evaluation metrics, a diff against the version the
    alias points at now (metrics side by side with deltas, params that differ, dependencies
    that changed) and an admission checklist: model card present, evaluation metrics
    present, lineage to a run and dataset versions, dependencies recorded. The workspace
    policy can make checklist items required, and then a failing item rejects the request.
    Another approver must approve it with approve_promotion.
    """
    session = transaction(ctx)
    plan = _promotion_plan(ctx, args)
    row = promotion_service.apply_promotion_request(session, plan, ctx.user, args.reason)
    return PromotionResult(request=promotion_service.view_request(row), summary=plan.summary)


class ApprovePromotionArgs(BaseModel):
    request_id: str = Field(description="Promotion request id, or a unique prefix of it.")
    comment: str | None = Field(default=None, description="Reviewer's comment.")


def _approval(ctx: ToolContext, args: ApprovePromotionArgs) -> promotion_service.ReviewPlan:
    return promotion_service.plan_approval(
        transaction(ctx), _policy(ctx), args.request_id, ctx.user
    )


def _plan_approve(ctx: ToolContext, args: ApprovePromotionArgs) -> ChangePlan:
    plan = _approval(ctx, args)
    return ChangePlan(plan.summary, plan.fingerprint, {"request_id": plan.request_id})


@tool(
    category="registry",
    mutating=True,
    role="approver",
    plan=_plan_approve,
    examples=("approve promotion 1a2b3c4d",),
)
def approve_promotion(ctx: ToolContext, args: ApprovePromotionArgs) -> PromotionResult:
    """Approve a pending promotion request and move the alias (needs approver).

    The requester cannot approve their own request. Approving moves the alias exactly like
    set_alias, including the deployment for production or staging, and records who
    approved it.
    """
    session = transaction(ctx)
    plan = _approval(ctx, args)
    row = promotion_service.apply_review(session, plan, ctx.user, args.comment)
    change = _alias_result(plan.move) if plan.move else None
    return PromotionResult(
        request=promotion_service.view_request(row), summary=plan.summary, alias_change=change
    )


class RejectPromotionArgs(BaseModel):
    request_id: str = Field(description="Promotion request id, or a unique prefix of it.")
    comment: str = Field(min_length=1, description="Why it is rejected.")


def _plan_reject(ctx: ToolContext, args: RejectPromotionArgs) -> ChangePlan:
    plan = promotion_service.plan_rejection(transaction(ctx), args.request_id)
    return ChangePlan(plan.summary, plan.fingerprint, {"request_id": plan.request_id})


@tool(category="registry", mutating=True, role="approver", plan=_plan_reject)
def reject_promotion(ctx: ToolContext, args: RejectPromotionArgs) -> PromotionResult:
    """Reject a pending promotion request with a comment (needs approver); no alias moves."""
    session = transaction(ctx)
    plan = promotion_service.plan_rejection(session, args.request_id)
    row = promotion_service.apply_review(session, plan, ctx.user, args.comment)
    return PromotionResult(request=promotion_service.view_request(row), summary=plan.summary)


# --- notes -----------------------------------------------------------------------------------


class AddNoteArgs(BaseModel):
    entity: str = Field(
        description=(
            "What the note is about: 'MODEL vN' for a model version (e.g. 'fraud-detector "
            "v7'), 'MODEL@alias', a registered model, experiment or dataset name, or a run id."
        )
    )
    text: str = Field(description="The note, in the user's words.")
    kind: Literal["note", "model_card"] = Field(
        default="note", description="model_card when the text is the version's model card."
    )
    title: str | None = Field(default=None, description="Optional title.")


class AddNoteResult(BaseModel):
    note_id: str
    entity_type: str
    entity_id: str
    entity: str
    kind: str
    summary: str


def _note_plan(ctx: ToolContext, args: AddNoteArgs) -> note_service.NotePlan:
    plan = note_service.plan_note(transaction(ctx), args.entity, args.text, args.kind, args.title)
    if plan.kind == "model_card" and plan.target.entity_type != "model_version":
        raise InvalidInputError(
            f"a model card belongs to a model version, not {plan.target.label}; "
            "write the entity as 'MODEL vN'"
        )
    return plan


def _plan_add_note(ctx: ToolContext, args: AddNoteArgs) -> ChangePlan:
    plan = _note_plan(ctx, args)
    details = {"entity_type": plan.target.entity_type, "entity": plan.target.label}
    return ChangePlan(plan.summary, plan.fingerprint, details)


@tool(
    category="registry",
    mutating=True,
    role="editor",
    plan=_plan_add_note,
    examples=("note on fraud-detector v7: threshold tuned for recall",),
)
def add_note(ctx: ToolContext, args: AddNoteArgs) -> AddNoteResult:
    """Write a note on a model version, registered model, experiment, dataset or run.

    Use it for "note on fraud-detector v7: ..." or "add a model card to churn-model v3".
    Needs editor. Notes become searchable in the knowledge index.
    """
    plan = _note_plan(ctx, args)
    note = note_service.apply_note(transaction(ctx), plan, ctx.user)
    ctx.after_commit.append(lambda: note_service.notify_note_added(note))
    return AddNoteResult(
        note_id=note.id,
        entity_type=plan.target.entity_type,
        entity_id=plan.target.entity_id,
        entity=plan.target.label,
        kind=plan.kind,
        summary=plan.summary,
    )
