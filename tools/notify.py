"""Sending a notification to the configured channel (Slack today).

With ``SLACK_BOT_TOKEN`` and ``MODELPILOT_SLACK_ALERT_CHANNEL`` set, the message is posted
with ``chat.postMessage``; ``MODELPILOT_SLACK_API_URL`` points the client at another Web API
base URL (tests use a stub server on 127.0.0.1). Without a token nothing is sent and the
caller keeps only its stored record.
"""

from __future__ import annotations

import logging
from typing import Any

from tools.settings import Settings

log = logging.getLogger(__name__)

# Slack's own limit on the text of one message is 40,000 characters; alerts stay far below.
MAX_TEXT_CHARS = 3_000
TIMEOUT_SECONDS = 10


def notify(settings: Settings, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
    """Post ``text`` to the alert channel; return where it went (``slack:#channel``) or None.

    A failed post is logged and returns None rather than raising, so the alert that asked
    for the notification is still stored.
    """
    if not settings.slack_bot_token:
        log.debug("no Slack bot token configured; notification not sent: %s", text[:200])
        return None
    channel = settings.slack_alert_channel
    if not channel:
        log.warning(
            "a Slack bot token is set but MODELPILOT_SLACK_ALERT_CHANNEL is not; "
            "notification not sent"
        )
        return None
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = _client(WebClient, settings)
    try:
        client.chat_postMessage(channel=channel, text=text[:MAX_TEXT_CHARS], blocks=blocks)
    except SlackApiError as exc:
        log.warning("Slack rejected the notification to %s: %s", channel, exc.response.get("error"))
        return None
    except (SlackClientError, OSError) as exc:
        log.warning("could not send the notification to Slack channel %s: %s", channel, exc)
        return None
    log.info("sent a notification to Slack channel %s", channel)
    return f"slack:{channel}"


def _client(client_class: Any, settings: Settings) -> Any:
    if settings.slack_api_url:
        base_url = settings.slack_api_url.rstrip("/") + "/"
        return client_class(
            token=settings.slack_bot_token, base_url=base_url, timeout=TIMEOUT_SECONDS
        )
    return client_class(token=settings.slack_bot_token, timeout=TIMEOUT_SECONDS)
