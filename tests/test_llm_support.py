"""Helpers for the LLM agent tests: an agent on the registry store, driven by a fake model.

The store is the registry of tests/test_registry_support.py: fraud-detector v1-v4 with
production at v2 (history v1 → v3 → v2) and staging at v4, churn-model v1-v2, runs in
fraud-exp and churn-exp, "now" pinned to 20 March 2026.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from sqlalchemy import text

from assistant.answer import Answer
from assistant.conversation import Conversation
from assistant.llm.agent import LLMAgent
from assistant.llm.fake import FakeChatModel, FakeRequest, register_script
from assistant.service import Assistant
from tests.test_registry_support import registry, registry_template
from tools.governance import Actor
from tools.settings import get_settings
from tools.store.db import Store
from tools.vocabulary import detect_language

__all__ = ["registry", "registry_template"]

_names = itertools.count()


@dataclass
class Harness:
    assistant: Assistant
    agent: LLMAgent
    conversation: Conversation

    @property
    def fake(self) -> FakeChatModel:
        assert isinstance(self.agent.chat_model, FakeChatModel)
        return self.agent.chat_model

    @property
    def requests(self) -> list[FakeRequest]:
        return self.fake.requests

    def ask(self, question: str, user: str = "anna") -> Answer:
        return self.agent.ask(
            question,
            detect_language(question),
            Actor(user, "cli"),
            self.conversation,
            self.assistant.lexicon(),
        )


def use_script(monkeypatch: pytest.MonkeyPatch, script: dict[str, Any] | list[Any]) -> str:
    """Register ``script`` under a fresh name and select it through the environment."""
    name = f"test-script-{next(_names)}"
    register_script(name, script)
    monkeypatch.setenv("MODELPILOT_LLM_MODEL", f"fake:{name}")
    return name


def make_harness(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    script: dict[str, Any] | list[Any],
    **environment: str,
) -> Harness:
    use_script(monkeypatch, script)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assistant = Assistant(settings, store)
    agent = LLMAgent(settings, assistant.governor)
    return Harness(assistant, agent, Conversation("test"))


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """A fake-model step with one native tool call."""
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def tool_messages(request: FakeRequest) -> list[ToolMessage]:
    return [m for m in request.messages if isinstance(m, ToolMessage)]


def feedback_messages(request: FakeRequest) -> list[BaseMessage]:
    return [m for m in request.messages if isinstance(m, HumanMessage) and m.name]


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        return [tuple(row) for row in connection.execute(text(sql)).fetchall()]


def production_version(store: Store) -> int:
    found = rows(
        store,
        "SELECT version FROM model_alias "
        "WHERE model_name = 'fraud-detector' AND alias = 'production'",
    )
    return int(found[0][0])
