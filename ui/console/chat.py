"""The chat: asking the assistant, keeping the history, and answering confirmations.

Every question goes to ``Assistant.ask`` as the user picked in the sidebar, in that user's
conversation of this browser session, so follow-ups ("and the second best?") resolve.
"""

from __future__ import annotations

import streamlit as st

from tools.governance import Actor
from tools.tool_registry import REGISTRY, role_allows
from ui.console.answer_view import escape_markdown, show_answer
from ui.console.session import (
    ChatEntry,
    acting_user,
    assistant,
    conversation_id,
    history,
    role_of,
    t,
)

CHANNEL = "console"


def ask(question: str) -> int:
    """Ask ``question`` as the acting user; return the history index of the answer."""
    user = acting_user()
    entries = history()
    entries.append(ChatEntry("user", user, question))
    with st.spinner(t("thinking")):
        answer = assistant().ask(question, Actor(user, CHANNEL), conversation_id(user))
    entries.append(ChatEntry("assistant", user, answer.answer, answer))
    return len(entries) - 1


def confirm(index: int) -> None:
    """Run the change behind the answer at ``index`` as the acting user."""
    entry = history()[index]
    assert entry.answer is not None and entry.answer.needs_confirmation is not None
    user = acting_user()
    token = entry.answer.needs_confirmation["token"]
    with st.spinner(t("thinking")):
        result = assistant().confirm(token, Actor(user, CHANNEL), conversation_id(user))
    entry.resolution = "confirmed" if all(c.status == "ok" for c in result.tool_calls) else None
    history().append(ChatEntry("assistant", user, result.answer, result))


def cancel(index: int) -> None:
    entry = history()[index]
    user = acting_user()
    pending = entry.answer.needs_confirmation if entry.answer else None
    token = pending["token"] if pending else None
    result = assistant().cancel(Actor(user, CHANNEL), conversation_id(user), token=token)
    entry.resolution = "cancelled"
    history().append(ChatEntry("assistant", user, result.answer, result))


def confirm_refusal(entry: ChatEntry, user: str) -> str | None:
    """Return why ``user`` may not confirm the change in ``entry``, or None if they may."""
    assert entry.answer is not None and entry.answer.needs_confirmation is not None
    if user != entry.user:
        return t("only_requester", user=entry.user)
    pending = entry.answer.needs_confirmation
    tool = REGISTRY.get(pending["tool"], read_only=assistant().settings.read_only)
    required = tool.required_role(tool.args_model.model_validate(pending["arguments"]))
    role = role_of(user)
    if not role_allows(role, required):
        return t("role_too_low", role=t(f"role_{role}"), required=t(f"role_{required}"))
    return None


def show_confirmation(index: int, entry: ChatEntry) -> None:
    """Draw the pending change with Confirm and Cancel for the user allowed to use them."""
    assert entry.answer is not None and entry.answer.needs_confirmation is not None
    pending = entry.answer.needs_confirmation
    with st.container(border=True):
        st.markdown(f"**{t('change_heading')}**")
        st.markdown(escape_markdown(str(pending["summary"])))
        st.caption(t("change_requested_by", user=entry.user))
        if entry.resolution is not None:
            st.caption(t(entry.resolution))
            return
        user = acting_user()
        refusal = confirm_refusal(entry, user)
        buttons = st.container(horizontal=True)
        if refusal is None and buttons.button(
            t("confirm_button"), key=f"confirm-{index}", type="primary"
        ):
            confirm(index)
            st.rerun()
        if user == entry.user and buttons.button(t("cancel_button"), key=f"cancel-{index}"):
            cancel(index)
            st.rerun()
        if refusal is not None:
            st.caption(refusal)


def show_entry(index: int, entry: ChatEntry) -> None:
    with st.chat_message(entry.role):
        if entry.role == "user":
            st.caption(t("asked_by", user=entry.user))
            st.markdown(escape_markdown(entry.text))
            return
        assert entry.answer is not None
        show_answer(entry.answer, key=f"answer-{index}")
        if entry.answer.needs_confirmation:
            show_confirmation(index, entry)


def show_history() -> None:
    for index, entry in enumerate(history()):
        show_entry(index, entry)
