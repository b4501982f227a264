"""Calling tools from the pages: through governance, as the acting user, audited like a chat."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.compose import RENDERERS, compose_answer
from assistant.plan import Plan
from tools.errors import PermissionDeniedError, ToolError
from tools.governance import Actor, ToolOutcome
from tools.tool_registry import REGISTRY
from ui.console.chart_view import charts_from_records, show_chart
from ui.console.session import acting_user, assistant, language, t
from ui.console.table_view import first_records, show_frame, show_records, table_frame

CHANNEL = "console"
# Result fields that hold a one-line summary the generic rendering turns into a sentence.
SUMMARY_KEYS = ("summary", "message", "verdict")


def available(name: str) -> bool:
    return name in REGISTRY.names(read_only=assistant().settings.read_only)


def accepted_arguments(name: str, candidates: dict[str, Any]) -> dict[str, Any]:
    """Keep the candidates the tool's arguments define and that have a value.

    Pages use this for tools whose arguments may still change, so a renamed argument leaves
    a filter out instead of failing the whole page.
    """
    fields = REGISTRY.get(name).args_model.model_fields
    return {key: value for key, value in candidates.items() if key in fields and value is not None}


def run_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """Run a read-only tool and return its result; None, with a note, if it does not exist.

    A failed or denied call raises its error, which the page section shows as one line.
    """
    if not available(name):
        st.info(t("tool_unavailable", tool=name))
        return None
    outcome = assistant().governor.invoke(name, arguments, Actor(acting_user(), CHANNEL))
    if outcome.status == "denied":
        raise PermissionDeniedError(outcome.error or f"{name} was denied")
    if outcome.status != "ok" or outcome.result is None:
        raise ToolError(outcome.error or f"{name} failed")
    return outcome.result


def show_result(name: str, arguments: dict[str, Any], result: dict[str, Any]) -> None:
    """Draw a result: its sentence, its charts, then its table.

    A tool with an answer template gets the template's sentence, chart and table. Without
    one, the sentence is shown only when the result carries a summary, and the table is the
    result's first list of records in full.
    """
    outcome = ToolOutcome(name, arguments, "ok", result=result)
    answer = compose_answer("", language(), Plan("tools"), [outcome])
    has_template = name in RENDERERS
    if answer.answer and (has_template or any(key in result for key in SUMMARY_KEYS)):
        st.caption(answer.answer)
    records = first_records(result)
    charts = [answer.chart] if answer.chart is not None else []
    if not charts and records is not None:
        charts = charts_from_records(records[1], name.replace("_", " "))
    for chart in charts:
        show_chart(chart)
    if has_template and answer.table is not None:
        show_frame(table_frame(answer.table))
    elif records is not None:
        show_records(records[1])
