"""Registry tools as OpenAI function-tool schemas, the form LangChain's ``bind_tools`` sends.

The schemas are pydantic's JSON schemas made compact: ``$ref`` inlined, ``title`` and
``default: null`` dropped and ``Optional[X]`` written as ``X``. A small model reads them with
less confusion, and the prompt stays shorter, which matters on a 2-core CPU server.

The core tools come first, always in the same order: chat templates write the tools into
the system message, so a server that caches prompt prefixes (llama.cpp does) reuses them
even when the other tools differ from request to request.
"""

from __future__ import annotations

from typing import Any

from assistant.llm.selection import CORE_TOOLS
from tools.tool_registry import REGISTRY, Tool

# Deeper nesting than this in an argument schema is left as a reference; no tool needs more.
MAX_INLINE_DEPTH = 6


def bound_tools(read_only: bool) -> list[Tool]:
    """Return the tools the model may call: every tool, or the read-only ones."""
    return REGISTRY.all(read_only=read_only)


def tool_specs(tools: list[Tool]) -> list[dict[str, Any]]:
    """Return OpenAI function-tool schemas for ``tools``: the core ones, then by name."""
    return [openai_tool_schema(tool) for tool in sorted(tools, key=_position)]


def _position(tool: Tool) -> tuple[int, str]:
    if tool.name in CORE_TOOLS:
        return (CORE_TOOLS.index(tool.name), "")
    return (len(CORE_TOOLS), tool.name)


def openai_tool_schema(tool: Tool) -> dict[str, Any]:
    parameters = compact_schema(tool.json_schema())
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": parameters,
        },
    }


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$ref``, drop titles and collapse ``anyOf [X, null]`` to ``X``."""
    definitions = schema.get("$defs", {})
    compact = _compact(schema, definitions, 0)
    compact.pop("$defs", None)
    return compact


def _compact(node: dict[str, Any], definitions: dict[str, Any], depth: int) -> dict[str, Any]:
    reference = node.get("$ref")
    if isinstance(reference, str) and depth < MAX_INLINE_DEPTH:
        target = definitions.get(reference.rsplit("/", 1)[-1], {})
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _compact(merged, definitions, depth + 1)
    result: dict[str, Any] = {}
    union: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {
                name: _compact(prop, definitions, depth + 1) for name, prop in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            result[key] = _compact(value, definitions, depth + 1)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            union.update(_compact_union(key, value, definitions, depth))
        else:
            result[key] = value
    # The field's own keys (description, default) win over those of the type it names.
    return {**union, **result}


def _compact_union(
    key: str, options: list[Any], definitions: dict[str, Any], depth: int
) -> dict[str, Any]:
    compacted = [_compact(option, definitions, depth + 1) for option in options]
    not_null = [option for option in compacted if option.get("type") != "null"]
    if key == "anyOf" and len(not_null) == 1:
        return not_null[0]
    return {key: compacted}
