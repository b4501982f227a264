"""The Slack bot as a real Bolt app: signed requests in, Web API calls to a local stub."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from tests.slack_stub_server import BOT_USER_ID, TEAM_ID, RecordedCall, SlackStub, running_stub
from tests.test_console_support import build_channel_store, production_version
from tools.settings import get_settings
from tools.store.db import Store
from ui.slack.app import build_app
from ui.slack.blocks import CANCEL_ACTION, CONFIRM_ACTION

SIGNING_SECRET = "test-signing-secret-0123456789"
ROLLBACK = "roll back the fraud model"


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with running_stub() as server:
        yield server


@pytest.fixture
def store() -> Store:
    return build_channel_store()


@pytest.fixture
def app(stub: SlackStub, store: Store, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("MODELPILOT_SLACK_API_URL", stub.api_url)
    bolt_app = build_app(get_settings(), process_before_response=True)
    assert [call.method for call in stub.calls] == ["auth.test"]
    stub.clear()
    return bolt_app


def signed(body: str, content_type: str, secret: str = SIGNING_SECRET) -> BoltRequest:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature],
    }
    return BoltRequest(body=body, headers=headers)


def event_request(event: dict[str, Any], secret: str = SIGNING_SECRET) -> BoltRequest:
    body = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": f"Ev{event['ts'].replace('.', '')}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        "event": event,
    }
    return signed(json.dumps(body), "application/json", secret)


def mention(user: str, text: str, ts: str, thread: str | None = None) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": "C0MODELS",
        "event_ts": ts,
    }
    if thread:
        event["thread_ts"] = thread
    return event


def direct_message(user: str, text: str, ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0DIRECT",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
    }


def posts(stub: SlackStub) -> list[RecordedCall]:
    return stub.calls_to("chat.postMessage")


def first_section_text(call: RecordedCall) -> str:
    return str(call.body["blocks"][0]["text"]["text"])


def button_value(call: RecordedCall, action_id: str) -> str:
    for block in call.body["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["action_id"] == action_id:
                    return str(element["value"])
    raise AssertionError(f"no {action_id} button in {call.body['blocks']}")


def click(
    app: App, stub: SlackStub, user: str, value: str, action_id: str = CONFIRM_ACTION
) -> BoltResponse:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0APP",
        "token": "unused",
        "trigger_id": "1.2.3",
        "channel": {"id": "C0MODELS"},
        "container": {"type": "message", "channel_id": "C0MODELS", "message_ts": "1001.000100"},
        "message": {"ts": "1001.000100", "thread_ts": "400.000001"},
        "response_url": stub.response_url(f"click-{user}"),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "modelpilot_confirmation",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return app.dispatch(signed(body, "application/x-www-form-urlencoded"))


def request_rollback(app: App, stub: SlackStub, user: str = "U0BOB") -> str:
    """Ask for the rollback as ``user`` and return the Confirm button's value."""
    response = app.dispatch(event_request(mention(user, ROLLBACK, "400.000001")))
    assert response.status == 200
    (post,) = posts(stub)
    stub.clear()
    return button_value(post, CONFIRM_ACTION)


def test_mention_answered_in_thread(app: App, stub: SlackStub) -> None:
    response = app.dispatch(
        event_request(mention("U0DAVE", "which models are registered?", "100.000001"))
    )

    assert response.status == 200
    (post,) = posts(stub)
    assert post.body["channel"] == "C0MODELS"
    assert post.body["thread_ts"] == "100.000001"
    assert "fraud-detector" in post.text()
    assert "churn-predictor" in post.text()
    assert BOT_USER_ID not in first_section_text(post)
    assert post.headers["authorization"] == "Bearer xoxb-test-token"


def test_direct_message_answered_in_thread(app: App, stub: SlackStub) -> None:
    response = app.dispatch(
        event_request(direct_message("U0DAVE", "best fraud run by auc", "200.000001"))
    )

    assert response.status == 200
    (post,) = posts(stub)
    assert post.body["channel"] == "D0DIRECT"
    assert post.body["thread_ts"] == "200.000001"
    assert "fraud-run-2" in first_section_text(post)


def test_bot_own_message_ignored(app: App, stub: SlackStub) -> None:
    event = direct_message("U0DAVE", "which models are registered?", "210.000001")
    event["bot_id"] = "B0OTHER"

    app.dispatch(event_request(event))

    assert posts(stub) == []


def test_thread_follow_up_resolves_against_first(app: App, stub: SlackStub) -> None:
    app.dispatch(event_request(mention("U0DAVE", "best fraud run by auc", "300.000001")))
    follow_up = mention("U0DAVE", "and the second best?", "300.000009", thread="300.000001")
    app.dispatch(event_request(follow_up))
    elsewhere = mention("U0DAVE", "and the second best?", "301.000001")
    app.dispatch(event_request(elsewhere))

    first, second, unrelated = posts(stub)
    assert "fraud-run-2" in first_section_text(first)
    assert second.body["thread_ts"] == "300.000001"
    assert "second best" in first_section_text(second)
    assert "fraud-run-3" in first_section_text(second)
    # Another thread is another conversation, so it has no ranking by auc to follow up.
    assert "auc" not in first_section_text(unrelated)


def test_slash_command_responds_in_channel(app: App, stub: SlackStub) -> None:
    body = urlencode(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "channel_id": "C0MODELS",
            "user_id": "U0DAVE",
            "command": "/modelpilot",
            "text": "which models are registered?",
            "response_url": stub.response_url("command"),
            "trigger_id": "1.2.3",
        }
    )

    response = app.dispatch(signed(body, "application/x-www-form-urlencoded"))

    assert response.status == 200
    (reply,) = stub.calls_to("response/command")
    assert reply.body["response_type"] == "in_channel"
    assert "<@U0DAVE>: which models are registered?" in reply.text()
    assert "fraud-detector" in reply.text()


def test_confirm_by_requester_changes_store(app: App, stub: SlackStub, store: Store) -> None:
    value = request_rollback(app, stub)
    assert production_version(store) == 2

    response = click(app, stub, "U0BOB", value)

    assert response.status == 200
    assert production_version(store) == 1
    (replacement,) = stub.calls_to("response/click-U0BOB")
    assert replacement.body["replace_original"] is True
    assert "Done." in first_section_text(replacement)
    assert "Confirmed by <@U0BOB>" in replacement.text()
    assert "actions" not in [block["type"] for block in replacement.body["blocks"]]


def test_confirm_by_other_user_refused(app: App, stub: SlackStub, store: Store) -> None:
    value = request_rollback(app, stub)

    response = click(app, stub, "U0ALICE", value)

    assert response.status == 200
    assert production_version(store) == 2
    (refusal,) = stub.calls_to("chat.postEphemeral")
    assert refusal.body["user"] == "U0ALICE"
    assert (
        refusal.body["text"]
        == "Only <@U0BOB>, who asked for this change, can confirm or cancel it."
    )
    assert stub.calls_to("response/click-U0ALICE") == []

    click(app, stub, "U0BOB", value)
    assert production_version(store) == 1


def test_cancel_by_requester_keeps_store(app: App, stub: SlackStub, store: Store) -> None:
    value = request_rollback(app, stub)

    click(app, stub, "U0BOB", value, action_id=CANCEL_ACTION)

    assert production_version(store) == 2
    (replacement,) = stub.calls_to("response/click-U0BOB")
    assert "Cancelled by <@U0BOB>; nothing changed." in replacement.text()
    assert "actions" not in [block["type"] for block in replacement.body["blocks"]]


def test_unknown_slack_user_is_viewer(app: App, stub: SlackStub, store: Store) -> None:
    app.dispatch(event_request(mention("U0STRANGER", ROLLBACK, "500.000001")))

    (post,) = posts(stub)
    assert "Not allowed" in first_section_text(post)
    assert "slack:U0STRANGER (viewer)" in first_section_text(post)
    assert "actions" not in [block["type"] for block in post.body["blocks"]]
    assert production_version(store) == 2


def test_chinese_request_gets_chinese_buttons(app: App, stub: SlackStub) -> None:
    app.dispatch(event_request(direct_message("U0BOB", "把欺诈模型回滚到上一个版本", "600.000001")))

    (post,) = posts(stub)
    assert "将要进行的修改" in first_section_text(post)
    labels = [
        element["text"]["text"]
        for block in post.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert labels == ["确认", "取消"]


def test_bad_signature_rejected(app: App, stub: SlackStub, store: Store) -> None:
    request = event_request(mention("U0BOB", ROLLBACK, "700.000001"), secret="wrong-secret")

    response = app.dispatch(request)

    assert response.status == 401
    assert stub.calls == []
    assert production_version(store) == 2
