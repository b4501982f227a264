"""Block Kit messages for answers: text, tables as code blocks, sources, Confirm / Cancel.

Slack's limits shape this module: a section's text holds at most 3,000 characters, a message
at most 50 blocks, a context block at most 10 elements and a button value 2,000 characters.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from assistant.answer import Answer, Chart, Table
from assistant.compose import fmt

CONFIRM_ACTION = "modelpilot_confirm"
CANCEL_ACTION = "modelpilot_cancel"
MAX_SECTION_CHARS = 3000
MAX_BLOCKS = 50
MAX_CONTEXT_ELEMENTS = 10
# Room left in a section for the code fences and a header row.
MAX_TABLE_CHARS = 2800
MAX_CELL_WIDTH = 32
MAX_CHART_POINTS = 20

LABELS: dict[str, tuple[str, str]] = {
    "confirm": ("Confirm", "确认"),
    "cancel": ("Cancel", "取消"),
    "sources": ("Sources", "来源"),
    "change": ("Change waiting for confirmation", "等待确认的修改"),
    "requested_by": ("Requested by <@{user}>", "由 <@{user}> 发起"),
    "rows_shown": ("{shown} of {total} rows shown.", "显示 {total} 行中的 {shown} 行。"),
    "chart_note": (
        "The chart is drawn in the console: `modelpilot console`.",
        "图表请在控制台查看：`modelpilot console`。",
    ),
    "confirmed_by": ("Confirmed by <@{user}>.", "已由 <@{user}> 确认。"),
    "cancelled_by": (
        "Cancelled by <@{user}>; nothing changed.",
        "<@{user}> 已取消，没有做任何修改。",
    ),
    "not_requester": (
        "Only <@{user}>, who asked for this change, can confirm or cancel it.",
        "只有发起这项修改的 <@{user}> 可以确认或取消。",
    ),
}


def label(key: str, language: str, **values: Any) -> str:
    english, chinese = LABELS[key]
    return (chinese if language == "zh" else english).format(**values)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves for links and mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ConfirmationButton:
    """Value of the Confirm and Cancel buttons: the token, the Slack member who requested the
    change, the conversation and its language."""

    token: str
    requester: str
    conversation: str
    language: str = "en"

    def to_value(self) -> str:
        data = {
            "token": self.token,
            "requester": self.requester,
            "conversation": self.conversation,
            "language": self.language,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> ConfirmationButton:
        data = json.loads(value)
        return cls(
            str(data["token"]),
            str(data["requester"]),
            str(data["conversation"]),
            str(data.get("language") or "en"),
        )


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_CHARS]}}


def context(*texts: str) -> dict[str, Any]:
    elements = [{"type": "mrkdwn", "text": text[:MAX_SECTION_CHARS]} for text in texts]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _width(text: str) -> int:
    # Wide (CJK) characters take two columns in a monospace font.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _clip(text: str) -> str:
    while _width(text) > MAX_CELL_WIDTH:
        text = text[:-2] + "…"
    return text


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table_lines(columns: list[str], rows: list[list[str]]) -> tuple[list[str], int]:
    """Return aligned lines for a code block and how many rows fit in one section."""
    cells = [[_clip(c) for c in columns]] + [[_clip(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(cells[0])).rstrip(),
        "  ".join("-" * width for width in widths),
    ]
    used = sum(len(line) + 1 for line in lines)
    shown = 0
    for row in cells[1:]:
        line = "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
        if used + len(line) + 1 > MAX_TABLE_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    return lines, shown


def _code_block(lines: list[str]) -> dict[str, Any]:
    return section("```\n" + escape("\n".join(lines)) + "\n```")


def table_blocks(table: Table, language: str) -> list[dict[str, Any]]:
    """Render a table: section fields for a short two-column one, else a code block."""
    rows = [
        [fmt(cell) if not isinstance(cell, str) else cell for cell in row] for row in table.rows
    ]
    if len(table.columns) == 2 and len(rows) <= 10:
        fields = [
            {"type": "mrkdwn", "text": f"*{escape(key)}*\n{escape(value)}"[:2000]}
            for key, value in rows
        ]
        return [{"type": "section", "fields": fields}] if fields else []
    lines, shown = table_lines(table.columns, rows)
    blocks = [_code_block(lines)]
    if shown < len(rows):
        blocks.append(context(label("rows_shown", language, shown=shown, total=len(rows))))
    return blocks


def chart_table(chart: Chart) -> Table:
    """Return a chart's points as a table: Slack draws no charts."""
    labels = list(chart.series)
    xs: list[Any] = []
    for points in chart.series.values():
        xs.extend(x for x, _ in points if x not in xs)
    values = {name: dict(points) for name, points in chart.series.items()}
    rows = [[fmt(x), *[fmt(values[name].get(x)) for name in labels]] for x in xs]
    return Table([chart.x_label or "x", *labels], rows[-MAX_CHART_POINTS:])


def _citation_text(number: int, citation: dict[str, Any]) -> str:
    text = citation.get("label") or citation.get("title") or json.dumps(citation)
    return f"[{number}] {escape(str(text))}"


def confirmation_blocks(answer: Answer, button: ConfirmationButton) -> list[dict[str, Any]]:
    """Render the pending change with Confirm and Cancel buttons."""
    assert answer.needs_confirmation is not None
    language = answer.language
    summary = escape(str(answer.needs_confirmation["summary"]))
    value = button.to_value()
    buttons = [
        {
            "type": "button",
            "action_id": CONFIRM_ACTION,
            "style": "primary",
            "text": {"type": "plain_text", "text": label("confirm", language)},
            "value": value,
        },
        {
            "type": "button",
            "action_id": CANCEL_ACTION,
            "style": "danger",
            "text": {"type": "plain_text", "text": label("cancel", language)},
            "value": value,
        },
    ]
    return [
        section(f"*{label('change', language)}*\n{summary}"),
        context(label("requested_by", language, user=button.requester)),
        {"type": "actions", "block_id": "modelpilot_confirmation", "elements": buttons},
    ]


def answer_blocks(
    answer: Answer, *, requester: str | None = None, conversation: str = ""
) -> list[dict[str, Any]]:
    """Render an answer; a pending change gets buttons tied to ``requester``."""
    blocks = [section(escape(answer.answer or "…"))]
    if answer.table is not None and answer.table.rows:
        blocks += table_blocks(answer.table, answer.language)
    elif answer.chart is not None and any(answer.chart.series.values()):
        blocks += table_blocks(chart_table(answer.chart), answer.language)
        blocks.append(context(label("chart_note", answer.language)))
    if answer.options:
        blocks.append(section("\n".join(f"• {escape(option)}" for option in answer.options)))
    if answer.citations:
        texts = [_citation_text(n, c) for n, c in enumerate(answer.citations, start=1)]
        blocks.append(context(f"*{label('sources', answer.language)}*", *texts))
    if answer.needs_confirmation and requester:
        token = str(answer.needs_confirmation["token"])
        button = ConfirmationButton(token, requester, conversation, answer.language)
        blocks += confirmation_blocks(answer, button)
    return blocks[:MAX_BLOCKS]


def resolved_blocks(note: str, result: Answer) -> list[dict[str, Any]]:
    """Render a change after Confirm or Cancel: the outcome, then who resolved it."""
    return [*answer_blocks(result), context(note)][:MAX_BLOCKS]


def fallback_text(answer: Answer) -> str:
    """Return the plain text notifications and screen readers show for the message."""
    return answer.answer[:MAX_SECTION_CHARS] or "…"
