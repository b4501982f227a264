"""Drawing an answer's chart with Altair, and finding a chart in a list of records.

``Chart.series`` maps a label to (x, y) points. The x values are steps, ISO timestamps or
category names (a feature, a model); the encoding follows what they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.answer import Chart

# Record keys that hold the time of a point in a series, most specific first.
TIME_KEYS = ("time", "bucket", "timestamp", "date", "day", "hour")
# Record keys that name a feature, and the drift scores looked for next to it.
FEATURE_KEYS = ("feature", "column")
SCORE_KEYS = ("score", "drift_score", "psi", "statistic", "distance")
MAX_SERIES = 4


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 10:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def chart_frame(chart: Chart) -> pd.DataFrame:
    """Return the chart's points as a long table with columns x, y and series."""
    rows = [
        {"x": x, "y": y, "series": label}
        for label, points in chart.series.items()
        for x, y in points
        if y is not None
    ]
    return pd.DataFrame(rows, columns=["x", "y", "series"])


def _x_type(values: pd.Series) -> str:
    if all(_is_timestamp(value) for value in values):
        return "temporal"
    if pd.api.types.is_numeric_dtype(values):
        return "quantitative"
    return "nominal"


def chart_spec(chart: Chart) -> alt.Chart:
    """Return the Altair chart for ``chart``, one colour per series."""
    frame = chart_frame(chart)
    x_type = _x_type(frame["x"])
    if x_type == "temporal":
        frame["x"] = pd.to_datetime(frame["x"], utc=True, format="ISO8601")
    x = alt.X(field="x", type=x_type, title=chart.x_label)  # type: ignore[arg-type]
    y = alt.Y(field="y", type="quantitative", title=chart.y_label)
    color = alt.Color(field="series", type="nominal", title=None)
    tooltip = [
        alt.Tooltip(field="series", type="nominal", title=""),
        alt.Tooltip(field="x", type=x_type, title=chart.x_label),  # type: ignore[arg-type]
        alt.Tooltip(field="y", type="quantitative", title=chart.y_label),
    ]
    base = alt.Chart(frame).properties(title=chart.title)
    if chart.kind == "bar":
        bars = base.mark_bar()
        if len(chart.series) > 1:
            return bars.encode(
                x=x, y=y, color=color, xOffset=alt.XOffset(field="series"), tooltip=tooltip
            )
        return bars.encode(x=x, y=y, tooltip=tooltip)
    # Metric and latency curves sit far from zero; an axis from zero flattens them.
    y = alt.Y(field="y", type="quantitative", title=chart.y_label, scale=alt.Scale(zero=False))
    return base.mark_line(point=True).encode(x=x, y=y, color=color, tooltip=tooltip)


def show_chart(chart: Chart) -> None:
    if not any(chart.series.values()):
        return
    st.altair_chart(chart_spec(chart), width="stretch")


def _number(record: dict[str, Any], key: str) -> float | None:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _numeric_keys(record: dict[str, Any], skip: str) -> list[str]:
    return [
        key
        for key in record
        if key != skip
        and key != "id"
        and not key.endswith("_id")
        and _number(record, key) is not None
    ]


def _feature_chart(records: list[dict[str, Any]], title: str) -> Chart | None:
    feature_key = next((key for key in FEATURE_KEYS if key in records[0]), None)
    score_key = next((key for key in SCORE_KEYS if key in records[0]), None)
    if feature_key is None or score_key is None:
        return None
    points: list[tuple[Any, float]] = []
    for record in records:
        score = _number(record, score_key)
        if score is not None:
            points.append((str(record[feature_key]), score))
    return Chart("bar", title, feature_key, score_key, {score_key: points}) if points else None


def _time_charts(records: list[dict[str, Any]], title: str) -> list[Chart]:
    time_key = next((key for key in TIME_KEYS if key in records[0]), None)
    if time_key is None or not _is_timestamp(records[0][time_key]):
        return []
    keys = _numeric_keys(records[0], time_key)
    # Milliseconds and counts do not share an axis: latency gets its own chart.
    groups = [
        [key for key in keys if key.endswith("_ms")],
        [k for k in keys if not k.endswith("_ms")],
    ]
    charts = []
    for group in groups:
        if not group:
            continue
        series: dict[str, list[tuple[Any, float]]] = {key: [] for key in group[:MAX_SERIES]}
        for record in records:
            for key in series:
                value = _number(record, key)
                if value is not None:
                    series[key].append((record[time_key], value))
        in_ms = group[0].endswith("_ms")
        chart_title = f"{title} (ms)" if in_ms else title
        charts.append(Chart("line", chart_title, time_key, "ms" if in_ms else "", series))
    return charts


def charts_from_records(records: list[dict[str, Any]], title: str) -> list[Chart]:
    """Find charts in a tool's records: a score per feature, or numbers over time.

    Only the record keys listed in this module count (a feature name with a score, or a
    time bucket), so lists of models or audit entries get a table and no chart.
    """
    if len(records) < 2:
        return []
    feature_chart = _feature_chart(records, title)
    if feature_chart is not None:
        return [feature_chart]
    return _time_charts(records, title)
