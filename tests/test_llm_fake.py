"""The fake chat model: scripts by name or JSON file, cases, loops, and what it records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.llm.chat_model import build_chat_model
from assistant.llm.fake import EXHAUSTED, FakeChatModel, load_script, parse_script
from tests.test_llm_support import make_harness, registry, registry_template, use_script
from tools.errors import ConfigError
from tools.settings import get_settings
from tools.store.db import Store

__all__ = ["registry", "registry_template"]


def test_selected_by_registered_name(monkeypatch: pytest.MonkeyPatch) -> None:
    use_script(monkeypatch, ["hello"])
    model = build_chat_model(get_settings())
    assert isinstance(model, FakeChatModel)
    assert model.invoke([HumanMessage("hi")]).text == "hello"


def test_selected_by_json_path(
    tmp_path: Path, registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = {
        "responses": [
            {"tool_calls": [{"name": "list_models", "arguments": {}}]},
            "Two models.",
        ]
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script), encoding="utf-8")
    h = make_harness(registry, monkeypatch, [])
    monkeypatch.setenv("MODELPILOT_LLM_MODEL", f"fake:{path}")
    h.agent.chat_model = build_chat_model(get_settings())
    answer = h.ask("which models do we have, roughly?")
    assert [(v.name, v.status) for v in answer.tool_calls] == [("list_models", "ok")]


def test_unknown_script_name() -> None:
    with pytest.raises(ConfigError, match="no fake model script named 'nope'"):
        load_script("nope")


def test_unreadable_script_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the fake model script"):
        load_script(str(path))


@pytest.mark.parametrize(
    "data",
    [42, {"responses": "text"}, {"responses": [3]}, {"cases": [{"responses": []}]}],
)
def test_malformed_script(data: object) -> None:
    with pytest.raises(ConfigError):
        parse_script(data, "test")


def test_cases_follow_the_request_text() -> None:
    script = parse_script(
        {
            "cases": [{"when": "Weather", "responses": ["no weather here"]}],
            "responses": ["default"],
        },
        "test",
    )
    model = FakeChatModel(script=script)
    assert model.invoke([HumanMessage("what's the weather?")]).text == "no weather here"
    assert model.invoke([HumanMessage("best run")]).text == "default"
    assert model.invoke([HumanMessage("best run")]).text == EXHAUSTED


def test_case_ignores_agent_feedback() -> None:
    script = parse_script({"cases": [{"when": "weather", "responses": ["a", "b"]}]}, "test")
    model = FakeChatModel(script=script)
    model.invoke([HumanMessage("weather?")])
    feedback = HumanMessage("Your tool call could not be read", name="modelpilot")
    assert model.invoke([HumanMessage("weather?"), AIMessage("x"), feedback]).text == "b"


def test_loop_starts_over() -> None:
    model = FakeChatModel(script=parse_script({"loop": True, "responses": ["a", "b"]}, "t"))
    assert [model.invoke([HumanMessage("q")]).text for _ in range(3)] == ["a", "b", "a"]


def test_native_calls_and_invalid_arguments() -> None:
    step = {
        "content": "calling",
        "tool_calls": [
            {"name": "list_models", "arguments": {"task": "fraud-detection"}},
            {"name": "search_runs", "arguments": '{"metric": '},
        ],
    }
    reply = FakeChatModel(script=parse_script([step], "t")).invoke([HumanMessage("q")])
    assert isinstance(reply, AIMessage)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("list_models", {"task": "fraud-detection"})
    ]
    assert [c["name"] for c in reply.invalid_tool_calls] == ["search_runs"]


def test_records_messages_tools_and_options() -> None:
    model = FakeChatModel(script=parse_script(["ok"], "t"))
    tool = {"type": "function", "function": {"name": "list_models", "parameters": {}}}
    model.bind_tools([tool]).invoke([SystemMessage("rules"), HumanMessage("q")])
    [request] = model.requests
    assert [m.text for m in request.messages] == ["rules", "q"]
    assert request.tool_names == ["list_models"]
    assert request.options == {}


def test_each_agent_gets_a_fresh_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    use_script(monkeypatch, ["only once"])
    first = build_chat_model(get_settings())
    second = build_chat_model(get_settings())
    assert first.invoke([HumanMessage("q")]).text == "only once"
    assert second.invoke([HumanMessage("q")]).text == "only once"


def test_builtin_overview_script() -> None:
    model = FakeChatModel(script=load_script("overview"))
    assert '"workspace_overview"' in model.invoke([HumanMessage("q")]).text
