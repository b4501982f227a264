"""Monitoring page: open alerts, and a deployed model's health, latency, volume and drift."""

import streamlit as st

from ui.console.error_view import guarded
from ui.console.page_tools import accepted_arguments, available, run_tool, show_result
from ui.console.session import t
from ui.console.table_view import first_records, show_records

# Period choices: the UI label key and the phrase the tools parse.
PERIODS: dict[str, str] = {
    "period_7d": "last 7 days",
    "period_30d": "last 30 days",
    "period_90d": "last 3 months",
}
SECTIONS = (
    ("health_heading", "model_health"),
    ("latency_heading", "latency_report"),
    ("drift_heading", "drift_report"),
)


def _alerts() -> None:
    st.subheader(t("open_alerts"))
    if not available("list_alerts"):
        st.info(t("tool_unavailable", tool="list_alerts"))
        return
    arguments = accepted_arguments("list_alerts", {"status": "open"})
    result = run_tool("list_alerts", arguments)
    if result is None:
        return
    records = first_records(result)
    if records is None:
        st.info(t("no_alerts"))
        return
    show_records(records[1])


def _monitored_models() -> list[str]:
    # Deployed models first: they are the ones with traffic to monitor.
    deployed = run_tool("get_deployments", {}) if available("get_deployments") else None
    names = [row["model"] for row in (deployed or {}).get("deployments", [])]
    if not names:
        listed = run_tool("list_models", {}) or {}
        names = [row["name"] for row in listed.get("models", [])]
    return sorted(set(names))


def _section(heading: str, tool: str, model: str, period: str) -> None:
    st.subheader(t(heading))
    if not available(tool):
        st.info(t("tool_unavailable", tool=tool))
        return
    arguments = accepted_arguments(tool, {"model": model, "period": period})
    result = run_tool(tool, arguments)
    if result is not None:
        show_result(tool, arguments, result)


def render() -> None:
    st.title(t("monitoring_title"))
    with guarded():
        _alerts()
    models = _monitored_models()
    if not models:
        st.info(t("models_empty"))
        return
    left, right = st.columns(2)
    model = left.selectbox(t("pick_model"), options=models, key="monitoring_model")
    period_key = right.selectbox(
        t("pick_period"), options=list(PERIODS), format_func=t, key="monitoring_period"
    )
    for heading, tool in SECTIONS:
        with guarded():
            _section(heading, tool, model, PERIODS[period_key])


render()
