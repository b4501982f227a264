"""Pipeline runs page: recent runs with their status, and why a failed one failed."""

from typing import Any

import streamlit as st

from ui.console.error_view import guarded
from ui.console.page_tools import accepted_arguments, available, run_tool, show_result
from ui.console.session import t
from ui.console.table_view import first_records

LISTED_RUNS = 100


def _run_id(run: dict[str, Any]) -> str:
    return str(run.get("pipeline_run_id") or run.get("id") or run.get("run_id") or "")


def _explain(failed: list[dict[str, Any]]) -> None:
    if not available("explain_pipeline_failure"):
        return
    if not failed:
        st.caption(t("no_failed_runs"))
        return
    by_id = {_run_id(run): run for run in failed}
    chosen = st.selectbox(
        t("pick_failed_run"),
        options=list(by_id),
        format_func=lambda run_id: f"{by_id[run_id].get('pipeline', '')} · {run_id[:8]}",
        key="pipelines_failed",
    )
    run = by_id[chosen]
    arguments = accepted_arguments(
        "explain_pipeline_failure",
        {"pipeline_run_id": chosen, "run_id": chosen, "run": chosen},
    )
    if not arguments:
        arguments = accepted_arguments(
            "explain_pipeline_failure", {"pipeline": run.get("pipeline")}
        )
    result = run_tool("explain_pipeline_failure", arguments)
    if result is None:
        return
    show_result("explain_pipeline_failure", arguments, result)
    if result.get("log_tail"):
        st.code("\n".join(str(line) for line in result["log_tail"]), language=None)
    if result.get("code_diff"):
        st.code(str(result["code_diff"]), language="diff")


def render() -> None:
    st.title(t("pipelines_title"))
    if not available("list_pipeline_runs"):
        st.info(t("tool_unavailable", tool="list_pipeline_runs"))
        return
    arguments = accepted_arguments("list_pipeline_runs", {"limit": LISTED_RUNS})
    result = run_tool("list_pipeline_runs", arguments)
    if result is None:
        return
    records = first_records(result)
    if records is None:
        st.info(t("pipelines_empty"))
        return
    show_result("list_pipeline_runs", arguments, result)
    with guarded():
        _explain([run for run in records[1] if run.get("status") == "failed"])


render()
