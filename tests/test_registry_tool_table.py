"""The README's tool table comes from the registry and lists every tool and argument."""

from __future__ import annotations

from typer.testing import CliRunner

import ui.cli
from tools.tool_registry import REGISTRY
from ui.commands.tools_doc import render_tool_table


def table_rows() -> dict[str, str]:
    rows = {}
    for line in render_tool_table().splitlines()[2:]:
        name = line.split("|")[1].strip().strip("`")
        rows[name] = line
    return rows


def test_table_lists_every_tool_and_argument() -> None:
    rows = table_rows()
    assert set(rows) == set(REGISTRY.names())
    for tool in REGISTRY.all():
        for argument in tool.args_model.model_fields:
            assert f"`{argument}" in rows[tool.name], (tool.name, argument)


def test_table_shows_access() -> None:
    rows = table_rows()
    assert "| read |" in rows["list_models"]
    assert "| change: approver |" in rows["rollback_model"]
    assert "approver for protected aliases" in rows["set_alias"]
    assert '`alias="production"`' in rows["rollback_model"]
    assert "`to_version?`" in rows["rollback_model"]


def test_tools_command_prints_table() -> None:
    result = CliRunner().invoke(ui.cli.app, ["tools", "--markdown"])
    assert result.exit_code == 0
    assert result.output == render_tool_table()


def test_tools_command_lists_tools() -> None:
    result = CliRunner().invoke(ui.cli.app, ["tools"])
    assert result.exit_code == 0
    assert (
        '  rollback_model(model, alias="production", to_version?, reason?)  [change: approver]'
        in (result.output.splitlines())
    )
    for name in REGISTRY.names():
        assert f"  {name}(" in result.output
