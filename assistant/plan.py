"""What a planner decides: tool calls to make, a question to ask back, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PlanKind = Literal["tools", "clarify", "refuse", "help", "confirm", "cancel"]


@dataclass
class PlannedCall:
    tool: str
    arguments: dict[str, Any]
    # Fill the "runs" argument with the runs the previous call found ("compare the two best").
    runs_from_previous: bool = False


@dataclass
class Plan:
    kind: PlanKind
    calls: list[PlannedCall] = field(default_factory=list)
    message: str | None = None  # the clarifying question or refusal, in the request's language
    options: list[str] = field(default_factory=list)
    confidence: float = 1.0
    focus_index: int | None = None  # which row of a ranked result the user asked about
    intent: str | None = None

    @classmethod
    def call(cls, tool: str, intent: str, /, **arguments: Any) -> Plan:
        """Plan one tool call; arguments that are None are left out."""
        clean = {key: value for key, value in arguments.items() if value is not None}
        return cls("tools", [PlannedCall(tool, clean)], intent=intent)
