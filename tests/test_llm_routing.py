"""Hybrid routing in Assistant: rules answer clear requests, the LLM agent the unclear ones."""

from __future__ import annotations

import pytest

from assistant.llm.agent import LLMAgent
from assistant.service import Assistant
from tests.test_llm_support import (
    call,
    production_version,
    registry,
    registry_template,
    use_script,
)
from tools.governance import Actor
from tools.settings import get_settings
from tools.store.db import Store

__all__ = ["registry", "registry_template"]

UNCLEAR = "anything odd going on with our stuff lately?"


def test_clear_request_stays_with_rules(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    use_script(monkeypatch, ["This should not be used."])
    settings = get_settings()
    assistant = Assistant(settings, registry)
    agent = LLMAgent(settings, assistant.governor)
    assistant = Assistant(settings, registry, agent=agent)
    answer = assistant.ask("which models are registered?", Actor("anna", "cli"))
    assert answer.planner == "rules"
    assert [v.name for v in answer.tool_calls] == ["list_models"]
    assert agent.chat_model.requests == []  # type: ignore[attr-defined]


def test_llm_routing_sends_clear_requests_to_the_llm(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_script(monkeypatch, [call("list_models"), "Two models are registered."])
    monkeypatch.setenv("MODELPILOT_LLM_ROUTING", "llm")
    answer = Assistant(get_settings(), registry).ask(
        "which models are registered?", Actor("anna", "cli")
    )
    assert answer.planner == "llm"
    assert [(v.name, v.status) for v in answer.tool_calls] == [("list_models", "ok")]


def test_unclear_request_goes_to_llm(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    use_script(monkeypatch, [call("list_alerts"), "No open alerts."])
    assistant = Assistant(get_settings(), registry)
    answer = assistant.ask(UNCLEAR, Actor("anna", "cli"))
    assert answer.planner == "llm"
    assert [(v.name, v.status) for v in answer.tool_calls] == [("list_alerts", "ok")]


def test_unclear_request_without_llm(registry: Store) -> None:
    answer = Assistant(get_settings(), registry).ask(UNCLEAR, Actor("anna", "cli"))
    assert answer.planner == "rules"
    assert answer.tool_calls == []


def test_unclear_chinese_request_goes_to_llm(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_script(monkeypatch, ["你指的是哪个模型：fraud-detector 还是 churn-model？"])
    answer = Assistant(get_settings(), registry).ask("我们的东西最近怎么样", Actor("anna", "cli"))
    assert answer.planner == "llm"
    assert answer.language == "zh"
    assert answer.answer == "你指的是哪个模型：fraud-detector 还是 churn-model？"


def test_llm_change_runs_only_when_user_confirms(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_script(monkeypatch, [call("rollback_model", model="fraud-detector"), "CONFIRMED"])
    assistant = Assistant(get_settings(), registry)
    anna = Actor("anna", "cli")
    proposal = assistant.ask(UNCLEAR, anna, "thread-1")
    assert proposal.planner == "llm"
    assert proposal.needs_confirmation is not None
    assert production_version(registry) == 2

    others = assistant.ask("yes", Actor("paul", "cli"), "thread-2")
    assert others.needs_confirmation is None
    assert production_version(registry) == 2

    done = assistant.ask("yes", anna, "thread-1")
    assert [(v.name, v.status) for v in done.tool_calls] == [("rollback_model", "ok")]
    assert production_version(registry) == 3
