"""Run gold items through ``Assistant.ask`` (and ``.confirm``) and score each one."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text as sql_text

from assistant.answer import Answer
from evals.harness.facts import missing_facts
from evals.harness.gold import GoldItem
from evals.harness.matching import ActualCall, Verdict, match_expected, with_run_ids
from evals.harness.retrieval import citation_scores
from evals.harness.routing import PlannerMode, TokenCounter, make_assistant
from evals.harness.snapshot import (
    ChangeCheck,
    Fingerprint,
    all_ok,
    changed_tables,
    check_store_change,
    fingerprint,
)
from evals.harness.workspaces import WorkspaceCopy, WorkspacePool
from tools.governance import Actor, Governor
from tools.tool_registry import REGISTRY

log = logging.getLogger(__name__)

CHANNEL = "eval"
ANSWER_CHARS_KEPT = 600


@dataclass
class ItemResult:
    """The outcome of one run of one item; ``passed`` needs every applicable check to pass."""

    id: str
    category: str
    language: str
    workspace: str
    repeat: int
    calls: Verdict
    expected_kind: str = "tool_calls"
    turns: int = 1
    missing: list[Any] = field(default_factory=list)
    has_facts: bool = False
    store_checks: list[ChangeCheck] = field(default_factory=list)
    unintended_tables: list[str] = field(default_factory=list)
    recall_at_5: float | None = None
    reciprocal_rank: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    tokens: int | None = None
    tokens_estimated: bool = False
    answer: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def facts_ok(self) -> bool | None:
        return (not self.missing) if self.has_facts else None

    @property
    def store_ok(self) -> bool | None:
        return all_ok(self.store_checks) if self.store_checks else None

    @property
    def cited(self) -> bool | None:
        """Whether a knowledge answer cited a relevant source in its first five citations."""
        return None if self.reciprocal_rank is None else self.reciprocal_rank > 0

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and self.calls.ok
            and self.facts_ok is not False
            and self.store_ok is not False
            and self.cited is not False
            and not self.unintended_tables
        )


def tool_defaults(name: str) -> dict[str, Any]:
    """Default argument values of a registered tool; empty for a tool that does not exist."""
    if name not in REGISTRY.names():
        return {}
    fields = REGISTRY.get(name).args_model.model_fields
    return {
        key: info.get_default(call_default_factory=True)
        for key, info in fields.items()
        if not info.is_required()
    }


def _is_mutating(name: str) -> bool:
    return name in REGISTRY.names() and REGISTRY.get(name).mutating


def run_ids_by_name(copy: WorkspaceCopy) -> dict[str, list[str]]:
    """Run ids of each run name in the copy's store, so a run named in an item matches its id."""
    with copy.store.connection() as connection:
        rows = connection.execute(sql_text("SELECT name, id FROM run WHERE name IS NOT NULL"))
        ids: dict[str, list[str]] = {}
        for name, run_id in rows:
            ids.setdefault(str(name), []).append(str(run_id))
    return ids


def shown_text(answer: Answer) -> str:
    """Return the text the user is shown: the answer and, below it, its table's columns and rows."""
    if answer.table is None:
        return answer.answer
    lines = [answer.answer, " | ".join(answer.table.columns)]
    lines += [" | ".join(str(cell) for cell in row) for row in answer.table.rows]
    return "\n".join(lines)


def actual_calls(answer: Answer) -> list[ActualCall]:
    return [
        ActualCall(call.name, call.arguments, call.status, call.result, _is_mutating(call.name))
        for call in answer.tool_calls
    ]


@contextmanager
def item_environment(copy: WorkspaceCopy, now: str) -> Iterator[None]:
    """Point the environment at the item's workspace and pin its "now" for the block.

    The assistant gets its settings passed in; the environment covers code that reads
    ``get_settings()`` or ``tools.clock.now()`` on its own.
    """
    names = ("MODELPILOT_HOME", "MODELPILOT_NOW", "MODELPILOT_STORE_URL")
    previous = {name: os.environ.get(name) for name in names}
    os.environ["MODELPILOT_HOME"] = str(copy.home)
    os.environ["MODELPILOT_NOW"] = now
    os.environ.pop("MODELPILOT_STORE_URL", None)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_setup(item: GoldItem, copy: WorkspaceCopy) -> None:
    governor = Governor(copy.store, copy.settings)
    for setup in item.setup:
        actor = Actor(setup.user, "eval-setup")
        outcome = governor.invoke(setup.tool, setup.arguments, actor)
        if outcome.status == "needs_confirmation" and outcome.confirmation is not None:
            outcome = governor.confirm(outcome.confirmation.token, actor)
        if outcome.status != "ok":
            problem = outcome.error or outcome.status
            raise RuntimeError(f"setup call {setup.tool} of item {item.id} failed: {problem}")


def run_turns(
    item: GoldItem,
    copy: WorkspaceCopy,
    mode: PlannerMode,
    counter: TokenCounter | None,
    repeat: int,
) -> tuple[Answer, list[float]]:
    """Ask every turn in one conversation, confirm if the item says to, return the last answer."""
    assistant = make_assistant(copy.settings, copy.store, mode, counter)
    actor = Actor(item.user, CHANNEL)
    conversation = f"{item.id}#{repeat}"
    latencies: list[float] = []
    answer: Answer | None = None
    for turn in item.turns:
        answer = assistant.ask(turn, actor, conversation)
        latencies.append(answer.latency_ms)
    assert answer is not None
    if item.confirm and answer.needs_confirmation:
        confirmed = assistant.confirm(answer.needs_confirmation["token"], actor, conversation)
        answer.answer = f"{answer.answer}\n{confirmed.answer}"
    return answer, latencies


def score_item(
    item: GoldItem,
    copy: WorkspaceCopy,
    mode: PlannerMode,
    repeat: int,
    before: Fingerprint,
) -> tuple[ItemResult, Fingerprint]:
    """Run one item on ``copy`` and score it; return the result and the store's new fingerprint."""
    counter = TokenCounter() if mode != "rules" else None
    result = ItemResult(
        item.id,
        item.category,
        item.language,
        item.workspace,
        repeat,
        Verdict(False, "not run"),
        expected_kind=item.expected.kind,
        turns=len(item.turns),
    )
    try:
        if item.setup:
            _run_setup(item, copy)
            before = fingerprint(copy.store)
        answer, result.latencies_ms = run_turns(item, copy, mode, counter, repeat)
    except Exception as exc:  # a crash in the product is scored as a failed item
        log.exception("eval item %s crashed", item.id)
        result.error = f"{type(exc).__name__}: {exc}"
        after = fingerprint(copy.store)
        if not item.confirm:
            result.unintended_tables = changed_tables(before, after)
        return result, after
    calls = actual_calls(answer)
    shown = shown_text(answer)
    expected = with_run_ids(item.expected, run_ids_by_name(copy))
    result.calls = match_expected(expected, calls, answer.answer, answer.options, tool_defaults)
    result.answer = shown[:ANSWER_CHARS_KEPT]
    result.tool_calls = [
        {"name": c.name, "arguments": _shown(c.arguments), "status": c.status} for c in calls
    ]
    result.has_facts = bool(item.facts)
    result.missing = missing_facts(item.facts, shown)
    if item.citations:
        result.recall_at_5, result.reciprocal_rank = citation_scores(
            item.citations, answer.citations
        )
    if counter is not None and counter.requests:
        result.tokens = counter.total
        result.tokens_estimated = counter.estimated
    after = fingerprint(copy.store)
    if item.store_change:
        result.store_checks = check_store_change(copy.store, item.store_change)
    if not item.confirm:
        result.unintended_tables = changed_tables(before, after)
    return result, after


def _shown(arguments: dict[str, Any]) -> dict[str, Any]:
    """Return the arguments that carry information (None and empty values left out)."""
    return {k: v for k, v in arguments.items() if v not in (None, "", [], {})}


Progress = Callable[[ItemResult], None]


def run_items(
    items: Sequence[GoldItem],
    pool: WorkspacePool,
    mode: PlannerMode,
    repeats: int = 1,
    progress: Progress | None = None,
) -> list[ItemResult]:
    """Run every item ``repeats`` times.

    Read-only items share one copy of their workspace; items that may write get their own.
    """
    results: list[ItemResult] = []
    fingerprints: dict[str, Fingerprint] = {}
    ordered = sorted(items, key=lambda i: (i.workspace != "realdata", i.workspace))
    for repeat in range(repeats):
        for item in ordered:
            started = time.perf_counter()
            if item.writes:
                result = _run_private(item, pool, mode, repeat)
            else:
                result = _run_shared(item, pool, mode, repeat, fingerprints)
            log.debug("eval item %s took %.2f s", item.id, time.perf_counter() - started)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


def _run_private(item: GoldItem, pool: WorkspacePool, mode: PlannerMode, repeat: int) -> ItemResult:
    with pool.private(item.workspace, item.id) as copy, item_environment(copy, item.now):
        result, _ = score_item(item, copy, mode, repeat, fingerprint(copy.store))
    return result


def _run_shared(
    item: GoldItem,
    pool: WorkspacePool,
    mode: PlannerMode,
    repeat: int,
    fingerprints: dict[str, Fingerprint],
) -> ItemResult:
    copy = pool.shared(item.workspace)
    with item_environment(copy, item.now):
        before = fingerprints.get(item.workspace) or fingerprint(copy.store)
        result, after = score_item(item, copy, mode, repeat, before)
    if result.unintended_tables:
        log.warning("eval item %s wrote to %s", item.id, ", ".join(result.unintended_tables))
        pool.discard_shared(item.workspace)
        fingerprints.pop(item.workspace, None)
    else:
        fingerprints[item.workspace] = after
    return result
