"""The LLM agent: a chat model calls registry tools through governance, step by step.

Each model request gets the system prompt, the conversation so far and the request, with
the registry tools bound as OpenAI function tools. The model is never forced to call a
tool: forced tool choice made a small local model generate until the client timed out.
Calls written as text are read like native ones. Every call goes through
``Governor.invoke`` as the acting user, so roles, confirmations and the audit log apply
as on every other path. The turn ends when the model replies without a call, when a change
needs the user's confirmation, when a call repeats, or after ``llm_max_steps`` requests.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from assistant.answer import Answer, Language
from assistant.conversation import Conversation, Turn
from assistant.llm.binding import tool_specs
from assistant.llm.calls import (
    ModelReply,
    described_tool,
    feedback_message,
    history_message,
    nudge_message,
    outcome_message,
    read_reply,
    rejection_message,
)
from assistant.llm.chat_model import build_chat_model
from assistant.llm.guard import TurnGuard, clean_arguments
from assistant.llm.periods import with_user_period
from assistant.llm.prompt import system_prompt
from assistant.llm.selection import select_tools
from assistant.llm.turn import AgentTurn, Failure
from assistant.rules.lexicon import Lexicon
from tools.clock import now
from tools.governance import Actor, Governor
from tools.settings import Settings

log = logging.getLogger(__name__)

# Earlier messages of the conversation sent with each request, and kept at most.
HISTORY_MESSAGES = 12
KEPT_MESSAGES = 40

BoundModel = Runnable[LanguageModelInput, AIMessage]


class LLMAgent:
    """Agent that lets an OpenAI-compatible chat model call registry tools for a request."""

    def __init__(
        self,
        settings: Settings,
        governor: Governor,
        chat_model: BaseChatModel | None = None,
        max_tools: int | None = None,
    ) -> None:
        self.settings = settings
        self.governor = governor
        self.chat_model = chat_model or build_chat_model(settings)
        # NOTE: `llm_max_tools` is not a Settings field yet; until it is, only the argument
        # sets the limit.
        self.max_tools = max_tools or getattr(settings, "llm_max_tools", None)

    def ask(
        self,
        question: str,
        language: Language,
        actor: Actor,
        conversation: Conversation,
        lexicon: Lexicon,
    ) -> Answer:
        """Run the model's tool calls for one request and compose the answer.

        A change is never made here: it comes back as a confirmation request.
        """
        guard = TurnGuard.for_workspace(self.settings.read_only)
        tools = select_tools(question, list(guard.tools.values()), self.max_tools)
        turn = AgentTurn(
            question,
            language,
            guard,
            max_steps=self.settings.llm_max_steps,
            timeout_s=self.settings.llm_timeout_s,
        )
        prompt = system_prompt(lexicon)
        history = _history(conversation)
        messages: list[BaseMessage] = [SystemMessage(prompt), *history, HumanMessage(question)]
        model = self.chat_model.bind_tools(tool_specs(tools))
        self._run(turn, model, messages, actor)
        answer = turn.answer([prompt, *(message.text for message in history)])
        _remember(conversation, turn, answer)
        return answer

    def _run(
        self, turn: AgentTurn, model: BoundModel, messages: list[BaseMessage], actor: Actor
    ) -> None:
        nudged = False
        for step in range(1, self.settings.llm_max_steps + 1):
            message = self._request(turn, model, messages)
            if message is None:
                return
            reply = read_reply(message, list(turn.guard.tools), step)
            described = described_tool(reply.text, turn.guard.tools) if reply.is_final else None
            last_step = step == self.settings.llm_max_steps
            if (
                described
                and turn.last_ok is None
                and not turn.pending
                and not nudged
                and not last_step
            ):
                # One reminder only: a model that keeps describing calls gets its text judged.
                nudged = True
                messages.extend([history_message(reply), nudge_message(described)])
                continue
            if reply.is_final:
                turn.final_text = reply.text
                return
            messages.append(history_message(reply))
            if self._answer_calls(turn, reply, messages, actor):
                return
            if reply.malformed:
                log.info("unreadable tool call from the model: %s", reply.malformed[0])
                messages.append(feedback_message(reply.malformed))
        log.info("the LLM agent stopped after %d steps", self.settings.llm_max_steps)
        turn.failure = "step_limit"

    def _request(
        self, turn: AgentTurn, model: BoundModel, messages: list[BaseMessage]
    ) -> AIMessage | None:
        """Send one request to the model; on failure, note it in the turn and return None."""
        try:
            return model.invoke(messages)
        except Exception as exc:
            failure = request_failure(exc)
            if failure is None:
                raise
            log.warning("the chat model request failed (%s): %r", failure, exc)
            turn.failure = failure
            return None

    def _answer_calls(
        self, turn: AgentTurn, reply: ModelReply, messages: list[BaseMessage], actor: Actor
    ) -> bool:
        """Run or reject each call, adding its result to ``messages``; True ends the turn."""
        for call in reply.calls:
            arguments = self._arguments(turn, call.name, call.arguments)
            if call.error is not None:
                turn.record_rejected(call.name, arguments, "error", call.error)
                messages.append(rejection_message(call, call.error))
                continue
            if turn.guard.is_repeat(call.name, arguments):
                log.info("the model repeated %s; ending the turn", call.name)
                return True
            reason = turn.guard.rejection(call.name, arguments)
            if reason is not None:
                log.info("rejected a model call to %s: %s", call.name, reason)
                turn.record_rejected(call.name, arguments, "denied", reason)
                messages.append(rejection_message(call, reason))
                continue
            outcome = self.governor.invoke(call.name, arguments, actor)
            turn.record(outcome)
            if outcome.status == "needs_confirmation":
                return True
            turn.guard.observe(call.name, outcome.result)
            messages.append(outcome_message(call, outcome))
        return False

    def _arguments(self, turn: AgentTurn, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        cleaned = clean_arguments(arguments)
        tool = turn.guard.tools.get(name)
        return with_user_period(tool, cleaned, turn.question, now()) if tool else cleaned


def request_failure(exc: Exception) -> Failure | None:
    """Classify an error from a chat model request; None for errors that are bugs."""
    # Imported here so the fake model's path never loads the OpenAI client.
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIError):
        return "unavailable"
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        # LangChain raises these when a server's response is not a chat completion.
        return "invalid_response"
    return None


def _history(conversation: Conversation) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for entry in conversation.messages[-HISTORY_MESSAGES:]:
        if entry.get("role") == "user":
            history.append(HumanMessage(entry.get("content", "")))
        elif entry.get("role") == "assistant":
            history.append(AIMessage(entry.get("content", "")))
    return history


def _remember(conversation: Conversation, turn: AgentTurn, answer: Answer) -> None:
    """Keep the exchange, the calls and a pending confirmation for follow-up requests."""
    conversation.messages.append({"role": "user", "content": turn.question})
    conversation.messages.append({"role": "assistant", "content": _summary(turn, answer)})
    del conversation.messages[:-KEPT_MESSAGES]
    for outcome in turn.outcomes:
        conversation.remember(Turn(turn.question, outcome.name, outcome.arguments, outcome.result))
    if answer.needs_confirmation:
        conversation.pending_token = answer.needs_confirmation["token"]


def _summary(turn: AgentTurn, answer: Answer) -> str:
    """The answer as the model will see it in the next request, with the calls behind it."""
    calls = [f"{o.name}({_arguments_text(o.arguments)})" for o in turn.outcomes]
    if not calls:
        return answer.answer
    return f"{answer.answer}\n[tools used: {'; '.join(calls)}]"


def _arguments_text(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())
