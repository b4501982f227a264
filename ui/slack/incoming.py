"""Reading what a Slack user wrote: the question text and the conversation it belongs to."""

from __future__ import annotations

import re
from typing import Any

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:[^|>]+)\|([^>]+)>|<((?:https?|mailto):[^>]+)>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")


def question_text(text: str, bot_user_id: str | None) -> str:
    """Return the question without the bot's mention, with Slack's link markup unwrapped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def thread_ts(event: dict[str, Any]) -> str:
    """Return the thread an event belongs to; a top-level message starts its own."""
    return str(event.get("thread_ts") or event["ts"])


def thread_conversation(channel: str, thread: str) -> str:
    """Return the conversation id of a Slack thread: ``channel:thread_ts``."""
    return f"{channel}:{thread}"


def command_conversation(channel: str, user: str) -> str:
    """Return the conversation of ``/modelpilot`` for one member in one channel.

    Slash commands have no thread, so a member's commands in a channel follow each other.
    """
    return f"{channel}:command:{user}"


def is_user_message(event: dict[str, Any]) -> bool:
    """Return whether a message event is a person's new message (not an edit or a bot)."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))
