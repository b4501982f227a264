"""Audit log page: who called which tool, when, with what outcome."""

import streamlit as st

from ui.console.page_tools import run_tool, show_result
from ui.console.session import t, workspace_users

PERIODS: dict[str, str | None] = {
    "period_any": None,
    "period_today": "today",
    "period_7d": "last 7 days",
    "period_30d": "last 30 days",
    "period_90d": "last 3 months",
}
LISTED_ENTRIES = 200


def _filters() -> dict[str, object]:
    """Draw the filter row and return the audit_log arguments it selects."""
    users = [""] + [user["name"] for user in workspace_users()]
    first, second, third, fourth = st.columns(4)
    user = first.selectbox(
        t("filter_user"),
        options=users,
        format_func=lambda name: name or t("any"),
        key="audit_user",
    )
    tool = second.text_input(t("filter_tool"), key="audit_tool")
    model = third.text_input(t("filter_model"), key="audit_model")
    period_key = fourth.selectbox(
        t("pick_period"), options=list(PERIODS), format_func=t, key="audit_period"
    )
    changes_only = st.checkbox(t("filter_changes_only"), value=True, key="audit_changes_only")

    arguments = {
        "user": user or None,
        "tool": tool.strip() or None,
        "model": model.strip() or None,
        "period": PERIODS[period_key],
        "mutating_only": changes_only,
        "limit": LISTED_ENTRIES,
    }
    return {key: value for key, value in arguments.items() if value is not None}


def render() -> None:
    st.title(t("audit_title"))
    arguments = _filters()
    result = run_tool("audit_log", arguments)
    if result is None:
        return
    if not result["entries"]:
        st.info(t("audit_empty"))
        return
    show_result("audit_log", arguments, result)


render()
