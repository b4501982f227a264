"""Chat page: the conversation with the assistant, as the user picked in the sidebar."""

import streamlit as st

from ui.console import chat
from ui.console.answer_view import QUEUED_QUESTION
from ui.console.session import PAGE_ANSWER, history, t

EXAMPLES = ("example_1", "example_2", "example_3")


def render() -> None:
    st.title(t("chat_title"))
    if not history():
        st.info(t("chat_empty"))
        for key in EXAMPLES:
            if st.button(t(key), key=f"example-{key}"):
                st.session_state[QUEUED_QUESTION] = t(key)
                st.rerun()
    chat.show_history()
    question = st.chat_input(t("chat_placeholder"), key="chat_input")
    if question and question.strip():
        # A question asked here ends the answer box of the other pages.
        st.session_state.pop(PAGE_ANSWER, None)
        chat.ask(question.strip())
        st.rerun()


render()
