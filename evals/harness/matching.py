"""BFCL-style AST matching of the tool calls an answer made against an item's expectation.

A call matches an expected call when the tool name is the same, every expected argument is
present with one of its accepted values (or absent, when "" is accepted), no other argument
is set to a value other than its default, and the resolved time window (read from the tool
result) equals the expected one. Arguments that only shape the output (``limit``, ``k``, the
free-text ``query``, a ``reason`` or ``comment``) are checked only when the item lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from evals.harness.gold import Expected, ExpectedCall, ExpectedWindow
from tools.clock import parse_instant
from tools.errors import ModelPilotError

# Checked only when the item lists them: they change how much is shown, not what is asked.
PRESENTATION_ARGUMENTS = frozenset({"limit", "k", "query", "reason", "comment", "granularity"})
PERIOD_ARGUMENTS = frozenset({"period", "start", "end"})
# Tools that only list names: a clarifying answer may look them up before it asks.
NAME_LISTING_TOOLS = frozenset(
    {"workspace_overview", "list_models", "list_experiments", "list_pipelines", "list_datasets"}
)
OMITTED = ""
# In an accepted list: any value, as long as the argument is given (ids the data makes up).
ANY_VALUE = "*"
WINDOW_TOLERANCE_S = 1.0
# Tools accept a run id prefix of at least this many characters for the whole id.
ID_PREFIX_MIN = 8
_HEX = re.compile(r"[0-9a-f]{16,64}")


@dataclass(frozen=True)
class ActualCall:
    """One tool call as the answer contract reports it."""

    name: str
    arguments: dict[str, Any]
    status: str
    result: dict[str, Any] | None
    mutating: bool


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


Defaults = Callable[[str], dict[str, Any]]


def match_expected(
    expected: Expected,
    calls: Sequence[ActualCall],
    answer_text: str,
    options: Sequence[str],
    defaults: Defaults,
) -> Verdict:
    """Score one answer's calls against the expectation of its item."""
    forbidden = [call.name for call in calls if call.name in expected.forbidden_tools]
    if forbidden:
        return Verdict(False, f"called the forbidden tool {forbidden[0]}")
    if expected.kind == "no_tool_call":
        if calls:
            return Verdict(False, f"expected no tool call, got {_names(calls)}")
        return Verdict(True)
    if expected.kind == "clarify":
        return _match_clarify(calls, answer_text, options)
    verdicts = [_match_calls(call_set, calls, defaults) for call_set in expected.call_sets]
    return next((verdict for verdict in verdicts if verdict.ok), verdicts[0])


def _names(calls: Sequence[ActualCall]) -> str:
    return ", ".join(call.name for call in calls) or "none"


def _match_clarify(
    calls: Sequence[ActualCall], answer_text: str, options: Sequence[str]
) -> Verdict:
    acting = [call for call in calls if call.name not in NAME_LISTING_TOOLS]
    if acting:
        return Verdict(False, f"expected a clarifying question, got {_names(acting)}")
    if not (options or "?" in answer_text or "？" in answer_text):
        return Verdict(False, "expected a clarifying question, got an answer without one")
    return Verdict(True)


def _match_calls(
    expected: Sequence[ExpectedCall], calls: Sequence[ActualCall], defaults: Defaults
) -> Verdict:
    unused = list(calls)
    for wanted in expected:
        reasons: list[str] = []
        for call in unused:
            verdict = match_call(wanted, call, defaults(call.name))
            if verdict.ok:
                unused.remove(call)
                break
            reasons.append(verdict.reason)
        else:
            detail = reasons[0] if reasons else f"no call at all (got {_names(calls)})"
            return Verdict(False, f"{wanted.name}: {detail}")
    extra_changes = [call.name for call in unused if call.mutating]
    if extra_changes:
        return Verdict(False, f"unexpected change requested: {', '.join(extra_changes)}")
    return Verdict(True)


def match_call(wanted: ExpectedCall, call: ActualCall, defaults: dict[str, Any]) -> Verdict:
    """Match one actual call against one expected call."""
    if call.name != wanted.name:
        return Verdict(False, f"called {call.name} instead")
    for name, accepted in wanted.arguments.items():
        if name in PERIOD_ARGUMENTS and wanted.window is not None:
            continue
        value = call.arguments.get(name)
        if not _accepts(accepted, value, defaults.get(name)):
            return Verdict(False, f"argument {name}={value!r} is not one of {accepted!r}")
    for name, value in call.arguments.items():
        if name in wanted.arguments or name in PRESENTATION_ARGUMENTS:
            continue
        if name in PERIOD_ARGUMENTS and wanted.window is not None:
            continue
        if not _is_omitted(value, defaults.get(name)):
            return Verdict(False, f"unexpected argument {name}={value!r}")
    if wanted.window is not None:
        return _match_window(wanted.window, call)
    return Verdict(True)


def _is_omitted(value: Any, default: Any) -> bool:
    return value is None or value == default or value in ("", [], {})


def _accepts(accepted: Sequence[Any], value: Any, default: Any) -> bool:
    if _is_omitted(value, default):
        if OMITTED in accepted:
            return True
        value = default
    elif ANY_VALUE in accepted:
        return True
    return any(_same(option, value) for option in accepted if not _is_blank(option))


def _is_blank(option: Any) -> bool:
    return isinstance(option, str) and option in (OMITTED, ANY_VALUE)


def _same(expected: Any, actual: Any) -> bool:
    """Compare values loosely: strings without case or edge spaces, a run id with its prefix
    of 8 or more characters, numbers as numbers, lists as unordered collections."""
    if isinstance(expected, list) and isinstance(actual, list):
        return _same_collection(expected, actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) < 1e-9
    if isinstance(expected, str) and isinstance(actual, str):
        left, right = expected.strip().casefold(), actual.strip().casefold()
        return left == right or _is_id_prefix(right, left)
    if isinstance(expected, int | float) and isinstance(actual, str):
        return actual.strip() == str(expected)
    return bool(expected == actual)


def _same_collection(expected: list[Any], actual: list[Any]) -> bool:
    """Match each expected element to a different actual one, in any order.

    An expected element that is itself a list accepts any of its values (a run's name or id).
    """
    if len(expected) != len(actual):
        return False
    remaining = list(actual)
    for element in expected:
        options = element if isinstance(element, list) else [element]
        found = next((a for a in remaining if any(_same(o, a) for o in options)), None)
        if found is None:
            return False
        remaining.remove(found)
    return True


def _is_id_prefix(prefix: str, full: str) -> bool:
    return (
        len(prefix) >= ID_PREFIX_MIN < len(full)
        and full.startswith(prefix)
        and _HEX.fullmatch(full) is not None
    )


RUN_ARGUMENTS = frozenset({"run", "runs", "run_id"})


def with_run_ids(expected: Expected, ids_by_name: Mapping[str, Sequence[str]]) -> Expected:
    """Let a run named in the expectation also be given by its id.

    Gold items name runs; a planner may pass the id it found instead. The ids differ between
    builds of a workspace, so they are looked up when the item runs.
    """

    def widen(value: Any) -> Any:
        if isinstance(value, str) and value in ids_by_name:
            return [value, *ids_by_name[value]]
        if isinstance(value, list):
            return [element if isinstance(element, list) else widen(element) for element in value]
        return value

    def widen_call(call: ExpectedCall) -> ExpectedCall:
        arguments = {
            name: [widen_option(name, option) for option in accepted]
            for name, accepted in call.arguments.items()
        }
        return replace(call, arguments=arguments)

    def widen_option(name: str, option: Any) -> Any:
        if name not in RUN_ARGUMENTS:
            return option
        if isinstance(option, list):
            return widen(option)
        return option

    def widen_scalar_options(call: ExpectedCall) -> ExpectedCall:
        arguments = dict(call.arguments)
        for name in RUN_ARGUMENTS & set(arguments):
            extra = [
                i for o in arguments[name] if isinstance(o, str) for i in ids_by_name.get(o, [])
            ]
            arguments[name] = [*arguments[name], *extra]
        return replace(call, arguments=arguments)

    def widen_set(calls: tuple[ExpectedCall, ...]) -> tuple[ExpectedCall, ...]:
        return tuple(widen_scalar_options(widen_call(call)) for call in calls)

    return replace(
        expected,
        calls=widen_set(expected.calls),
        alternatives=tuple(widen_set(calls) for calls in expected.alternatives),
    )


def resolved_window(result: dict[str, Any] | None) -> tuple[str | None, str | None] | None:
    """Read the window a tool resolved from its result (``window`` or ``window_start/_end``)."""
    if not result:
        return None
    window = result.get("window")
    if isinstance(window, dict):
        return window.get("start"), window.get("end")
    if "window_start" in result or "window_end" in result:
        return result.get("window_start"), result.get("window_end")
    return None


def _match_window(wanted: ExpectedWindow, call: ActualCall) -> Verdict:
    found = resolved_window(call.result)
    if found is None:
        return Verdict(False, f"the {call.name} result has no resolved time window")
    for side, expected_value, actual_value in (
        ("start", wanted.start, found[0]),
        ("end", wanted.end, found[1]),
    ):
        if not _same_instant(expected_value, actual_value):
            return Verdict(False, f"window {side} is {actual_value}, expected {expected_value}")
    return Verdict(True)


def _same_instant(expected: str | None, actual: str | None) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    try:
        left: datetime = parse_instant(expected)
        right: datetime = parse_instant(actual)
    except ModelPilotError:
        return False
    return abs((left - right).total_seconds()) <= WINDOW_TOLERANCE_S
