"""Tables for the console: an answer's table, and the records of any tool result."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from assistant.answer import Table
from assistant.compose import fmt
from ui.console.session import t

# Rows drawn per table. Below a longer table a caption shows how many rows were left out.
MAX_ROWS = 500


def first_records(result: dict[str, Any]) -> tuple[str, list[dict[str, Any]]] | None:
    """Return the first field of ``result`` that is a list of records, with its name."""
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return key, value
    return None


def _cell(value: Any) -> Any:
    # Numbers stay numbers so the columns sort; nested values become one readable string.
    if isinstance(value, (dict, list)):
        return fmt(value)
    return value


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    columns = list(records[0])
    rows = [[_cell(record.get(column)) for column in columns] for record in records[:MAX_ROWS]]
    return pd.DataFrame(rows, columns=columns)


def table_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(
        [[_cell(cell) for cell in row] for row in table.rows], columns=table.columns
    )


def show_frame(frame: pd.DataFrame, total: int | None = None) -> None:
    """Draw ``frame``; ``total`` is the row count before any cut, when larger."""
    if frame.empty:
        st.caption(t("no_rows"))
        return
    st.dataframe(frame, hide_index=True, width="stretch")
    if total is not None and total > len(frame):
        st.caption(t("more_rows", shown=len(frame), total=total))


def show_records(records: list[dict[str, Any]]) -> None:
    if not records:
        st.caption(t("no_rows"))
        return
    show_frame(records_frame(records), total=len(records))
