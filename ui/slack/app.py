"""The Bolt app: mentions, direct messages, ``/modelpilot`` and the Confirm / Cancel buttons.

Answers go into the thread of the message that asked, and each thread is one conversation
(``channel:thread_ts``), so a follow-up in the thread resolves against the earlier answers.
A change runs only when the Slack member who asked for it clicks Confirm; governance then
checks that member's workspace role again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from assistant.answer import Answer
from assistant.service import Assistant
from tools.errors import ConfigError, ModelPilotError
from tools.settings import Settings
from ui.slack.blocks import (
    CANCEL_ACTION,
    CONFIRM_ACTION,
    ConfirmationButton,
    answer_blocks,
    context,
    escape,
    fallback_text,
    label,
    resolved_blocks,
)
from ui.slack.incoming import (
    command_conversation,
    is_user_message,
    question_text,
    thread_conversation,
    thread_ts,
)
from ui.slack.users import actor_for

log = logging.getLogger(__name__)

HELP_QUESTION = "help"
SLASH_COMMAND = "/modelpilot"


def web_client(settings: Settings) -> WebClient:
    """Return a Web API client for the bot token, at ``settings.slack_api_url`` when set."""
    if settings.slack_api_url:
        return WebClient(
            token=settings.slack_bot_token, base_url=settings.slack_api_url.rstrip("/") + "/"
        )
    return WebClient(token=settings.slack_bot_token)


def _error_line(exc: Exception) -> str:
    if isinstance(exc, ModelPilotError):
        log.info("slack: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return f":warning: {exc}"
    log.exception("slack: unexpected error")
    return f":warning: something went wrong ({type(exc).__name__}); the bot's log has the details"


class SlackBot:
    """The listeners of the Bolt app, bound to one assistant."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def _ask(self, text: str, slack_user: str, conversation: str) -> Answer:
        actor = actor_for(self.assistant.store, self.assistant.settings, slack_user)
        return self.assistant.ask(text or HELP_QUESTION, actor, conversation)

    def answer_in_thread(
        self, event: dict[str, Any], client: WebClient, bot_user_id: str | None
    ) -> None:
        """Answer a mention or a direct message in its thread."""
        channel = str(event["channel"])
        thread = thread_ts(event)
        try:
            text = question_text(str(event.get("text") or ""), bot_user_id)
            conversation = thread_conversation(channel, thread)
            answer = self._ask(text, str(event["user"]), conversation)
            blocks = answer_blocks(answer, requester=str(event["user"]), conversation=conversation)
            client.chat_postMessage(
                channel=channel, thread_ts=thread, text=fallback_text(answer), blocks=blocks
            )
        except Exception as exc:
            client.chat_postMessage(channel=channel, thread_ts=thread, text=_error_line(exc))

    def answer_command(self, command: dict[str, Any], respond: Respond) -> None:
        """Answer ``/modelpilot QUESTION`` in the channel, under a line saying who asked."""
        user = str(command["user_id"])
        text = question_text(str(command.get("text") or ""), None)
        try:
            conversation = command_conversation(str(command["channel_id"]), user)
            answer = self._ask(text, user, conversation)
            asked = context(f"<@{user}>: {escape(text or HELP_QUESTION)}")
            blocks = [asked, *answer_blocks(answer, requester=user, conversation=conversation)]
            respond(response_type="in_channel", text=fallback_text(answer), blocks=blocks)
        except Exception as exc:
            respond(response_type="ephemeral", text=_error_line(exc))

    def _refuse(self, body: dict[str, Any], client: WebClient, button: ConfirmationButton) -> None:
        clicker = str(body["user"]["id"])
        log.info(
            "slack: %s clicked a button of a change requested by %s", clicker, button.requester
        )
        message = body.get("message") or {}
        client.chat_postEphemeral(
            channel=str(body["channel"]["id"]),
            user=clicker,
            thread_ts=message.get("thread_ts"),
            text=label("not_requester", button.language, user=button.requester),
        )

    def resolve(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Handle Confirm or Cancel: only the member who asked may use them."""
        button = ConfirmationButton.from_value(str(action["value"]))
        clicker = str(body["user"]["id"])
        if clicker != button.requester:
            self._refuse(body, client, button)
            return
        try:
            actor = actor_for(self.assistant.store, self.assistant.settings, clicker)
            if action["action_id"] == CANCEL_ACTION:
                result = self.assistant.cancel(actor, button.conversation, token=button.token)
                note = label("cancelled_by", result.language, user=clicker)
            else:
                result = self.assistant.confirm(button.token, actor, button.conversation)
                note = label("confirmed_by", result.language, user=clicker)
            if any(call.status != "ok" for call in result.tool_calls):
                # The buttons stay: a role granted later, for instance, lets the change run.
                client.chat_postEphemeral(
                    channel=str(body["channel"]["id"]), user=clicker, text=fallback_text(result)
                )
                return
            respond(
                replace_original=True,
                text=fallback_text(result),
                blocks=resolved_blocks(note, result),
            )
        except Exception as exc:
            respond(response_type="ephemeral", replace_original=False, text=_error_line(exc))


def _check_tokens(settings: Settings) -> None:
    if not settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set; create the Slack app from slack_manifest.yaml, install "
            "it and export its Bot User OAuth Token (xoxb-...)"
        )


def build_app(
    settings: Settings,
    assistant: Assistant | None = None,
    client: WebClient | None = None,
    *,
    process_before_response: bool = False,
) -> App:
    """Return the Bolt app; ``process_before_response`` answers before acknowledging (tests).

    The bot token is checked with Slack's ``auth.test`` here, so a wrong token fails at
    start-up with one line instead of at the first message.
    """
    _check_tokens(settings)
    try:
        app = App(
            client=client or web_client(settings),
            signing_secret=settings.slack_signing_secret or "",
            process_before_response=process_before_response,
        )
    except BoltError as exc:
        raise ConfigError(
            "Slack rejected SLACK_BOT_TOKEN in auth.test; copy the Bot User OAuth Token "
            "(xoxb-...) again from the app's OAuth & Permissions page"
        ) from exc
    except (SlackClientError, OSError) as exc:
        raise ConfigError(
            f"could not reach Slack to check SLACK_BOT_TOKEN ({exc}); check the network, or "
            "MODELPILOT_SLACK_API_URL if it is set"
        ) from exc
    _register(app, SlackBot(assistant or Assistant(settings)))
    return app


def _register(app: App, bot: SlackBot) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        bot.answer_in_thread(event, client, context.bot_user_id)

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        # Only direct messages: in channels the bot answers mentions (app_mention).
        if event.get("channel_type") == "im" and is_user_message(event):
            bot.answer_in_thread(event, client, context.bot_user_id)

    @app.command(SLASH_COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        bot.answer_command(command, respond)

    def on_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        bot.resolve(body, action, client, respond)

    app.action(CONFIRM_ACTION)(on_button)
    app.action(CANCEL_ACTION)(on_button)
