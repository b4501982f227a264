"""``modelpilot tools``: the table of every tool, as the README shows it."""

from __future__ import annotations

import inspect
import json

import typer
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from tools.tool_registry import REGISTRY, Tool


def _argument(name: str, model: type[BaseModel]) -> str:
    field = model.model_fields[name]
    if field.is_required():
        return f"`{name}`"
    default = field.get_default(call_default_factory=True)
    if default is None or default is PydanticUndefined:
        return f"`{name}?`"
    return f"`{name}={json.dumps(default, ensure_ascii=False)}`"


def _arguments(tool: Tool) -> str:
    names = list(tool.args_model.model_fields)
    return ", ".join(_argument(name, tool.args_model) for name in names) or "-"


def _access(tool: Tool) -> str:
    if not tool.mutating:
        return "read"
    if callable(tool.role):
        rule = (inspect.getdoc(tool.role) or "depends on the arguments").splitlines()[0]
        return f"change: {rule.rstrip('.')}"
    return f"change: {tool.role}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_tool_table() -> str:
    """Return a Markdown table of every registered tool with its arguments and access."""
    lines = [
        "| Tool | Category | Access | Arguments | What it does |",
        "|---|---|---|---|---|",
    ]
    for tool in REGISTRY.all():
        cells = [f"`{tool.name}`", tool.category, _access(tool), _arguments(tool), tool.summary]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def render_tool_list() -> str:
    """Return every tool grouped by category, for reading in a terminal."""
    lines: list[str] = []
    category = None
    for tool in REGISTRY.all():
        if tool.category != category:
            category = tool.category
            lines.append(f"{category}:" if not lines else f"\n{category}:")
        arguments = _arguments(tool).replace("`", "")
        lines.append(f"  {tool.name}({'' if arguments == '-' else arguments})  [{_access(tool)}]")
        lines.append(f"      {tool.summary}")
    return "\n".join(lines) + "\n"


def tools_command(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the Markdown table that the README contains."
    ),
) -> None:
    """List every tool the assistant can call, with arguments and the role a change needs."""
    typer.echo(render_tool_table() if markdown else render_tool_list(), nl=False)


def register(app: typer.Typer) -> None:
    app.command("tools")(tools_command)
