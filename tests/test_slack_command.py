"""``modelpilot slack``: token checks, the HTTP endpoint, and alerts posted to a channel."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.slack_stub_server import SlackStub, running_stub
from tests.test_console_support import build_channel_store
from tools.settings import get_settings
from tools.store.schema import Alert
from ui.slack.alerts import post_alert
from ui.slack.app import build_app
from ui.slack.server import make_http_server

SIGNING_SECRET = "http-test-secret"


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from ui.cli import main

    monkeypatch.setattr(sys, "argv", ["modelpilot", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0)


def test_missing_bot_token_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "slack") == 1

    assert capsys.readouterr().err.strip().splitlines() == [
        "error: SLACK_BOT_TOKEN is not set; export the Bot User OAuth Token (xoxb-...) from "
        "your Slack app (create it from slack_manifest.yaml)"
    ]


def test_missing_app_token_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")

    assert run_main(monkeypatch, "slack") == 1

    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert error[0].startswith("error: SLACK_APP_TOKEN is not set;")


def test_http_mode_needs_signing_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")

    assert run_main(monkeypatch, "slack", "--http") == 1

    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1
    assert error[0].startswith("error: SLACK_SIGNING_SECRET is not set;")


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with running_stub() as server:
        yield server


@pytest.fixture
def http_url(stub: SlackStub, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    build_channel_store()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("MODELPILOT_SLACK_API_URL", stub.api_url)
    settings = get_settings()
    server = make_http_server(build_app(settings), settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.clear()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post(url: str, body: str, secret: str) -> tuple[int, str]:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_http_endpoint_answers_url_verification(http_url: str) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})

    status, text = post(f"{http_url}/slack/events", body, SIGNING_SECRET)

    assert status == 200
    assert "abc123" in text


def test_http_endpoint_rejects_bad_signature(http_url: str, stub: SlackStub) -> None:
    event = {"type": "app_mention", "user": "U0BOB", "text": "hi", "ts": "1.1", "channel": "C1"}
    body = json.dumps({"type": "event_callback", "team_id": "T0TEAM", "event": event})

    status, _ = post(f"{http_url}/slack/events", body, "not-the-secret")

    assert status == 401
    assert stub.calls == []


def test_http_endpoint_other_path_not_found(http_url: str) -> None:
    status, _ = post(f"{http_url}/elsewhere", "{}", SIGNING_SECRET)

    assert status == 404


def alert_row() -> Alert:
    return Alert(
        kind="pipeline_failed",
        severity="critical",
        model_name="churn-predictor",
        pipeline_run_id="0123456789abcdef",
        title="Pipeline churn-training failed at step train",
        message="ValueError: Input contains NaN (run 01234567, owner carol)",
        details={"pipeline": "churn-training", "step": "train"},
        owner="carol",
    )


@pytest.fixture
def alert_settings(stub: SlackStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("MODELPILOT_SLACK_ALERT_CHANNEL", "#ml-alerts")
    monkeypatch.setenv("MODELPILOT_SLACK_API_URL", stub.api_url)


def assert_alert_posted(stub: SlackStub) -> None:
    (call,) = stub.calls_to("chat.postMessage")
    assert call.body["channel"] == "#ml-alerts"
    assert call.body["text"].startswith("Pipeline churn-training failed at step train: ValueError")
    assert ":red_circle: *Pipeline churn-training failed at step train*" in call.text()
    assert "why did the churn-training pipeline fail?" in call.text()


def test_post_alert_through_notify(alert_settings: None, stub: SlackStub) -> None:
    assert post_alert(get_settings(), alert_row()) == "slack:#ml-alerts"

    assert_alert_posted(stub)


def test_post_alert_without_notify_module(
    alert_settings: None, stub: SlackStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tools.notify", None)

    assert post_alert(get_settings(), alert_row()) == "slack:#ml-alerts"

    assert_alert_posted(stub)


def test_post_alert_without_channel_sends_nothing(
    stub: SlackStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("MODELPILOT_SLACK_API_URL", stub.api_url)
    monkeypatch.setitem(sys.modules, "tools.notify", None)

    assert post_alert(get_settings(), {"title": "drift", "model": "fraud-detector"}) is None
    assert stub.calls == []


def test_manifest_matches_the_bot() -> None:
    import yaml

    from tests.conftest import PROJECT_ROOT
    from ui.slack.app import SLASH_COMMAND

    manifest = yaml.safe_load((PROJECT_ROOT / "slack_manifest.yaml").read_text())

    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "chat:write",
        "im:history",
        "im:read",
        "im:write",
        "commands",
        "users:read",
    }
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    commands = [command["command"] for command in manifest["features"]["slash_commands"]]
    assert commands == [SLASH_COMMAND]
