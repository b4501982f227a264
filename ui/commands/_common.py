"""Helpers shared by the sub-command modules: calling a read tool and printing JSON."""

from __future__ import annotations

import json
from typing import Any

import typer

from tools.errors import ToolError
from tools.governance import Actor, Governor
from tools.settings import get_settings
from ui.actor import cli_user

YES = typer.Option(False, "--yes", "-y", help="Apply without the prompt, if your role allows.")
AS_USER = typer.Option(None, "--user", help="Act as this user (default: MODELPILOT_USER).")
AS_JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def read_tool(tool: str, arguments: dict[str, Any], user: str | None) -> dict[str, Any]:
    """Run a read-only tool as the CLI user and return its result, or raise its error."""
    settings = get_settings()
    actor = Actor(cli_user(settings, user), "cli")
    outcome = Governor(settings=settings).invoke(tool, arguments, actor)
    if outcome.status != "ok" or outcome.result is None:
        raise ToolError(outcome.error or f"{tool} failed")
    return outcome.result


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
