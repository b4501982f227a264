"""Tool calls that a model wrote into its message text instead of the native tool-call field.

Small local models behind an OpenAI-compatible server often write a tool call as
text, and the server then returns ``tool_calls: []``. Qwen2.5-Coder-1.5B on
llama.cpp, for one, writes a fenced JSON block. This module finds such calls in these forms:

- a fenced block: ```json {"name": "search_runs", "arguments": {...}} ```
- Hermes-style tags: <tool_call>{"name": ..., "arguments": ...}</tool_call>
- bare JSON anywhere in the text, or a list of calls
- the key variants {"tool": ..., "parameters": ...} and
  {"function": {"name": ..., "arguments": "<JSON string>"}}

It only reads the text. Whether a call names a real tool and whether its arguments fit the
tool's schema is decided by the caller.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

NAME_KEYS = ("name", "tool", "tool_name", "function")
ARGUMENT_KEYS = ("arguments", "parameters", "args", "params", "input")

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"```[ \t]*([\w-]*)[ \t]*\n?(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
# A block that mentions one of these keys was meant as a call even when it does not parse.
_CALL_HINT = re.compile(r"[\"'](?:name|tool|function|arguments|parameters)[\"']\s*:")


@dataclass(frozen=True)
class TextCall:
    """One tool call read from text. ``error`` is set when its arguments could not be read."""

    name: str
    arguments: dict[str, Any]
    raw: str
    error: str | None = None


@dataclass
class TextScan:
    """The calls found in a message, the blocks that looked like calls but did not parse, and
    the remaining prose."""

    calls: list[TextCall] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    prose: str = ""


def find_text_calls(text: str, known_names: Collection[str] = ()) -> TextScan:
    """Find the tool calls written in ``text``.

    ``known_names`` lets a bare {"name": "list_models"} without arguments count as a call;
    with arguments, any name counts, so the caller can reject invented tools by name.
    """
    scan = TextScan()
    remaining = _TAGGED.sub(lambda m: _take_block(m, scan, known_names, True), text)
    remaining = _FENCED.sub(lambda m: _take_block(m, scan, known_names, False), remaining)
    remaining = _take_bare_json(remaining, scan, known_names)
    scan.prose = re.sub(r"\n{3,}", "\n\n", remaining).strip()
    return scan


def _take_block(
    match: re.Match[str], scan: TextScan, known_names: Collection[str], tagged: bool
) -> str:
    """Read one fenced or tagged block; return what stays in the prose (nothing for a call)."""
    body = _unfence(match.group(1)) if tagged else match.group(2)
    language = "" if tagged else match.group(1).lower()
    if not tagged and language not in ("", "json", "tool_call", "tool", "javascript", "js"):
        return match.group(0)
    values = decode_values(body)
    if values is None:
        if tagged or _CALL_HINT.search(body):
            scan.malformed.append(_malformed_message(body))
            return ""
        return match.group(0)
    calls = [call for value in values for call in calls_from_value(value, body, known_names)]
    if not calls:
        return match.group(0)
    scan.calls.extend(calls)
    return ""


def _take_bare_json(text: str, scan: TextScan, known_names: Collection[str]) -> str:
    """Find call-shaped JSON values outside blocks; return the text without them."""
    decoder = json.JSONDecoder()
    kept: list[str] = []
    position = 0
    index = _next_json_start(text, 0)
    while index >= 0:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index = _next_json_start(text, index + 1)
            continue
        raw = text[index:end]
        calls = calls_from_value(value, raw, known_names)
        if calls:
            scan.calls.extend(calls)
            kept.append(text[position:index])
            position = end
        index = _next_json_start(text, end if calls else index + 1)
    kept.append(text[position:])
    prose = "".join(kept)
    if not scan.calls and not scan.malformed and _CALL_HINT.search(prose) and "{" in prose:
        scan.malformed.append(_malformed_message(prose[prose.index("{") :]))
    return prose


def _unfence(body: str) -> str:
    """Drop a code fence that a model put inside <tool_call> tags."""
    fenced = _FENCED.fullmatch(body.strip())
    return fenced.group(2) if fenced else body


def _next_json_start(text: str, start: int) -> int:
    found = [i for i in (text.find("{", start), text.find("[", start)) if i >= 0]
    return min(found) if found else -1


def decode_values(body: str) -> list[Any] | None:
    """Decode one or more JSON values written one after another; None when it does not parse.

    Trailing commas and Python literals (single quotes, True/None) are accepted, because
    small models write them.
    """
    for candidate in (body, _TRAILING_COMMA.sub(r"\1", body)):
        values = _decode_sequence(candidate)
        if values is not None:
            return values
    try:
        return [ast.literal_eval(body.strip())]
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _decode_sequence(body: str) -> list[Any] | None:
    decoder = json.JSONDecoder()
    values: list[Any] = []
    index = 0
    text = body.strip()
    while index < len(text):
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            return None
        values.append(value)
        while index < len(text) and text[index] in " \t\r\n,;":
            index += 1
    return values or None


def calls_from_value(value: Any, raw: str, known_names: Collection[str] = ()) -> list[TextCall]:
    """Return the calls a decoded JSON value describes; an empty list when it is not a call."""
    if isinstance(value, list):
        return [call for item in value for call in calls_from_value(item, raw, known_names)]
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("tool_calls"), list):
        return calls_from_value(value["tool_calls"], raw, known_names)
    function = value.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return calls_from_value(function, raw, known_names)
    name = next((value[key] for key in NAME_KEYS if isinstance(value.get(key), str)), None)
    if name is None:
        return []
    argument_key = next((key for key in ARGUMENT_KEYS if key in value), None)
    if argument_key is None:
        return [TextCall(name, {}, raw)] if name in known_names else []
    return [_with_arguments(name, value[argument_key], raw)]


def _with_arguments(name: str, arguments: Any, raw: str) -> TextCall:
    if arguments is None:
        return TextCall(name, {}, raw)
    if isinstance(arguments, str):
        values = decode_values(arguments) if arguments.strip() else [{}]
        if values is None or len(values) != 1:
            return TextCall(name, {}, raw, f"the arguments of {name} are not valid JSON")
        arguments = values[0]
    if not isinstance(arguments, dict):
        return TextCall(name, {}, raw, f"the arguments of {name} must be a JSON object")
    return TextCall(name, arguments, raw)


def _malformed_message(body: str) -> str:
    excerpt = " ".join(body.split())[:160]
    return f"could not read the tool call {excerpt!r}: it is not valid JSON"
