"""Compare runs page: pick runs, see their params and metrics side by side, and curves."""

from typing import Any

import streamlit as st

from assistant.answer import Chart
from ui.console.chart_view import show_chart
from ui.console.error_view import guarded
from ui.console.page_tools import run_tool, show_result
from ui.console.session import t

# Runs offered in the picker: the most recent ones, like search_runs lists them.
PICKER_RUNS = 200
MAX_COMPARED = 10


def _label(run: dict[str, Any]) -> str:
    name = run.get("name") or run["run_id"][:8]
    return f"{name} ({run['run_id'][:8]}) · {run['experiment']}"


def _curves(runs: list[dict[str, Any]], metrics: list[str]) -> None:
    if not metrics:
        st.info(t("no_shared_metrics"))
        return
    metric = st.selectbox(t("curve_metric"), options=metrics, key="runs_curve_metric")
    series: dict[str, list[tuple[Any, float]]] = {}
    for run in runs:
        history = run_tool("metric_history", {"run": run["run_id"], "metric": metric})
        if history is None:
            return
        label = run.get("name") or run["run_id"][:8]
        series[label] = [(point["step"], float(point["value"])) for point in history["points"]]
    title = t("curve_title", metric=metric)
    show_chart(Chart("line", title, t("step_axis"), metric, series))


def render() -> None:
    st.title(t("runs_title"))
    found = run_tool("search_runs", {"limit": PICKER_RUNS})
    if found is None:
        return
    runs = {run["run_id"]: run for run in found["runs"]}
    if not runs:
        st.info(t("runs_empty"))
        return
    picked = st.multiselect(
        t("pick_runs"),
        options=list(runs),
        default=list(runs)[:2] if len(runs) >= 2 else None,
        format_func=lambda run_id: _label(runs[run_id]),
        max_selections=MAX_COMPARED,
        key="runs_pick",
    )
    if len(picked) < 2:
        st.info(t("pick_two_runs"))
        return
    comparison = run_tool("compare_runs", {"runs": picked})
    if comparison is None:
        return
    show_result("compare_runs", {"runs": picked}, comparison)
    with guarded():
        metrics = [entry["metric"] for entry in comparison["metrics"]]
        _curves([runs[run_id] for run_id in picked], metrics)


render()
