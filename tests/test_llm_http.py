"""The LangChain ChatOpenAI path against a local OpenAI-compatible stub server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.conversation import Conversation
from assistant.llm.agent import LLMAgent
from assistant.service import Assistant
from tests.llm_stub_server import StubChatServer
from tests.test_llm_support import production_version, registry, registry_template
from tools.governance import Actor
from tools.settings import get_settings
from tools.store.db import Store
from tools.tool_registry import REGISTRY
from tools.vocabulary import detect_language

__all__ = ["registry", "registry_template"]

ROLLBACK = {"name": "rollback_model", "arguments": {"model": "fraud-detector"}}
SEARCH_F1 = {"experiment": "fraud-exp", "metric": "f1", "period": "last 3 months"}
QWEN_STYLE = f'```json\n{{"name": "search_runs", "arguments": {json.dumps(SEARCH_F1)}}}\n```'


@pytest.fixture
def stub() -> Iterator[StubChatServer]:
    with StubChatServer() as server:
        yield server


def ask(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    stub: StubChatServer,
    responses: list[dict[str, Any]],
    question: str = "best fraud run by f1 in the last 3 months",
    **environment: str,
) -> Any:
    stub.responses.extend(responses)
    monkeypatch.setenv("MODELPILOT_LLM_BASE_URL", stub.url)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assistant = Assistant(settings, store)
    agent = LLMAgent(settings, assistant.governor)
    return agent.ask(
        question,
        detect_language(question),
        Actor("anna", "cli"),
        Conversation("http"),
        assistant.lexicon(),
    )


def test_native_tool_call(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [{"tool_calls": [{"name": "search_runs", "arguments": SEARCH_F1}]}, {"content": "Done."}],
        MODELPILOT_LLM_MAX_TOKENS="300",
    )
    assert [(v.name, v.status) for v in answer.tool_calls] == [("search_runs", "ok")]
    assert "f1 = 0.72" in answer.answer
    first, second = stub.requests
    assert first["max_tokens"] == 300
    assert first["max_completion_tokens"] == 300
    assert "tool_choice" not in first
    assert first["stream"] is False
    assert sorted(t["function"]["name"] for t in first["tools"]) == sorted(REGISTRY.names())
    assert first["messages"][0]["role"] == "system"
    assert first["messages"][-1] == {
        "role": "user",
        "content": "best fraud run by f1 in the last 3 months",
    }
    assistant_message, tool_message = second["messages"][-2:]
    assert assistant_message["tool_calls"][0]["id"] == "call_1_0"
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == "call_1_0"
    assert '"tool_result": "search_runs"' in tool_message["content"]


def test_placeholder_key_for_local_server(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    ask(registry, monkeypatch, stub, [{"content": "Which model do you mean?"}], "hm?")
    assert stub.headers[0]["authorization"] == "Bearer not-needed"
    assert stub.requests[0]["model"] == "local-model"


def test_configured_key_and_model(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    ask(
        registry,
        monkeypatch,
        stub,
        [{"content": "Which model do you mean?"}],
        "hm?",
        MODELPILOT_LLM_API_KEY="sk-test-123",
        MODELPILOT_LLM_MODEL="qwen2.5-coder-1.5b-instruct",
    )
    assert stub.headers[0]["authorization"] == "Bearer sk-test-123"
    assert stub.requests[0]["model"] == "qwen2.5-coder-1.5b-instruct"


def test_call_written_in_content(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry, monkeypatch, stub, [{"content": QWEN_STYLE, "tool_calls": []}, {"content": "ok"}]
    )
    assert [(v.name, v.status) for v in answer.tool_calls] == [("search_runs", "ok")]
    assistant_message, tool_message = stub.requests[1]["messages"][-2:]
    assert assistant_message["tool_calls"][0]["function"]["name"] == "search_runs"
    assert json.loads(assistant_message["tool_calls"][0]["function"]["arguments"]) == SEARCH_F1
    assert tool_message["tool_call_id"] == assistant_message["tool_calls"][0]["id"]


def test_malformed_native_arguments(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [
            {"tool_calls": [{"name": "search_runs", "arguments": '{"metric": "f1", '}]},
            {"tool_calls": [{"name": "search_runs", "arguments": SEARCH_F1}]},
            {"content": "Done."},
        ],
    )
    assert [(v.name, v.status) for v in answer.tool_calls] == [
        ("search_runs", "error"),
        ("search_runs", "ok"),
    ]
    assistant_message, tool_message = stub.requests[1]["messages"][-2:]
    # The history carries valid JSON, so a server's chat template can render it.
    assert json.loads(assistant_message["tool_calls"][0]["function"]["arguments"]) == {}
    assert "not valid JSON" in tool_message["content"]


def test_malformed_call_in_content(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [
            {"content": '```json\n{"name": "search_runs", "arguments": {"metric": \n```'},
            {"content": QWEN_STYLE},
            {"content": "Done."},
        ],
    )
    assert [(v.name, v.status) for v in answer.tool_calls] == [("search_runs", "ok")]
    feedback = stub.requests[1]["messages"][-1]
    assert feedback["role"] == "user"
    assert feedback["content"].startswith("Your tool call could not be read")


def test_unknown_tool_name(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [
            {"tool_calls": [{"name": "weather", "arguments": {"city": "Paris"}}]},
            {"content": "I can only help with this workspace."},
        ],
        "what's the weather in Paris?",
    )
    assert answer.answer == "I can only help with this workspace."
    assert [(v.name, v.status) for v in answer.tool_calls] == [("weather", "denied")]
    assert "there is no tool named 'weather'" in stub.requests[1]["messages"][-1]["content"]


def test_invalid_arguments(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [
            {"tool_calls": [{"name": "search_runs", "arguments": {"limit": 0}}]},
            {"content": "Which experiment do you mean?"},
        ],
    )
    assert [(v.name, v.status) for v in answer.tool_calls] == [("search_runs", "error")]
    assert "invalid arguments for search_runs: limit" in stub.requests[1]["messages"][-1]["content"]
    assert answer.answer == "Which experiment do you mean?"


def test_mutating_call_over_http(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [{"content": f"<tool_call>{json.dumps(ROLLBACK)}</tool_call>"}],
        "put the previous fraud model back",
    )
    assert answer.needs_confirmation is not None
    assert answer.needs_confirmation["summary"] == "production: fraud-detector v2 → v3 (rollback)"
    assert len(stub.requests) == 1
    assert production_version(registry) == 2


def test_timeout(registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [{"content": "too late", "delay_s": 30}],
        MODELPILOT_LLM_TIMEOUT_S="0.5",
    )
    assert answer.planner == "llm"
    assert answer.answer == "The language model did not answer within 0.5 s; please try again."
    assert answer.tool_calls == []
    assert len(stub.requests) == 1


def test_timeout_after_a_result_keeps_it(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [
            {"tool_calls": [{"name": "search_runs", "arguments": SEARCH_F1}]},
            {"content": "too late", "delay_s": 30},
        ],
        MODELPILOT_LLM_TIMEOUT_S="0.5",
    )
    assert "f1 = 0.72" in answer.answer


def test_server_error(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(
        registry,
        monkeypatch,
        stub,
        [{"status": 500, "raw": '{"error": {"message": "model crashed"}}'}],
    )
    assert answer.answer == "The language model could not be reached; please try again."


def test_response_that_is_not_a_completion(
    registry: Store, monkeypatch: pytest.MonkeyPatch, stub: StubChatServer
) -> None:
    answer = ask(registry, monkeypatch, stub, [{"raw": '{"unexpected": true}'}])
    assert answer.answer == (
        "The language model sent a response that could not be read; please try again."
    )


def test_nothing_listens(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with StubChatServer() as closed:
        url = closed.url
    monkeypatch.setenv("MODELPILOT_LLM_BASE_URL", url)
    settings = get_settings()
    assistant = Assistant(settings, registry)
    answer = LLMAgent(settings, assistant.governor).ask(
        "hm?", "en", Actor("anna", "cli"), Conversation("x"), assistant.lexicon()
    )
    assert answer.answer == "The language model could not be reached; please try again."


def test_openai_without_key_is_a_config_error(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.errors import ConfigError

    monkeypatch.setenv("MODELPILOT_LLM_MODEL", "gpt-4o-mini")
    settings = get_settings()
    assistant = Assistant(settings, registry)
    with pytest.raises(ConfigError, match="MODELPILOT_LLM_API_KEY"):
        LLMAgent(settings, assistant.governor)


def test_real_openai_host_is_unreachable_in_tests(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELPILOT_LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("MODELPILOT_LLM_API_KEY", "sk-not-a-real-key")
    settings = get_settings()
    assistant = Assistant(settings, registry)
    answer = LLMAgent(settings, assistant.governor).ask(
        "hm?", "en", Actor("anna", "cli"), Conversation("x"), assistant.lexicon()
    )
    assert answer.answer == "The language model could not be reached; please try again."
