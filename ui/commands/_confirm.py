"""Running a mutating tool from the command line, with its confirmation step.

Every change goes through ``Governor.invoke`` (role check, plan, token) and then
``Governor.confirm``. ``--yes`` only skips the interactive prompt: a role that may not make
the change is refused at ``invoke`` as always. Without ``--yes`` and without a terminal to
prompt on, the command prints the planned change and the token to confirm it with.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from tools.errors import ConfirmationError, PermissionDeniedError, ToolError
from tools.governance import Actor, Governor, ToolOutcome
from tools.settings import get_settings
from ui.actor import cli_user


def stdin_is_interactive() -> bool:
    return sys.stdin.isatty()


def _raise_for(outcome: ToolOutcome) -> None:
    message = outcome.error or f"{outcome.name} failed"
    if outcome.status == "denied":
        raise PermissionDeniedError(message)
    if outcome.name == "confirm":
        raise ConfirmationError(message)
    raise ToolError(message)


def confirm_change(governor: Governor, token: str, actor: Actor) -> ToolOutcome:
    """Run the change behind ``token`` and print what was done, or raise its error."""
    outcome = governor.confirm(token, actor)
    if outcome.status != "ok":
        _raise_for(outcome)
    summary = (outcome.result or {}).get("summary")
    typer.echo(f"done: {summary}" if summary else f"done: {outcome.name}")
    return outcome


def run_change(
    tool: str, arguments: dict[str, Any], *, yes: bool, user: str | None = None
) -> ToolOutcome | None:
    """Request a change, confirm it (prompting unless ``yes``) and return the outcome.

    Returns None when the change was not applied: the user declined at the prompt, or there
    was no terminal to prompt on and the token was printed instead.
    """
    settings = get_settings()
    governor = Governor(settings=settings)
    actor = Actor(cli_user(settings, user), "cli")
    outcome = governor.invoke(tool, arguments, actor)
    if outcome.status in ("error", "denied"):
        _raise_for(outcome)
    if outcome.confirmation is None:
        return outcome

    token = outcome.confirmation.token
    typer.echo(f"change: {outcome.confirmation.summary}")
    if not yes:
        if not stdin_is_interactive():
            typer.echo(f"confirmation token: {token}")
            typer.echo(f"to apply it, run: modelpilot confirm {token}")
            return None
        if not typer.confirm("Apply this change?", default=False):
            typer.echo("cancelled; nothing changed")
            return None
    return confirm_change(governor, token, actor)


def confirm_token(token: str, user: str | None = None) -> ToolOutcome:
    """Confirm a change requested earlier; only the user who requested it can."""
    settings = get_settings()
    return confirm_change(
        Governor(settings=settings), token, Actor(cli_user(settings, user), "cli")
    )
