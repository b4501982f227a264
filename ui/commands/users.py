"""``modelpilot users``: add users, change roles and list them."""

from __future__ import annotations

import typer

from tools.errors import ToolError
from tools.governance import Actor, Governor
from tools.settings import get_settings
from tools.tool_registry import Role
from ui.actor import cli_user
from ui.commands._confirm import run_change

users_app = typer.Typer(help="Users and their roles (viewer < editor < approver < admin).")

YES = typer.Option(False, "--yes", "-y", help="Apply without the prompt, if your role allows.")
AS_USER = typer.Option(
    None, "--user", help="Act as this user (default: MODELPILOT_USER or your login)."
)
ROLE = typer.Option(..., "--role", help="The role: viewer, editor, approver or admin.")


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="User name (the CLI login or MODELPILOT_USER)."),
    role: Role = ROLE,
    slack_id: str | None = typer.Option(
        None, "--slack-id", help="Slack member id, e.g. U024BE7LH."
    ),
    yes: bool = YES,
    user: str | None = AS_USER,
) -> None:
    """Add a user; needs admin, except for the first user of a workspace, who must be admin."""
    arguments = {"name": name, "role": role, "slack_user_id": slack_id}
    run_change("add_user", arguments, yes=yes, user=user)


@users_app.command("set-role")
def set_role(
    name: str = typer.Argument(..., help="User name."),
    role: Role = ROLE,
    yes: bool = YES,
    user: str | None = AS_USER,
) -> None:
    """Change a user's role; needs admin."""
    run_change("set_role", {"name": name, "role": role}, yes=yes, user=user)


@users_app.command("list")
def list_users(user: str | None = AS_USER) -> None:
    """List users with their roles and Slack ids."""
    settings = get_settings()
    outcome = Governor(settings=settings).invoke(
        "list_users", {}, Actor(cli_user(settings, user), "cli")
    )
    if outcome.status != "ok" or outcome.result is None:
        raise ToolError(outcome.error or "could not list users")
    rows = outcome.result["users"]
    if not rows:
        typer.echo("no users yet; add the first admin with: modelpilot users add NAME --role admin")
        return
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        slack = row["slack_user_id"] or "-"
        typer.echo(f"{row['name']:<{width}}  {row['role']:<8}  {slack}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
