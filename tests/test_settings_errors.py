"""An invalid MODELPILOT_* variable gives one line that names it, not pydantic's report."""

from __future__ import annotations

import pytest

import ui.cli
from tools.errors import ConfigError
from tools.settings import get_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MODELPILOT_LLM_ROUTING", "sideways"), ("MODELPILOT_LLM_TIMEOUT_S", "soon")],
)
def test_invalid_variable_names_itself(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        get_settings()
    message = str(raised.value)
    assert message.startswith(f"invalid {variable}='{value}'")
    assert message.endswith(f"fix or unset {variable}")
    assert "\n" not in message


def test_cli_reports_invalid_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODELPILOT_LLM_ROUTING", "sideways")
    monkeypatch.setattr("sys.argv", ["modelpilot", "ask", "list models"])
    with pytest.raises(SystemExit) as exited:
        ui.cli.main()
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: invalid MODELPILOT_LLM_ROUTING='sideways'")
    assert error.count("\n") == 1
