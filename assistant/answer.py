"""The answer contract: the one object every channel renders (``modelpilot ask --json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Language = Literal["en", "zh"]
PlannerName = Literal["rules", "llm", "none"]


@dataclass
class ToolCallView:
    name: str
    arguments: dict[str, Any]
    status: str  # ok, error, denied, needs_confirmation
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Chart:
    """Series for the console: ``series`` maps a label to (x, y) points."""

    kind: Literal["line", "bar"]
    title: str
    x_label: str
    y_label: str
    series: dict[str, list[tuple[Any, float]]]


@dataclass
class Answer:
    question: str
    answer: str
    language: Language
    planner: PlannerName
    tool_calls: list[ToolCallView] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    needs_confirmation: dict[str, Any] | None = None
    latency_ms: float = 0.0
    table: Table | None = None
    chart: Chart | None = None
    options: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the stable JSON contract, with ``table``, ``chart`` and ``options`` after it."""
        data = asdict(self)
        data["latency_ms"] = round(self.latency_ms, 1)
        return data
