"""State of one browser session: the language, who is acting, and the chat history.

Every session of the server process shares one assistant per workspace settings. Each session
keeps its own history and uses its own conversation ids with the assistant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from assistant.answer import Answer
from assistant.service import Assistant
from tools.settings import get_settings
from tools.tool_registry import REGISTRY, Role, ToolContext
from ui.console.i18n import UiLanguage, text

# The name a session acts under when the workspace lists no users; governance treats any
# unknown name as a viewer.
LOCAL_USER = "local"
# Session key: the page a question was asked from, and the history index of that question.
PAGE_ANSWER = "page_answer"


@dataclass
class ChatEntry:
    """One message of the chat: a question, or the assistant's answer to it."""

    role: Literal["user", "assistant"]
    user: str
    text: str
    answer: Answer | None = None
    resolution: Literal["confirmed", "cancelled"] | None = None


@st.cache_resource(show_spinner=False)
def _assistant_for(settings_key: str) -> Assistant:
    # The key is the settings as JSON: different settings (another workspace, a test) get
    # their own assistant instead of one bound to a stale store.
    del settings_key
    return Assistant(get_settings())


def assistant() -> Assistant:
    return _assistant_for(get_settings().model_dump_json())


def language() -> UiLanguage:
    return "zh" if st.session_state.get("language") == "zh" else "en"


def t(key: str, **values: Any) -> str:
    """Return the UI string ``key`` in the session's language."""
    return text(key, language(), **values)


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state["session_id"] = uuid.uuid4().hex[:12]
    return str(st.session_state["session_id"])


def history() -> list[ChatEntry]:
    if "history" not in st.session_state:
        st.session_state["history"] = []
    entries: list[ChatEntry] = st.session_state["history"]
    return entries


def conversation_id(user: str) -> str:
    """Return the assistant conversation of ``user`` in this browser session."""
    return f"console:{session_id()}:{user}"


def workspace_users() -> list[dict[str, Any]]:
    """Return the store's users (name, role, slack_user_id), read without an audit entry."""
    current = assistant()
    tool = REGISTRY.get("list_users")
    ctx = ToolContext(current.store, current.settings, "console", "viewer", "internal")
    result = tool.run(ctx, tool.args_model()).model_dump(mode="json")
    users: list[dict[str, Any]] = result["users"]
    return users


def acting_user() -> str:
    return str(st.session_state.get("acting_user") or LOCAL_USER)


def role_of(user: str) -> Role:
    return assistant().governor.role_of(user)
