"""``modelpilot console``: the Streamlit command line and the demo built on first start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_console_support import build_channel_store
from tools.settings import Settings
from ui.commands import console as console_command
from ui.console import APP_PATH


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    commands: list[list[str]] = []

    def record(command: list[str]) -> int:
        commands.append(command)
        return 0

    monkeypatch.setattr(console_command, "run_until_stopped", record)
    return commands


def test_console_serves_on_loopback(started: list[list[str]]) -> None:
    from ui.cli import app

    build_channel_store()

    result = CliRunner().invoke(app, ["console", "--port", "8642"])

    assert result.exit_code == 0, result.output
    (command,) = started
    assert command[1:5] == ["-m", "streamlit", "run", str(APP_PATH)]
    assert "--server.address=127.0.0.1" in command
    assert "--server.port=8642" in command
    assert "--server.headless=true" in command
    assert "--browser.gatherUsageStats=false" in command
    assert "building the demo" not in result.output
    assert "http://127.0.0.1:8642" in result.output


def test_console_builds_demo_when_no_store(
    started: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tools.demo import build
    from ui.cli import app

    built: list[Path] = []

    def fake_build(settings: Settings) -> Any:
        built.append(settings.home)
        return build.DemoReport(settings.home)

    monkeypatch.setattr(build, "build_demo", fake_build)

    result = CliRunner().invoke(app, ["console"])

    assert result.exit_code == 0, result.output
    assert built == [tmp_path / "workspace"]
    assert (
        f"No workspace in {(tmp_path / 'workspace').resolve()}; building the demo" in result.output
    )
    assert "--server.port=8501" in started[0]


def test_console_exit_status_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import app

    build_channel_store()
    monkeypatch.setattr(console_command, "run_until_stopped", lambda command: 3)

    result = CliRunner().invoke(app, ["console"])

    assert result.exit_code == 3
