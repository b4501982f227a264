"""The README's commands exist and its tool table matches the registry."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = _code_blocks(section)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_make_targets():
    commands = _quick_start_commands()
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "lint", "typecheck"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def _documented_subcommands() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for block in _code_blocks(README):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            match = re.search(r"(?:^|\s|/)modelpilot\s+(.*)$", line)
            if not match:
                continue
            words = [w for w in shlex.split(match.group(1)) if not w.startswith("-")]
            if not words:
                continue
            group = app.registered_groups
            names = {g.name for g in group}
            found.add(tuple(words[:2]) if words[0] in names else (words[0],))
    return found


def test_documented_commands_exist():
    commands = _documented_subcommands()
    assert ("ask",) in commands
    runner = CliRunner()
    for command in sorted(commands):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, f"modelpilot {' '.join(command)}: {result.output}"


def test_tool_table_matches_registry():
    render = pytest.importorskip("ui.commands.tools_doc").render_tool_table
    table = README.split("<!-- tools:start -->", 1)[1].split("<!-- tools:end -->", 1)[0]
    assert table.strip() == render().strip(), (
        "run `modelpilot tools --markdown` and paste it into the README"
    )
