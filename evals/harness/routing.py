"""Planner modes: the only thing that differs between a rules, an LLM and a hybrid eval run.

- ``rules``: the LLM settings are cleared, so the product's router never calls a model.
- ``hybrid``: the product's own routing (rules when confident, else the LLM agent).
- ``llm``: the product's ``llm`` routing (``MODELPILOT_LLM_ROUTING=llm``): every request goes
  to the LLM agent but the replies "yes" and "no" to a pending change and requests for help.

LLM runs count tokens per request with a LangChain callback. Servers that report usage give
exact counts; otherwise (the fake model) the count is an estimate of four characters per token.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from assistant.service import Assistant
from tools.errors import ConfigError
from tools.governance import Governor
from tools.settings import Settings
from tools.store.db import Store

PlannerMode = Literal["rules", "llm", "hybrid"]
PLANNER_MODES: tuple[PlannerMode, ...] = ("rules", "llm", "hybrid")
CHARACTERS_PER_TOKEN = 4


def mode_settings(settings: Settings, mode: PlannerMode) -> Settings:
    """Return the settings a planner mode runs with; LLM modes need a configured model."""
    if mode == "rules":
        return settings.model_copy(update={"llm_model": None, "llm_base_url": None})
    if not settings.llm_configured:
        raise ConfigError(
            f"--planner {mode} needs a chat model: set MODELPILOT_LLM_MODEL (e.g. "
            "fake:/path/script.json) or MODELPILOT_LLM_BASE_URL"
        )
    return settings.model_copy(update={"llm_routing": mode})


class TokenCounter(BaseCallbackHandler):
    """Adds up the tokens of every chat model request it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.requests = 0
        self.estimated = False
        self._pending_prompt: dict[UUID, int] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        characters = sum(len(str(message.content)) for batch in messages for message in batch)
        self._pending_prompt[run_id] = characters // CHARACTERS_PER_TOKEN

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self.requests += 1
        estimate = self._pending_prompt.pop(run_id, 0)
        usage = _usage(response)
        if usage is None:
            self.estimated = True
            self.prompt_tokens += estimate
            self.completion_tokens += _completion_characters(response) // CHARACTERS_PER_TOKEN
            return
        self.prompt_tokens += usage[0]
        self.completion_tokens += usage[1]

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _usage(response: LLMResult) -> tuple[int, int] | None:
    for generations in response.generations:
        for generation in generations:
            metadata = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if metadata:
                return int(metadata.get("input_tokens", 0)), int(metadata.get("output_tokens", 0))
    return None


def _completion_characters(response: LLMResult) -> int:
    total = 0
    for generations in response.generations:
        for generation in generations:
            message = getattr(generation, "message", None)
            total += len(generation.text or "")
            for call in getattr(message, "tool_calls", None) or []:
                total += len(str(call.get("name", ""))) + len(str(call.get("args", "")))
    return total


def make_assistant(
    settings: Settings, store: Store, mode: PlannerMode, counter: TokenCounter | None = None
) -> Assistant:
    """Build an assistant for one item; LLM modes get an agent whose requests are counted."""
    settings = mode_settings(settings, mode)
    agent = None
    if mode != "rules":
        from assistant.llm.agent import LLMAgent
        from assistant.llm.chat_model import build_chat_model

        chat_model = build_chat_model(settings)
        if counter is not None:
            chat_model.callbacks = [counter]
        agent = LLMAgent(settings, Governor(store, settings), chat_model=chat_model)
    return Assistant(settings, store, agent=agent)
