"""The frame around every page: sidebar (language, acting user), navigation and the ask box."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui.console import chat
from ui.console.answer_view import QUEUED_QUESTION
from ui.console.error_view import guarded
from ui.console.i18n import LANGUAGE_NAMES, text
from ui.console.session import (
    LOCAL_USER,
    PAGE_ANSWER,
    acting_user,
    assistant,
    history,
    role_of,
    t,
    workspace_users,
)

VIEWS = Path(__file__).parent / "views"
# url path of each page, its view file and the key of its title.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("chat", "chat.py", "page_chat", ":material/chat:"),
    ("models", "models.py", "page_models", ":material/inventory_2:"),
    ("runs", "runs.py", "page_runs", ":material/compare_arrows:"),
    ("pipelines", "pipelines.py", "page_pipelines", ":material/account_tree:"),
    ("monitoring", "monitoring.py", "page_monitoring", ":material/monitor_heart:"),
    ("audit", "audit.py", "page_audit", ":material/history:"),
)


def _language_switch() -> None:
    st.sidebar.radio(
        text("language_label", "en"),
        options=list(LANGUAGE_NAMES),
        format_func=lambda code: LANGUAGE_NAMES[code],
        key="language",
        horizontal=True,
    )


def _user_picker() -> None:
    users = workspace_users()
    if not users:
        st.session_state["acting_user"] = LOCAL_USER
        st.sidebar.warning(t("no_users", user=LOCAL_USER))
        return
    roles = {user["name"]: user["role"] for user in users}
    names = list(roles)
    if st.session_state.get("acting_user") not in roles:
        preferred = assistant().settings.user
        st.session_state["acting_user"] = preferred if preferred in roles else names[0]
    # The options show names only: a label that changes with the language would lose the
    # selection when the language is switched.
    st.sidebar.selectbox(t("acting_as"), options=names, key="acting_user")
    st.sidebar.caption(t("role_line", role=t("role_" + role_of(acting_user()))))


def _sidebar() -> None:
    st.sidebar.title("ModelPilot")
    _language_switch()
    st.sidebar.info(t("local_mode"), icon=":material/person:")
    with st.sidebar, guarded():
        _user_picker()
    settings = assistant().settings
    if settings.read_only:
        st.sidebar.caption(t("read_only"))
    st.sidebar.caption(t("workspace", path=settings.home.resolve()))
    if history() and st.sidebar.button(t("clear_chat"), key="clear_chat"):
        history().clear()
        st.session_state.pop(PAGE_ANSWER, None)
        st.rerun()


def _navigation() -> tuple[str, StreamlitPage]:
    """Register the pages; return the one to draw and its path ("chat" for the start page)."""
    pages = {
        path: st.Page(
            VIEWS / view, title=t(title), icon=icon, url_path=path, default=path == "chat"
        )
        for path, view, title, icon in PAGES
    }
    current = st.navigation(list(pages.values()), position="top")
    # The default page reports an empty url_path, so find the page by identity instead.
    path = next(path for path, page in pages.items() if page is current)
    return path, current


def _ask_box(page: str) -> None:
    """Draw the question box at the top of a page and the latest answer asked from it."""
    with st.form("ask_form", clear_on_submit=True, border=False):
        field, button = st.columns([6, 1], vertical_alignment="bottom")
        question = field.text_input(t("ask_label"), placeholder=t("ask_placeholder"), key="ask_box")
        submitted = button.form_submit_button(t("ask_button"), width="stretch")
    if submitted and question and question.strip():
        st.session_state[PAGE_ANSWER] = (page, chat.ask(question.strip()) - 1)
    shown = st.session_state.get(PAGE_ANSWER)
    if not shown or shown[0] != page or shown[1] >= len(history()):
        return
    # From the question on, so the outcome of a change confirmed here shows here too.
    with st.container(border=True):
        for index in range(shown[1], len(history())):
            chat.show_entry(index, history()[index])


def run() -> None:
    """Draw the console for one script run."""
    st.set_page_config(page_title=t("page_title"), page_icon="🧭", layout="wide")
    _sidebar()
    path, page = _navigation()
    queued = st.session_state.pop(QUEUED_QUESTION, None)
    if queued:
        with guarded():
            st.session_state[PAGE_ANSWER] = (path, chat.ask(queued) - 1)
    if path != "chat":
        with guarded():
            _ask_box(path)
    with guarded():
        page.run()
