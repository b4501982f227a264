"""Drawing one ``Answer``: its text, chart, table, clarifying options, sources and tool calls."""

from __future__ import annotations

import json
import re

import streamlit as st

from assistant.answer import Answer, Chart
from ui.console.chart_view import charts_from_records, show_chart
from ui.console.session import t
from ui.console.table_view import first_records, show_frame, table_frame

QUEUED_QUESTION = "queued_question"
# Characters that Streamlit's Markdown would read as formatting or as LaTeX ($).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]$~|<>#])")


def escape_markdown(text: str) -> str:
    """Escape ``text`` so run names like fraud_v2 or a $ amount show as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_answer(answer: Answer, key: str) -> None:
    """Draw ``answer``; ``key`` makes the widget keys of its option buttons unique."""
    st.markdown(escape_markdown(answer.answer))
    for chart in answer_charts(answer):
        show_chart(chart)
    if answer.table is not None and answer.table.rows:
        show_frame(table_frame(answer.table))
    _show_options(answer, key)
    _show_citations(answer)
    _show_tool_calls(answer)


def answer_charts(answer: Answer) -> list[Chart]:
    """Return the answer's chart, else charts found in its last result's records.

    Tools whose answer template draws no chart yet still get their time series and
    per-feature scores drawn.
    """
    if answer.chart is not None:
        return [answer.chart]
    last = answer.tool_calls[-1] if answer.tool_calls else None
    if last is None or last.status != "ok" or not last.result:
        return []
    records = first_records(last.result)
    return charts_from_records(records[1], last.name.replace("_", " ")) if records else []


def _show_options(answer: Answer, key: str) -> None:
    # A clarifying question lists its choices; a click asks the assistant with that choice.
    for number, option in enumerate(answer.options):
        if st.button(option, key=f"{key}-option-{number}"):
            st.session_state[QUEUED_QUESTION] = option
            st.rerun()


def _show_citations(answer: Answer) -> None:
    if not answer.citations:
        return
    lines = [f"**{t('sources')}**"]
    for number, citation in enumerate(answer.citations, start=1):
        label = citation.get("label") or citation.get("title") or json.dumps(citation)
        lines.append(f"[{number}] {escape_markdown(str(label))}")
    st.caption("  \n".join(lines))


def _show_tool_calls(answer: Answer) -> None:
    if not answer.tool_calls:
        return
    with st.expander(t("tool_calls")):
        for call in answer.tool_calls:
            arguments = json.dumps(call.arguments, ensure_ascii=False, default=str)
            st.code(f"{call.name}({arguments}) → {call.status}", language=None)
