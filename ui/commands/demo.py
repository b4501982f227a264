"""``modelpilot demo``: build the demo workspace and answer example questions."""

from __future__ import annotations

import logging
import time

import typer
from rich.console import Console

from tools.governance import Actor
from tools.settings import get_settings
from ui.render_text import print_answer

EXAMPLE_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("dave", "What is our best image classifier from the last three months?"),
    ("dave", "Which registered models exist and what are their latest versions?"),
    ("dave", "Is the fraud model drifting?"),
    ("carol", "Why did the churn pipeline fail?"),
    ("dave", "What are the known limitations of the fraud model?"),
    ("dave", "最近三个月表现最好的图像分类模型是哪个？"),
    ("dave", "上个月有哪些失败的运行？"),
    ("bob", "把欺诈模型回滚到上一个版本"),
)


def demo() -> None:
    """Build a demo workspace from real training runs, then answer example questions."""
    # Training libraries load only when the demo runs, so other commands start fast.
    from assistant.service import Assistant
    from tools.demo.build import build_demo

    console = Console()
    settings = get_settings()
    # The demo prints its own progress; library and step logs would drown it.
    logging.getLogger().setLevel(logging.WARNING)
    started = time.perf_counter()
    console.print(f"Building the demo workspace in {settings.home.resolve()} …")
    report = build_demo(settings)
    for step in report.steps:
        console.print(f"  {step.name:<32} {step.seconds:6.1f} s  {step.detail}", markup=False)
    assistant = Assistant(settings)
    for user, question in EXAMPLE_QUESTIONS:
        console.rule(f"{user}: {question}", style="dim")
        print_answer(assistant.ask(question, Actor(user, "cli"), f"demo:{user}"))
    console.rule(style="dim")
    console.print(f"Demo built in {time.perf_counter() - started:.0f} s. Ask your own questions:")
    console.print('  modelpilot ask "compare the two best breast cancer runs"', markup=False)
    console.print('  modelpilot ask --json "best fraud model by roc_auc"', markup=False)
    console.print('  MODELPILOT_USER=bob modelpilot ask "roll back the fraud model"', markup=False)
    console.print("  modelpilot chat", markup=False)


def register(app: typer.Typer) -> None:
    app.command()(demo)
