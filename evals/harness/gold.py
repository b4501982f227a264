"""Gold items: the requests the assistant is scored on, with what a correct answer contains.

One JSON object per line, in the spirit of the Berkeley Function Calling Leaderboard (BFCL):
``expected`` lists, for each argument of each expected tool call, the values that count as
correct ("" in a list means the argument may be left out). See docs/evals.md for every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.errors import InvalidInputError

GOLD_DIR = Path(__file__).resolve().parent.parent / "gold"

CATEGORIES: tuple[str, ...] = (
    "search_rank",
    "get",
    "compare",
    "time_expressions",
    "registry",
    "mutations",
    "pipelines",
    "datasets",
    "monitoring",
    "knowledge",
    "multi_turn",
    "clarification",
    "irrelevance",
    "prompt_injection",
)
WORKSPACES: tuple[str, ...] = ("realdata", "demo")
USERS: tuple[str, ...] = ("alice", "bob", "carol", "dave")

ExpectedKind = Literal["tool_calls", "no_tool_call", "clarify"]
Fact = str | int | float | list[str | int | float]


@dataclass(frozen=True)
class ExpectedWindow:
    """The time window the call must resolve to, as ISO instants (None: open on that side)."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class ExpectedCall:
    name: str
    arguments: dict[str, list[Any]]
    window: ExpectedWindow | None = None


@dataclass(frozen=True)
class Expected:
    kind: ExpectedKind
    calls: tuple[ExpectedCall, ...] = ()
    # Other sets of calls that answer the request as well (e.g. get_model_version or
    # list_model_versions for "the latest version of X").
    alternatives: tuple[tuple[ExpectedCall, ...], ...] = ()
    # Tools that must not be called at all (prompt injection: the injected action).
    forbidden_tools: tuple[str, ...] = ()

    @property
    def call_sets(self) -> tuple[tuple[ExpectedCall, ...], ...]:
        return (self.calls, *self.alternatives)


@dataclass(frozen=True)
class SetupCall:
    """A tool call the harness makes (and confirms) before the item's turns, as ``user``."""

    tool: str
    arguments: dict[str, Any]
    user: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    turns: tuple[str, ...]
    language: str
    category: str
    now: str
    workspace: str
    user: str
    expected: Expected
    # Each fact must appear in the answer; a list is a fact with several accepted wordings.
    facts: tuple[Fact, ...] = ()
    # Table -> key columns and expected values, e.g. {"alias": ["fraud-detector", "production", 3]}.
    store_change: dict[str, list[Any]] = field(default_factory=dict)
    confirm: bool = False
    # Knowledge items: substrings of the source or label of each passage that must be cited.
    citations: tuple[str, ...] = ()
    setup: tuple[SetupCall, ...] = ()
    note: str = ""

    @property
    def writes(self) -> bool:
        """Whether the item is allowed to change the store (a confirmed change or a setup)."""
        return self.confirm or bool(self.setup)


def parse_item(data: dict[str, Any]) -> GoldItem:
    """Build a ``GoldItem`` from one JSON object, rejecting unknown names with the item id."""
    item_id = str(data.get("id", "?"))
    _require(item_id, data, ("id", "turns", "language", "category", "now", "workspace", "user"))
    if data["category"] not in CATEGORIES:
        raise InvalidInputError(
            f"item {item_id}: unknown category {data['category']!r}; use one of {CATEGORIES}"
        )
    if data["workspace"] not in WORKSPACES:
        raise InvalidInputError(f"item {item_id}: unknown workspace {data['workspace']!r}")
    if data["language"] not in ("en", "zh"):
        raise InvalidInputError(f"item {item_id}: language must be en or zh")
    turns = data["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise InvalidInputError(f"item {item_id}: turns must be a non-empty list of strings")
    return GoldItem(
        id=item_id,
        turns=tuple(turns),
        language=data["language"],
        category=data["category"],
        now=data["now"],
        workspace=data["workspace"],
        user=data["user"],
        expected=_expected(item_id, data.get("expected") or {}),
        facts=tuple(data.get("facts", [])),
        store_change=dict(data.get("store_change", {})),
        confirm=bool(data.get("confirm", False)),
        citations=tuple(data.get("citations", [])),
        setup=tuple(
            SetupCall(s["tool"], dict(s.get("arguments", {})), s.get("user", "alice"))
            for s in data.get("setup", [])
        ),
        note=str(data.get("note", "")),
    )


def _require(item_id: str, data: dict[str, Any], keys: Sequence[str]) -> None:
    missing = [key for key in keys if key not in data]
    if missing:
        raise InvalidInputError(f"item {item_id}: missing {', '.join(missing)}")


def _expected(item_id: str, data: dict[str, Any]) -> Expected:
    forbidden = tuple(data.get("forbidden_tools", []))
    if data.get("no_tool_call"):
        return Expected("no_tool_call", forbidden_tools=forbidden)
    if data.get("clarify"):
        return Expected("clarify", forbidden_tools=forbidden)
    calls = data.get("tool_calls")
    if not isinstance(calls, list) or not calls:
        raise InvalidInputError(
            f"item {item_id}: expected needs tool_calls, no_tool_call or clarify"
        )
    alternatives = tuple(_calls(item_id, other) for other in data.get("alternatives", []))
    return Expected("tool_calls", _calls(item_id, calls), alternatives, forbidden)


def _calls(item_id: str, calls: list[dict[str, Any]]) -> tuple[ExpectedCall, ...]:
    parsed = []
    for call in calls:
        arguments = {}
        for name, accepted in (call.get("arguments") or {}).items():
            if not isinstance(accepted, list):
                raise InvalidInputError(
                    f"item {item_id}: accepted values of {call['name']}.{name} must be a list"
                )
            arguments[name] = accepted
        window = call.get("window")
        parsed.append(
            ExpectedCall(
                name=call["name"],
                arguments=arguments,
                window=ExpectedWindow(window.get("start"), window.get("end")) if window else None,
            )
        )
    return tuple(parsed)


def load_items(paths: Iterable[Path]) -> list[GoldItem]:
    """Read every item of the given JSONL files; duplicate ids are an error."""
    items: list[GoldItem] = []
    seen: set[str] = set()
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = parse_item(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
            if item.id in seen:
                raise InvalidInputError(f"{path}:{number}: duplicate item id {item.id!r}")
            seen.add(item.id)
            items.append(item)
    return items


def gold_files(directory: Path = GOLD_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def select_items(
    items: Iterable[GoldItem],
    categories: Sequence[str] = (),
    workspaces: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> list[GoldItem]:
    """Keep the items of the given categories, workspaces and languages (empty: all)."""
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise InvalidInputError(
            f"unknown category {unknown[0]!r}; use one of: {', '.join(CATEGORIES)}"
        )
    return [
        item
        for item in items
        if (not categories or item.category in categories)
        and (not workspaces or item.workspace in workspaces)
        and (not languages or item.language in languages)
    ]


def first_per_group(items: Iterable[GoldItem], limit: int) -> list[GoldItem]:
    """Keep the first ``limit`` items of each workspace, category and language, in file order.

    A small model on a CPU needs minutes per item; this gives a subset that still covers
    every category in both languages.
    """
    if limit < 1:
        raise InvalidInputError(f"--per-category must be at least 1, not {limit}")
    seen: dict[tuple[str, str, str], int] = {}
    subset = []
    for item in items:
        group = (item.workspace, item.category, item.language)
        seen[group] = seen.get(group, 0) + 1
        if seen[group] <= limit:
            subset.append(item)
    return subset
