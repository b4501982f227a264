"""Block Kit rendering of answers and reading of incoming Slack text."""

from __future__ import annotations

import json

from assistant.answer import Answer, Chart, Table
from ui.slack.blocks import (
    MAX_SECTION_CHARS,
    ConfirmationButton,
    answer_blocks,
    table_lines,
)
from ui.slack.incoming import is_user_message, question_text


def test_text_is_escaped() -> None:
    answer = Answer("q", "a < b & c > d", "en", "rules")

    blocks = answer_blocks(answer)

    assert blocks[0]["text"]["text"] == "a &lt; b &amp; c &gt; d"


def test_long_table_is_cut_with_note() -> None:
    rows = [[f"run-{n}", "fraud-exp", f"0.{n:04d}"] for n in range(400)]
    answer = Answer("q", "400 runs", "en", "rules", table=Table(["run", "experiment", "auc"], rows))

    blocks = answer_blocks(answer)

    code = blocks[1]["text"]["text"]
    assert code.startswith("```\nrun")
    assert len(code) <= MAX_SECTION_CHARS
    note = blocks[2]["elements"][0]["text"]
    shown = code.count("\n") - 3  # fences, header and rule
    assert note == f"{shown} of 400 rows shown."


def test_two_column_table_becomes_fields() -> None:
    table = Table(["key", "value"], [["auc", "0.86"], ["f1", "0.66"]])
    answer = Answer("q", "metrics", "en", "rules", table=table)

    blocks = answer_blocks(answer)

    assert blocks[1]["fields"] == [
        {"type": "mrkdwn", "text": "*auc*\n0.86"},
        {"type": "mrkdwn", "text": "*f1*\n0.66"},
    ]


def test_wide_characters_align() -> None:
    lines, shown = table_lines(["模型", "v"], [["欺诈", "1"], ["fraud-x", "2"]])

    assert shown == 2
    assert lines[0] == "模型     v"
    assert lines[2] == "欺诈     1"
    assert lines[3] == "fraud-x  2"


def test_chart_without_table_becomes_points() -> None:
    chart = Chart(
        "line", "auc", "step", "auc", {"run-a": [(0, 0.7), (1, 0.8)], "run-b": [(1, 0.75)]}
    )
    answer = Answer("q", "curves", "zh", "rules", chart=chart)

    blocks = answer_blocks(answer)

    code = blocks[1]["text"]["text"]
    assert "run-a" in code
    assert "run-b" in code
    assert "0.75" in code
    assert blocks[2]["elements"][0]["text"] == "图表请在控制台查看：`modelpilot console`。"


def test_citations_become_context() -> None:
    citations = [{"label": "fraud-detector model card"}, {"label": "notes <draft>"}]
    answer = Answer("q", "limits", "en", "rules", citations=citations)

    context = answer_blocks(answer)[-1]

    assert context["type"] == "context"
    assert [e["text"] for e in context["elements"]] == [
        "*Sources*",
        "[1] fraud-detector model card",
        "[2] notes &lt;draft&gt;",
    ]


def test_confirmation_buttons_carry_requester() -> None:
    pending = {"token": "tok123", "summary": "production: m v2 → v1", "tool": "rollback_model"}
    answer = Answer("q", "This will change…", "en", "rules", needs_confirmation=pending)

    blocks = answer_blocks(answer, requester="U0BOB", conversation="C1:100.1")

    actions = blocks[-1]
    assert actions["type"] == "actions"
    confirm, cancel = actions["elements"]
    assert confirm["style"] == "primary"
    assert cancel["style"] == "danger"
    button = ConfirmationButton.from_value(confirm["value"])
    assert button == ConfirmationButton("tok123", "U0BOB", "C1:100.1", "en")
    assert json.loads(cancel["value"])["token"] == "tok123"


def test_confirmation_without_requester_has_no_buttons() -> None:
    pending = {"token": "tok123", "summary": "s", "tool": "rollback_model"}
    answer = Answer("q", "change", "en", "rules", needs_confirmation=pending)

    assert [block["type"] for block in answer_blocks(answer)] == ["section"]


def test_question_text_strips_markup() -> None:
    text = (
        "<@UBOT>  compare <https://x.example/run|run a> &amp; run b in <#C123|ml-team> &lt;now&gt;"
    )

    assert question_text(text, "UBOT") == "compare run a & run b in #ml-team <now>"
    assert question_text("<@UOTHER> hi", "UBOT") == "<@UOTHER> hi"


def test_edits_and_bots_are_not_user_messages() -> None:
    assert is_user_message({"user": "U1", "text": "hi"})
    assert not is_user_message({"user": "U1", "subtype": "message_changed"})
    assert not is_user_message({"bot_id": "B1", "user": "U1"})
    assert not is_user_message({"text": "no user"})
