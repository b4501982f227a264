"""``modelpilot pipeline`` commands."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

import ui.cli
from tools.errors import InvalidInputError, ToolError
from tools.settings import get_settings
from tools.store.db import open_store
from tools.store.schema import User

runner = CliRunner()


def _definition(**fields: object) -> dict[str, object]:
    return {
        "name": "iris-cli",
        "model": "iris-classifier",
        "owner": "bob",
        "dataset": "sklearn:iris",
        "entry_point": "tools.pipelines.trainers:logistic_regression",
        "params": {"cv": 2},
        "gate": "accuracy >= 0.8",
        **fields,
    }


def test_pipeline_commands(tmp_path: Path) -> None:
    settings = get_settings()
    with open_store(settings).session() as session:
        session.add(User(name="bob", role="approver"))
        session.add(User(name="dave", role="viewer"))
    outside = tmp_path / "iris-cli.yaml"
    outside.write_text(yaml.safe_dump(_definition()), encoding="utf-8")

    registered = runner.invoke(ui.cli.app, ["pipeline", "register", str(outside)])
    listed = runner.invoke(ui.cli.app, ["pipeline", "list", "--user", "dave"])
    denied = runner.invoke(ui.cli.app, ["pipeline", "run", "iris-cli", "--yes", "--user", "dave"])
    ran = runner.invoke(
        ui.cli.app,
        ["pipeline", "run", "iris-cli", "--wait", "--yes", "--user", "bob", "-p", "C=0.5"],
    )
    status = runner.invoke(ui.cli.app, ["pipeline", "status", "iris-cli", "--user", "dave"])
    runs = runner.invoke(ui.cli.app, ["pipeline", "runs", "--status", "succeeded"])
    explain = runner.invoke(ui.cli.app, ["pipeline", "explain", "iris-cli"])

    assert registered.exit_code == 0, registered.output
    assert "registered pipeline iris-cli" in registered.output
    assert (settings.home / "pipelines" / "iris-cli.yaml").is_file()
    assert listed.exit_code == 0
    assert "iris-cli: iris-classifier on sklearn:iris, owner bob; never run" in listed.output
    assert denied.exit_code == 1
    assert "needs the editor role" in str(denied.exception)
    assert ran.exit_code == 0, ran.output
    assert "change: run pipeline iris-cli (train iris-classifier on dataset sklearn:iris, " in (
        ran.output
    )
    assert "succeeded" in ran.output
    assert "model version: iris-classifier v1" in ran.output
    assert status.exit_code == 0
    assert "6. deploy" in status.output
    assert runs.exit_code == 0
    assert "iris-cli" in runs.output
    assert explain.exit_code == 1
    assert isinstance(explain.exception, ToolError)
    assert "has no failed runs" in str(explain.exception)


def test_register_rejects_relative_script_outside_workspace(tmp_path: Path) -> None:
    outside = tmp_path / "iris-cli.yaml"
    outside.write_text(yaml.safe_dump(_definition(entry_point="train.py")), encoding="utf-8")

    result = runner.invoke(ui.cli.app, ["pipeline", "register", str(outside)])

    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInputError)
    assert "relative path" in str(result.exception)
