"""``modelpilot ask`` and ``modelpilot chat``: questions in English or Chinese."""

from __future__ import annotations

import uuid

import typer

from assistant.service import Assistant
from tools.governance import Actor
from tools.settings import get_settings
from ui.actor import cli_user
from ui.render_text import answer_json, print_answer


def ask(
    question: str = typer.Argument(..., help="The question or request, in English or Chinese."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as one JSON object."),
    user: str | None = typer.Option(
        None, "--user", help="Act as this user (default: MODELPILOT_USER or your login)."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Confirm a change at once, if your role allows it."
    ),
) -> None:
    """Answer one question, or propose a change and ask for confirmation."""
    settings = get_settings()
    assistant = Assistant(settings)
    actor = Actor(cli_user(settings, user), "cli")
    conversation = f"cli:{uuid.uuid4().hex}"
    answer = assistant.ask(question, actor, conversation)
    if yes and answer.needs_confirmation:
        answer = assistant.confirm(answer.needs_confirmation["token"], actor, conversation)
    if as_json:
        typer.echo(answer_json(answer))
    else:
        print_answer(answer)
    failed = any(call.status in ("error", "denied") for call in answer.tool_calls)
    if failed and yes:
        raise typer.Exit(1)


def chat(
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """Chat in the terminal; follow-ups refer to earlier answers. Type 'exit' to leave."""
    settings = get_settings()
    assistant = Assistant(settings)
    actor = Actor(cli_user(settings, user), "cli")
    conversation = f"chat:{uuid.uuid4().hex}"
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if question.lower() in ("exit", "quit", "退出"):
            break
        if question:
            print_answer(assistant.ask(question, actor, conversation))


def confirm(
    token: str = typer.Argument(..., help="The token printed with the proposed change."),
    user: str | None = typer.Option(None, "--user", help="Act as this user."),
) -> None:
    """Confirm a proposed change; only the user who asked for it can."""
    settings = get_settings()
    answer = Assistant(settings).confirm(token, Actor(cli_user(settings, user), "cli"))
    print_answer(answer)
    if any(call.status != "ok" for call in answer.tool_calls):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(chat)
    app.command()(confirm)
