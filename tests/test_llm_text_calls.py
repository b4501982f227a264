"""Reading tool calls that a model wrote into its message text."""

from __future__ import annotations

import pytest

from assistant.llm.text_calls import find_text_calls

KNOWN = ("search_runs", "list_models", "rollback_model")
SEARCH = {"task": "image-classification", "period": "last 3 months"}

FORMS = {
    "fenced json": (
        'I will search.\n```json\n{"name": "search_runs", "arguments": '
        '{"task": "image-classification", "period": "last 3 months"}}\n```'
    ),
    "fenced without language": (
        '```\n{"name": "search_runs", "arguments": '
        '{"task": "image-classification", "period": "last 3 months"}}\n```'
    ),
    "bare json": (
        '{"name": "search_runs", "arguments": '
        '{"task": "image-classification", "period": "last 3 months"}}'
    ),
    "bare json in prose": (
        'Sure, calling {"name": "search_runs", "arguments": {"task": '
        '"image-classification", "period": "last 3 months"}} now.'
    ),
    "tool_call tags": (
        '<tool_call>\n{"name": "search_runs", "arguments": {"task": '
        '"image-classification", "period": "last 3 months"}}\n</tool_call>'
    ),
    "unclosed tool_call tag": (
        '<tool_call>{"name": "search_runs", "arguments": {"task": '
        '"image-classification", "period": "last 3 months"}}'
    ),
    "fence inside tags": (
        '<tool_call>```json\n{"name": "search_runs", "arguments": {"task": '
        '"image-classification", "period": "last 3 months"}}\n```</tool_call>'
    ),
    "tool and parameters": (
        '{"tool": "search_runs", "parameters": {"task": "image-classification", '
        '"period": "last 3 months"}}'
    ),
    "function with string arguments": (
        '{"type": "function", "function": {"name": "search_runs", "arguments": '
        '"{\\"task\\": \\"image-classification\\", \\"period\\": \\"last 3 months\\"}"}}'
    ),
    "openai tool_calls list": (
        '{"tool_calls": [{"function": {"name": "search_runs", "arguments": '
        '{"task": "image-classification", "period": "last 3 months"}}}]}'
    ),
    "trailing comma": (
        '```json\n{"name": "search_runs", "arguments": {"task": "image-classification", '
        '"period": "last 3 months",},}\n```'
    ),
    "python literal": (
        "```json\n{'name': 'search_runs', 'arguments': {'task': 'image-classification', "
        "'period': 'last 3 months'}}\n```"
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_text_call_forms(form: str) -> None:
    scan = find_text_calls(FORMS[form], KNOWN)
    assert [call.name for call in scan.calls] == ["search_runs"]
    assert scan.calls[0].arguments == SEARCH
    assert scan.calls[0].error is None
    assert scan.malformed == []
    assert "search_runs" not in scan.prose


def test_list_of_calls() -> None:
    text = (
        '```json\n[{"name": "list_models", "arguments": {}}, '
        '{"name": "search_runs", "arguments": {"metric": "f1"}}]\n```'
    )
    scan = find_text_calls(text, KNOWN)
    assert [call.name for call in scan.calls] == ["list_models", "search_runs"]
    assert scan.calls[1].arguments == {"metric": "f1"}


def test_two_tagged_calls() -> None:
    text = (
        '<tool_call>{"name": "list_models", "arguments": {}}</tool_call>\n'
        '<tool_call>{"name": "search_runs", "arguments": {"metric": "f1"}}</tool_call>'
    )
    assert [call.name for call in find_text_calls(text, KNOWN).calls] == [
        "list_models",
        "search_runs",
    ]


def test_unknown_name_with_arguments_is_a_call() -> None:
    scan = find_text_calls('{"name": "weather", "arguments": {"city": "Paris"}}', KNOWN)
    assert [(call.name, call.arguments) for call in scan.calls] == [("weather", {"city": "Paris"})]


def test_name_only_needs_a_known_tool() -> None:
    assert [c.name for c in find_text_calls('{"name": "list_models"}', KNOWN).calls] == [
        "list_models"
    ]
    assert find_text_calls('{"name": "fraud-detector", "version": 3}', KNOWN).calls == []


def test_plain_answer_has_no_calls() -> None:
    text = "The best run is rf-200 with accuracy 0.93 [see table]. Nothing else {to add}."
    scan = find_text_calls(text, KNOWN)
    assert scan.calls == []
    assert scan.malformed == []
    assert scan.prose == text


def test_other_code_blocks_are_kept() -> None:
    text = 'Use this filter:\n```json\n{"metrics.accuracy": 0.9}\n```'
    scan = find_text_calls(text, KNOWN)
    assert scan.calls == []
    assert "metrics.accuracy" in scan.prose


def test_malformed_fenced_call() -> None:
    text = '```json\n{"name": "search_runs", "arguments": {"task": "image-class\n```'
    scan = find_text_calls(text, KNOWN)
    assert scan.calls == []
    assert len(scan.malformed) == 1
    assert "not valid JSON" in scan.malformed[0]


def test_malformed_tagged_call() -> None:
    scan = find_text_calls("<tool_call>search_runs(task=image)</tool_call>", KNOWN)
    assert scan.calls == []
    assert len(scan.malformed) == 1


def test_malformed_bare_call() -> None:
    scan = find_text_calls('{"name": "search_runs", "arguments": {"metric": "f1"', KNOWN)
    assert scan.calls == []
    assert len(scan.malformed) == 1


def test_arguments_string_that_does_not_parse() -> None:
    text = '{"function": {"name": "search_runs", "arguments": "{\\"metric\\": "}}'
    scan = find_text_calls(text, KNOWN)
    assert [call.name for call in scan.calls] == ["search_runs"]
    assert scan.calls[0].error == "the arguments of search_runs are not valid JSON"


def test_arguments_that_are_not_an_object() -> None:
    scan = find_text_calls('{"name": "search_runs", "arguments": [1, 2]}', KNOWN)
    assert scan.calls[0].error == "the arguments of search_runs must be a JSON object"


def test_prose_around_a_call_is_kept() -> None:
    text = 'Let me look that up.\n```json\n{"name": "list_models", "arguments": {}}\n```'
    assert find_text_calls(text, KNOWN).prose == "Let me look that up."
