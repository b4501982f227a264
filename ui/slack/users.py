"""Mapping Slack members to workspace users through ``app_user.slack_user_id``."""

from __future__ import annotations

from tools.governance import Actor
from tools.settings import Settings
from tools.store.db import Store
from tools.tool_registry import REGISTRY, ToolContext

CHANNEL = "slack"


def unknown_user_name(slack_user_id: str) -> str:
    """Return the name a Slack member without a workspace user acts under (a viewer)."""
    return f"slack:{slack_user_id}"


def actor_for(store: Store, settings: Settings, slack_user_id: str) -> Actor:
    """Return the actor for a Slack member; a member without a mapped user acts as a viewer.

    The users are read on every call, without an audit entry, so a mapping added with
    ``modelpilot users add NAME --role ROLE --slack-id U123`` applies to the next message.
    """
    tool = REGISTRY.get("list_users")
    ctx = ToolContext(store, settings, "slack", "viewer", "internal")
    result = tool.run(ctx, tool.args_model()).model_dump(mode="json")
    for user in result["users"]:
        if user.get("slack_user_id") == slack_user_id:
            return Actor(str(user["name"]), CHANNEL)
    return Actor(unknown_user_name(slack_user_id), CHANNEL)
