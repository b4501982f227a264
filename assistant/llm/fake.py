"""A fake chat model that replays a script, so tests and evals drive the agent exactly.

Select it with ``MODELPILOT_LLM_MODEL=fake:NAME`` (a script registered here with
``register_script``) or ``MODELPILOT_LLM_MODEL=fake:/path/script.json``. A script is JSON:

    {
      "responses": [STEP, ...],
      "cases": [{"when": "text in the request", "responses": [STEP, ...]}],
      "loop": false
    }

or just a list of steps. Each model request takes the next step, from the first case whose
``when`` text occurs in the user's request (case-insensitive), else from ``responses``. Steps
are used once and in order across the whole process; with ``"loop": true`` a queue starts
over when it runs out. A step is a string (the message text) or an object:

    {"content": "text, which may contain a tool call written as JSON",
     "tool_calls": [{"name": "search_runs", "arguments": {"period": "last 3 months"}}]}

``tool_calls`` are native calls. Their ``arguments`` may be a string, sent as raw JSON, so
a string that does not parse becomes an invalid tool call, as from a real server.

The model records every request it receives (messages, bound tools, other options) in
``requests``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from assistant.llm.calls import FEEDBACK_NAME
from tools.errors import ConfigError

log = logging.getLogger(__name__)

EXHAUSTED = "(the fake model's script has no more responses)"


@dataclass
class FakeRequest:
    """One request the fake model received."""

    messages: list[BaseMessage]
    tools: list[dict[str, Any]]
    options: dict[str, Any]

    @property
    def tool_names(self) -> list[str]:
        return [spec["function"]["name"] for spec in self.tools]


@dataclass
class FakeScript:
    """Queues of scripted steps: a default one and one per case."""

    responses: list[Any] = field(default_factory=list)
    cases: list[tuple[str, list[Any]]] = field(default_factory=list)
    loop: bool = False
    _positions: dict[int, int] = field(default_factory=dict)

    def next_step(self, request_text: str) -> Any:
        """Return the next step for a request, or None when its queue is used up."""
        text = request_text.casefold()
        for index, (when, steps) in enumerate(self.cases):
            if when.casefold() in text:
                return self._take(index, steps)
        return self._take(-1, self.responses)

    def _take(self, queue: int, steps: list[Any]) -> Any:
        position = self._positions.get(queue, 0)
        if position >= len(steps):
            if not (self.loop and steps):
                return None
            position = 0
        self._positions[queue] = position + 1
        return steps[position]


_SCRIPTS: dict[str, Callable[[], FakeScript]] = {}


def register_script(name: str, script: dict[str, Any] | list[Any]) -> None:
    """Register a script under ``name``; every agent that selects it gets a fresh copy."""
    parse_script(script, name)  # reject a malformed script when it is registered
    _SCRIPTS[name] = lambda: parse_script(json.loads(json.dumps(script)), name)


def script_names() -> list[str]:
    return sorted(_SCRIPTS)


def load_script(reference: str) -> FakeScript:
    """Return the script named by the text after ``fake:``: a registered name or a JSON path."""
    if reference in _SCRIPTS:
        return _SCRIPTS[reference]()
    path = Path(reference).expanduser()
    if reference.endswith(".json") or path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the fake model script {reference!r}: {exc}") from exc
        return parse_script(data, reference)
    known = ", ".join(script_names()) or "none"
    raise ConfigError(
        f"no fake model script named {reference!r}; registered scripts: {known}; "
        "or give a path: MODELPILOT_LLM_MODEL=fake:/path/script.json"
    )


def parse_script(data: Any, source: str) -> FakeScript:
    """Check and convert a script's JSON data."""
    if isinstance(data, list):
        data = {"responses": data}
    if not isinstance(data, dict):
        raise ConfigError(f"fake model script {source!r} must be a JSON object or list")
    cases = []
    for case in data.get("cases", []):
        if not isinstance(case, dict) or not isinstance(case.get("when"), str):
            raise ConfigError(f"every case in fake model script {source!r} needs a 'when' text")
        cases.append((case["when"], _steps(case.get("responses", []), source)))
    responses = _steps(data.get("responses", []), source)
    return FakeScript(responses, cases, bool(data.get("loop", False)))


def _steps(steps: Any, source: str) -> list[Any]:
    if not isinstance(steps, list):
        raise ConfigError(f"'responses' in fake model script {source!r} must be a list")
    for step in steps:
        if not isinstance(step, (str, dict)):
            raise ConfigError(f"a step in fake model script {source!r} is not text or an object")
    return steps


class FakeChatModel(BaseChatModel):
    """Chat model that replays a ``FakeScript`` and records every request it receives."""

    script: FakeScript = Field(default_factory=FakeScript)
    requests: list[FakeRequest] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "modelpilot-fake"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        specs = [convert_to_openai_tool(tool) for tool in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=specs, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools = kwargs.pop("tools", [])
        self.requests.append(FakeRequest(list(messages), list(tools), dict(kwargs)))
        step = self.script.next_step(current_request(messages))
        message = self._message(step, len(self.requests))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _message(self, step: Any, request_number: int) -> AIMessage:
        if step is None:
            log.warning("the fake model's script ran out at request %d", request_number)
            return AIMessage(content=EXHAUSTED)
        if isinstance(step, str):
            return AIMessage(content=step)
        calls, invalid = [], []
        for index, call in enumerate(step.get("tool_calls", [])):
            call_id = f"call_{request_number}_{index}"
            arguments = call.get("arguments", {})
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except ValueError as exc:
                    raw = call["arguments"]
                    error = str(exc)
                    invalid.append(
                        invalid_tool_call(name=call.get("name"), args=raw, id=call_id, error=error)
                    )
                    continue
            calls.append(tool_call(name=call["name"], args=arguments, id=call_id))
        return AIMessage(
            content=step.get("content", ""), tool_calls=calls, invalid_tool_calls=invalid
        )


def current_request(messages: Sequence[BaseMessage]) -> str:
    """Return the text of the user's latest request, skipping the agent's own feedback."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage) and message.name != FEEDBACK_NAME:
            return message.text
    return ""


def fake_chat_model(reference: str) -> FakeChatModel:
    return FakeChatModel(script=load_script(reference))


# Built-in scripts for trying the LLM path without a server, e.g. `modelpilot ask`.
register_script(
    "overview",
    {
        "loop": True,
        "responses": [
            '```json\n{"name": "workspace_overview", "arguments": {}}\n```',
            "This is what the workspace contains.",
        ],
    },
)
register_script(
    "out-of-scope",
    {"loop": True, "responses": ["I can only help with this workspace's ML projects."]},
)
