"""Models page: registered models, their versions, alias history and deployments."""

from typing import Any

import streamlit as st

from assistant.answer import Chart
from ui.console.chart_view import show_chart
from ui.console.error_view import guarded
from ui.console.page_tools import run_tool
from ui.console.session import t
from ui.console.table_view import show_records


def _versions(model: str) -> None:
    result = run_tool("list_model_versions", {"model": model})
    if result is not None:
        show_records(result["versions"])


def _alias_chart(alias: str, events: list[dict[str, Any]]) -> Chart:
    # Events come newest first; the chart reads left to right in time.
    points = [
        (event["occurred_at"], float(event["to_version"]))
        for event in reversed(events)
        if event.get("to_version") is not None
    ]
    title = t("alias_chart_title", alias=alias)
    return Chart("line", title, t("time_axis"), t("version_axis"), {alias: points})


def _aliases(model: str, aliases: dict[str, int]) -> None:
    if not aliases:
        st.info(t("no_aliases"))
        return
    alias = st.selectbox(t("pick_alias"), options=sorted(aliases), key="models_alias")
    result = run_tool("alias_history", {"model": model, "alias": alias})
    if result is None:
        return
    current = result.get("current_version")
    if current is None:
        st.markdown(t("alias_unset", alias=alias))
    else:
        st.markdown(t("alias_current", alias=alias, version=current))
    events = result.get("events") or []
    if len(events) > 1:
        show_chart(_alias_chart(alias, events))
    show_records(events)


def _deployments(model: str) -> None:
    result = run_tool("get_deployments", {"model": model})
    if result is None:
        return
    if not result["deployments"]:
        st.info(t("no_deployments"))
        return
    show_records(result["deployments"])


def render() -> None:
    st.title(t("models_title"))
    result = run_tool("list_models", {})
    if result is None:
        return
    models = result["models"]
    if not models:
        st.info(t("models_empty"))
        return
    show_records(models)
    names = [model["name"] for model in models]
    name = st.selectbox(t("pick_model"), options=names, key="models_pick")
    chosen = next(model for model in models if model["name"] == name)
    versions, aliases, deployments = st.tabs(
        [t("tab_versions"), t("tab_aliases"), t("tab_deployments")]
    )
    with versions, guarded():
        _versions(name)
    with aliases, guarded():
        _aliases(name, chosen.get("aliases") or {})
    with deployments, guarded():
        _deployments(name)


render()
