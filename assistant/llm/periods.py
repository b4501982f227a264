"""Replacing dates a model computed with the user's own time phrase.

Small models get date arithmetic wrong: Qwen2.5-Coder-1.5B once turned "the last three
months" into 2023-09-01 to today. When the request contains a relative time phrase that
our own parser reads, a call that gives a window gets the user's phrase as ``period``
instead, and the tool resolves it with the product's clock.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from tools.errors import ModelPilotError
from tools.timerange import TimeRange, find_time_range, parse_period
from tools.tool_registry import Tool

log = logging.getLogger(__name__)

WINDOW_ARGUMENTS = ("period", "start", "end")
# Words that make a phrase count from today. A model must do arithmetic to turn such a phrase
# into dates; a named date ("3 March", "since 2026-01-05") it can copy, and is left to it.
_RELATIVE = re.compile(
    r"\b(last|past|previous|this|ago|recent|recently|yesterday|today|current)\b"
    r"|最近|过去|上个|上周|上月|本周|本月|本季|今年|去年|昨天|今天|前"
)


def with_user_period(
    tool: Tool, arguments: dict[str, Any], question: str, now: datetime
) -> dict[str, Any]:
    """Return ``arguments`` with the request's relative time phrase as ``period``, if both apply.

    A call that gives no window is left alone: the model may have judged that the phrase
    is about something else.
    """
    if "period" not in tool.args_model.model_fields:
        return arguments
    if not any(arguments.get(name) for name in WINDOW_ARGUMENTS):
        return arguments
    found = find_time_range(question, now)
    if found is None or not _RELATIVE.search(found.phrase.casefold()):
        return arguments
    if _same_window(arguments, found, now):
        return arguments
    window = {name: arguments.get(name) for name in WINDOW_ARGUMENTS if arguments.get(name)}
    log.info("replaced the model's window %s with the user's %r", window, found.phrase)
    kept = {key: value for key, value in arguments.items() if key not in WINDOW_ARGUMENTS}
    return {**kept, "period": found.phrase}


def _same_window(arguments: dict[str, Any], found: TimeRange, now: datetime) -> bool:
    """Return whether the model's own ``period`` (and nothing else) means the user's window."""
    period = arguments.get("period")
    if not period or arguments.get("start") or arguments.get("end"):
        return False
    try:
        window = parse_period(str(period), now)
    except ModelPilotError:
        return False
    return (window.start, window.end) == (found.start, found.end)
