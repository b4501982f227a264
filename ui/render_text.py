"""Printing an answer on a terminal: the sentence, then the table, then citations."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table as RichTable

from assistant.answer import Answer


def print_answer(answer: Answer, console: Console | None = None) -> None:
    console = console or Console()
    console.print(answer.answer, markup=False, highlight=False)
    if answer.table and answer.table.rows:
        table = RichTable(*answer.table.columns, show_lines=False)
        for row in answer.table.rows[:50]:
            table.add_row(*(str(cell) for cell in row))
        console.print(table)
    for option in answer.options:
        console.print(f"  - {option}", markup=False)
    if answer.citations:
        console.print("Sources:" if answer.language == "en" else "来源：")
        for number, citation in enumerate(answer.citations, start=1):
            console.print(f"  [{number}] {citation.get('label') or citation}", markup=False)
    if answer.needs_confirmation:
        token = answer.needs_confirmation["token"]
        hint = (
            f"To confirm: modelpilot confirm {token}   (or re-run with --yes)"
            if answer.language == "en"
            else f"确认执行：modelpilot confirm {token}（或加 --yes 重新运行）"
        )
        console.print(hint, markup=False)


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.to_json(), ensure_ascii=False, indent=2, default=str)
