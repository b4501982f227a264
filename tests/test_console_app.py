"""The Streamlit console driven through AppTest on a small real workspace."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_console_support import build_channel_store, production_version
from tools.errors import NotFoundError
from tools.store.db import Store
from tools.store.schema import User
from tools.tool_registry import REGISTRY
from ui.console import APP_PATH
from ui.console.i18n import STRINGS

# The first run imports the assistant and opens the store; CI machines have two cores.
TIMEOUT_S = 60
ROLLBACK = "roll back the fraud model"


@pytest.fixture
def store() -> Store:
    return build_channel_store()


@pytest.fixture
def app(store: Store) -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def act_as(at: AppTest, user: str) -> None:
    at.sidebar.selectbox(key="acting_user").set_value(user).run()


def ask(at: AppTest, question: str) -> None:
    at.chat_input(key="chat_input").set_value(question).run()
    assert not at.exception, at.exception


def button_keys(at: AppTest) -> set[str]:
    return {button.key for button in at.button if button.key}


def captions(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption]


def frame_text(at: AppTest) -> str:
    return " ".join(frame.value.to_string() for frame in at.dataframe)


def test_chat_renders_answer_with_table(app: AppTest) -> None:
    ask(app, "which models are registered?")

    messages = app.chat_message
    assert [message.name for message in messages] == ["user", "assistant"]
    assert messages[0].markdown[0].value == "which models are registered?"
    assert "fraud-detector" in messages[1].markdown[0].value
    assert "fraud-detector" in frame_text(app)
    assert "churn-predictor" in frame_text(app)


def test_chat_follow_up_uses_same_conversation(app: AppTest) -> None:
    ask(app, "best fraud run by auc")
    ask(app, "and the second best?")

    answers = [m.markdown[0].value for m in app.chat_message if m.name == "assistant"]
    assert "fraud-run-2" in answers[0]
    assert "second best" in answers[1]
    assert "fraud-run-3" in answers[1]


def test_confirm_shown_to_approver(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    ask(app, ROLLBACK)

    assert "confirm-1" in button_keys(app)
    assert "cancel-1" in button_keys(app)
    summaries = [m.value for m in app.markdown]
    assert any("fraud-detector v2 → v1" in text for text in summaries), summaries
    assert production_version(store) == 2


def test_confirm_click_changes_store(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    ask(app, ROLLBACK)

    app.button(key="confirm-1").click().run()

    assert not app.exception, app.exception
    assert production_version(store) == 1
    assert "confirm-1" not in button_keys(app)
    assert "Confirmed." in captions(app)
    last = app.chat_message[-1].markdown[0].value
    assert last.startswith("Done."), last


def test_cancel_leaves_store_unchanged(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    ask(app, ROLLBACK)

    app.button(key="cancel-1").click().run()

    assert production_version(store) == 2
    assert "confirm-1" not in button_keys(app)
    assert "Cancelled; nothing changed." in captions(app)


def test_viewer_gets_no_confirm(app: AppTest, store: Store) -> None:
    act_as(app, "dave")
    ask(app, ROLLBACK)

    assert not any(key.startswith("confirm-") for key in button_keys(app))
    answer = app.chat_message[-1].markdown[0].value
    assert "Not allowed" in answer
    assert production_version(store) == 2


def test_confirm_hidden_from_other_user(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    ask(app, ROLLBACK)
    act_as(app, "alice")

    assert "confirm-1" not in button_keys(app)
    assert "cancel-1" not in button_keys(app)
    assert "Only bob, who asked for this change, can confirm it." in captions(app)

    act_as(app, "bob")
    assert "confirm-1" in button_keys(app)


def test_confirm_hidden_after_role_lowered(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    ask(app, ROLLBACK)
    with store.session() as session:
        bob = session.get(User, "bob")
        assert bob is not None
        bob.role = "editor"
        session.add(bob)

    app.run()

    assert "confirm-1" not in button_keys(app)
    assert "cancel-1" in button_keys(app)
    assert "Your role is editor; confirming this change needs approver." in captions(app)


def test_language_switch_changes_labels(app: AppTest) -> None:
    assert app.title[0].value == "Chat"
    assert app.sidebar.selectbox(key="acting_user").label == "Acting as"

    app.sidebar.radio(key="language").set_value("zh").run()

    assert app.title[0].value == "对话"
    assert app.sidebar.selectbox(key="acting_user").label == "当前用户"
    assert app.chat_input(key="chat_input").placeholder == "询问运行、模型、流水线等…"
    assert any(button.label == "有哪些注册的模型？" for button in app.button)
    assert "本地模式" in app.sidebar.info[0].value


def test_chinese_question_gets_chinese_answer(app: AppTest) -> None:
    app.sidebar.radio(key="language").set_value("zh").run()
    ask(app, "有哪些注册的模型？")

    answer = app.chat_message[-1].markdown[0].value
    assert "共" in answer or "模型" in answer, answer
    assert "fraud-detector" in frame_text(app)


def test_strings_have_matching_placeholders() -> None:
    import string

    for key, (english, chinese) in STRINGS.items():
        names_en = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        names_zh = {name for _, name, _, _ in string.Formatter().parse(chinese) if name}
        assert english and chinese, key
        assert names_en == names_zh, key


def test_every_used_string_exists() -> None:
    import re

    from tests.conftest import PROJECT_ROOT

    pattern = re.compile(r"""\bt\(["']([a-z0-9_]+)["'][,)]""")
    sources = (PROJECT_ROOT / "ui" / "console").rglob("*.py")
    used = {key for path in sources for key in pattern.findall(path.read_text())}

    assert len(used) > 40
    assert used - set(STRINGS) == set()


def test_models_page_lists_versions_and_aliases(app: AppTest) -> None:
    app.switch_page("views/models.py").run()

    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == "Registered models"
    text = frame_text(app)
    assert "fraud-detector" in text
    assert "production=2" in text
    assert "set_alias" not in text
    assert any(m.value == "production points at version 2." for m in app.markdown)


def test_runs_page_compares_two_runs(app: AppTest) -> None:
    app.switch_page("views/runs.py").run()

    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert len(app.multiselect(key="runs_pick").value) == 2
    assert "max_depth" in frame_text(app)
    assert app.selectbox(key="runs_curve_metric").value == "auc"


def test_audit_page_lists_alias_changes(app: AppTest) -> None:
    app.switch_page("views/audit.py").run()

    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert "set_alias" in frame_text(app)


@pytest.mark.parametrize("view", ["views/pipelines.py", "views/monitoring.py"])
def test_dashboard_pages_render_without_errors(app: AppTest, view: str) -> None:
    app.switch_page(view).run()

    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def test_ask_box_on_page_shows_answer(app: AppTest) -> None:
    app.switch_page("views/models.py").run()

    app.text_input(key="ask_box").set_value("which models are registered?")
    app.form_submit_button[0].click().run()

    assert not app.exception, app.exception
    messages = app.chat_message
    assert [message.name for message in messages] == ["user", "assistant"]
    assert messages[0].markdown[0].value == "which models are registered?"
    assert app.title[0].value == "Registered models"


def test_confirm_from_page_ask_box(app: AppTest, store: Store) -> None:
    act_as(app, "bob")
    app.switch_page("views/models.py").run()
    app.text_input(key="ask_box").set_value(ROLLBACK)
    app.form_submit_button[0].click().run()

    app.button(key="confirm-1").click().run()

    assert not app.exception, app.exception
    assert production_version(store) == 1
    assert app.title[0].value == "Registered models"
    assert app.chat_message[-1].markdown[0].value.startswith("Done.")


@pytest.fixture
def without_tool() -> Iterator[Any]:
    removed: dict[str, Any] = {}
    REGISTRY.names()  # load the catalogue before changing it

    def remove(name: str) -> None:
        removed[name] = REGISTRY._tools.pop(name)

    yield remove
    REGISTRY._tools.update(removed)


def test_missing_tool_gets_one_line_note(app: AppTest, without_tool: Any) -> None:
    without_tool("list_alerts")

    app.switch_page("views/monitoring.py").run()

    assert not app.exception, app.exception
    notes = [info.value for info in app.info]
    assert "The list_alerts tool is not available in this workspace yet." in notes


@pytest.fixture
def failing_list_models() -> Iterator[None]:
    original = REGISTRY.get("list_models")

    def fail(ctx: Any, args: Any) -> Any:
        raise NotFoundError("no models in 'nowhere'; import some first")

    REGISTRY._tools["list_models"] = dataclasses.replace(original, run=fail)
    yield
    REGISTRY._tools["list_models"] = original


def test_tool_error_becomes_one_line(app: AppTest, failing_list_models: None) -> None:
    app.switch_page("views/models.py").run()

    assert not app.exception, app.exception
    assert [error.value for error in app.error] == ["no models in 'nowhere'; import some first"]
