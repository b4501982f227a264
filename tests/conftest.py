"""Shared fixtures: an isolated workspace per test and a guard against real network calls."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"
FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures"

_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address: object) -> None:
    """Refuse any connection that leaves the machine, so no test can reach a real LLM."""
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {host!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Give each test its own workspace and strip LLM and Slack settings from the environment."""
    home = tmp_path / "workspace"
    monkeypatch.setenv("MODELPILOT_HOME", str(home))
    for name in (
        "MODELPILOT_STORE_URL",
        "MODELPILOT_NOW",
        "MODELPILOT_READ_ONLY",
        "MODELPILOT_USER",
        "MODELPILOT_LLM_MODEL",
        "MODELPILOT_LLM_BASE_URL",
        "MODELPILOT_LLM_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)
    yield home


@pytest.fixture
def realdata() -> Path:
    """The shared folder of real third-party data; skip where a fresh clone lacks it."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is absent in this checkout")
    return REALDATA


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is absent in this checkout")
    return FIXTURES
