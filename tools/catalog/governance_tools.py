"""Tools over governance: the audit log, users and roles."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tools.catalog.registry import transaction
from tools.errors import NotFoundError
from tools.periods import PeriodArgs, resolve_window
from tools.registry_service import users as user_service
from tools.registry_service.audit import AuditQuery, search_audit
from tools.registry_service.views import AuditEntryView, UserView
from tools.resolve import resolve_model_name
from tools.tool_registry import ChangePlan, Role, ToolContext, tool


class AuditLogArgs(PeriodArgs):
    user: str | None = Field(default=None, description="Only calls by this user.")
    tool: str | None = Field(
        default=None, description="Tool name or part of it, e.g. rollback_model or rollback."
    )
    model: str | None = Field(
        default=None, description="Only calls whose arguments or summary name this model."
    )
    mutating_only: bool = Field(
        default=True, description="Only tools that change the store; false includes reads."
    )
    outcome: str | None = Field(
        default=None,
        description="ok, error, denied, needs_confirmation or rejected; all if omitted.",
    )
    limit: int = Field(default=20, ge=1, le=1000, description="How many entries to return.")


class AuditLogResult(BaseModel):
    entries: list[AuditEntryView] = Field(description="Newest first.")
    model: str | None
    window: dict[str, str | None] | None


def _model_name(ctx: ToolContext, text: str | None) -> str | None:
    # A model that was deleted or never existed can still appear in the log, so an unknown
    # name is searched as typed.
    if text is None:
        return None
    with ctx.store.session() as session:
        try:
            return resolve_model_name(session, text)
        except NotFoundError:
            return text


@tool(
    category="governance",
    examples=("who rolled back the fraud model last week?", "what did alice change today?"),
)
def audit_log(ctx: ToolContext, args: AuditLogArgs) -> AuditLogResult:
    """Search the audit log of tool calls: who did what, to which model, when, with what result.

    Use it for "who rolled back fraud-detector last week" (tool=rollback_model,
    model=fraud-detector, period='last week'). A confirmed change appears twice: once as
    needs_confirmation when it was requested and once as ok when it ran. Reads are left out
    unless mutating_only is false.
    """
    window = resolve_window(args)
    model = _model_name(ctx, args.model)
    query = AuditQuery(
        user=args.user,
        tool=args.tool,
        model=model,
        start=window.start if window else None,
        end=window.end if window else None,
        mutating_only=args.mutating_only,
        outcome=args.outcome,
        limit=args.limit,
    )
    with ctx.store.session() as session:
        entries = search_audit(session, query)
    return AuditLogResult(entries=entries, model=model, window=window.to_dict() if window else None)


class GetUserArgs(BaseModel):
    name: str | None = Field(
        default=None, description="User name; the calling user when omitted ('who am I?')."
    )


@tool(category="governance", examples=("who am I?", "what role does bob have?"))
def get_user(ctx: ToolContext, args: GetUserArgs) -> UserView:
    """Show a user's role (viewer < editor < approver < admin) and Slack id.

    Without a name it describes the calling user. A user the store does not list is a viewer.
    """
    with ctx.store.session() as session:
        return user_service.describe_user(session, args.name or ctx.user)


class ListUsersArgs(BaseModel):
    pass


class ListUsersResult(BaseModel):
    users: list[UserView]


@tool(category="governance", examples=("list users",))
def list_users(ctx: ToolContext, args: ListUsersArgs) -> ListUsersResult:
    """List the workspace's users with their roles and Slack ids."""
    with ctx.store.session() as session:
        return ListUsersResult(users=user_service.list_users(session))


class AddUserArgs(BaseModel):
    name: str = Field(description="User name, as the CLI login or MODELPILOT_USER gives it.")
    role: Role = Field(description="viewer, editor, approver or admin.")
    slack_user_id: str | None = Field(
        default=None, description="Slack member id (e.g. U024BE7LH), to map Slack users."
    )


class UserChangeResult(BaseModel):
    user: UserView
    summary: str


def add_user_role(args: Any) -> Role:
    """admin; on a workspace without users anyone may add the first user, an admin."""
    # A role rule receives only the arguments, not the store. So a request to add an admin
    # passes here, and the plan, which reads the store, rejects it unless the workspace
    # has no users yet or the caller is an admin.
    return "viewer" if args.role == "admin" else "admin"


def _add_user_plan(ctx: ToolContext, args: AddUserArgs) -> user_service.UserChange:
    return user_service.plan_add_user(
        transaction(ctx), args.name, args.role, args.slack_user_id, ctx.role
    )


def _plan_add_user(ctx: ToolContext, args: AddUserArgs) -> ChangePlan:
    plan = _add_user_plan(ctx, args)
    return ChangePlan(plan.summary, plan.fingerprint, {"name": plan.name, "role": plan.role})


@tool(
    category="governance",
    mutating=True,
    role=add_user_role,
    plan=_plan_add_user,
    examples=("add bob as an editor",),
)
def add_user(ctx: ToolContext, args: AddUserArgs) -> UserChangeResult:
    """Add a user with a role (needs admin).

    Bootstrap: while the workspace has no users at all, anyone may add the first user, and
    that user must be an admin. Change an existing user's role with set_role.
    """
    plan = _add_user_plan(ctx, args)
    row = user_service.apply_add_user(transaction(ctx), plan)
    return UserChangeResult(user=user_service.view_user(row), summary=plan.summary)


class SetRoleArgs(BaseModel):
    name: str = Field(description="User name.")
    role: Role = Field(description="viewer, editor, approver or admin.")


def _plan_set_role(ctx: ToolContext, args: SetRoleArgs) -> ChangePlan:
    plan = user_service.plan_set_role(transaction(ctx), args.name, args.role)
    return ChangePlan(plan.summary, plan.fingerprint, {"name": plan.name, "role": plan.role})


@tool(
    category="governance",
    mutating=True,
    role="admin",
    plan=_plan_set_role,
    examples=("make alice an approver",),
)
def set_role(ctx: ToolContext, args: SetRoleArgs) -> UserChangeResult:
    """Change a user's role (needs admin). The last admin cannot be demoted."""
    session = transaction(ctx)
    plan = user_service.plan_set_role(session, args.name, args.role)
    row = user_service.apply_set_role(session, plan)
    return UserChangeResult(user=user_service.view_user(row), summary=plan.summary)
