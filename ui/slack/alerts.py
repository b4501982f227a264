"""Posting an alert (a pipeline failure, drift, latency...) to the configured Slack channel."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from tools.settings import Settings
from ui.slack.blocks import context, escape, section

log = logging.getLogger(__name__)

SEVERITY_ICONS = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":information_source:",
}
FIELD_NAMES = (
    ("kind", "Kind"),
    ("severity", "Severity"),
    ("model_name", "Model"),
    ("pipeline_run_id", "Pipeline run"),
    ("owner", "Owner"),
)


def alert_fields(alert: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    """Return an alert row, view or dict as a dict; a view's ``model`` counts as ``model_name``."""
    data = dict(alert.model_dump(mode="json") if isinstance(alert, BaseModel) else alert)
    if "model_name" not in data and "model" in data:
        data["model_name"] = data["model"]
    return data


def _follow_up(data: dict[str, Any]) -> str | None:
    # A question the reader can send to the bot next, so the alert leads to the explanation.
    if data.get("pipeline_run_id") and data.get("kind") in ("pipeline_failed", "gate_failed"):
        pipeline = (data.get("details") or {}).get("pipeline")
        if pipeline:
            return f"why did the {pipeline} pipeline fail?"
        return f"why did pipeline run {str(data['pipeline_run_id'])[:8]} fail?"
    if data.get("model_name"):
        return f"how is {data['model_name']} doing?"
    return None


def alert_blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
    icon = SEVERITY_ICONS.get(str(data.get("severity")), ":bell:")
    blocks = [section(f"{icon} *{escape(str(data.get('title') or 'Alert'))}*")]
    if data.get("message"):
        blocks.append(section(escape(str(data["message"]))))
    fields = [
        {"type": "mrkdwn", "text": f"*{name}*\n{escape(str(data[key]))}"}
        for key, name in FIELD_NAMES
        if data.get(key)
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    question = _follow_up(data)
    if question:
        blocks.append(context(f"Ask me: _{escape(question)}_"))
    return blocks


def alert_text(data: dict[str, Any]) -> str:
    title = str(data.get("title") or "Alert")
    return f"{title}: {data['message']}" if data.get("message") else title


def post_alert(settings: Settings, alert: Mapping[str, Any] | BaseModel) -> str | None:
    """Post ``alert`` to ``settings.slack_alert_channel``; return where it went, or None.

    Sends through ``tools.notify`` when that module exists, else with the Web API directly
    (at ``settings.slack_api_url`` when set). A failed post is logged, not raised, because
    the alert is already stored.
    """
    data = alert_fields(alert)
    text, blocks = alert_text(data), alert_blocks(data)
    try:
        from tools.notify import notify
    except ImportError:
        return _post_directly(settings, text, blocks)
    return notify(settings, text, blocks=blocks)


def _post_directly(settings: Settings, text: str, blocks: list[dict[str, Any]]) -> str | None:
    if not settings.slack_bot_token or not settings.slack_alert_channel:
        log.debug("no Slack bot token or alert channel; alert not posted: %s", text[:200])
        return None
    from slack_sdk.errors import SlackApiError, SlackClientError

    from ui.slack.app import web_client

    channel = settings.slack_alert_channel
    try:
        web_client(settings).chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("Slack rejected the alert for %s: %s", channel, exc.response.get("error"))
        return None
    except (SlackClientError, OSError) as exc:
        log.warning("could not post the alert to Slack channel %s: %s", channel, exc)
        return None
    log.info("posted an alert to Slack channel %s", channel)
    return f"slack:{channel}"
