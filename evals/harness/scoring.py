"""Aggregate item results into the numbers the report shows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.harness.gold import CATEGORIES
from evals.harness.runner import ItemResult


@dataclass(frozen=True)
class Score:
    """A share of runs that passed one check, with the counts behind it."""

    passed: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {"passed": self.passed, "total": self.total, "rate": _round(rate)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _score(results: Iterable[ItemResult], check: Callable[[ItemResult], bool | None]) -> Score:
    outcomes = [check(result) for result in results]
    counted = [outcome for outcome in outcomes if outcome is not None]
    return Score(sum(1 for outcome in counted if outcome), len(counted))


@dataclass
class GroupScore:
    """The scores of one group of results (a category, a language, a workspace)."""

    name: str
    items: int
    overall: Score
    tool_calls: Score
    answers: Score
    pass_k: Score | None

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "accuracy": self.overall.to_json(),
            "tool_call_accuracy": self.tool_calls.to_json(),
            "answer_accuracy": self.answers.to_json(),
            "pass_k": self.pass_k.to_json() if self.pass_k else None,
        }


def group_score(name: str, results: Sequence[ItemResult], repeats: int) -> GroupScore:
    return GroupScore(
        name=name,
        items=len({result.id for result in results}),
        overall=_score(results, lambda r: r.passed),
        tool_calls=_score(results, lambda r: r.calls.ok),
        answers=_score(results, lambda r: r.facts_ok),
        pass_k=pass_k(results) if repeats > 1 else None,
    )


def pass_k(results: Sequence[ItemResult]) -> Score:
    """Items that passed on every one of their repeated runs (pass^k with k = the repeats)."""
    by_item: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_item[result.id].append(result.passed)
    return Score(sum(1 for runs in by_item.values() if all(runs)), len(by_item))


def percentile(values: Sequence[float], share: float) -> float | None:
    """Return the ``share`` quantile (0..1) by linear interpolation, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Summary:
    planner: str
    repeats: int
    overall: GroupScore
    categories: list[GroupScore]
    languages: list[GroupScore]
    workspaces: list[GroupScore]
    irrelevance: Score
    clarification: Score
    mutation_end_state: Score
    unintended_writes: list[str]
    recall_at_5: float | None
    mrr: float | None
    retrieval_items: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens_per_turn: float | None
    tokens_estimated: bool
    failures: list[dict[str, Any]] = field(default_factory=list)

    def category(self, name: str) -> GroupScore | None:
        return next((group for group in self.categories if group.name == name), None)


def summarise(results: Sequence[ItemResult], planner: str, repeats: int) -> Summary:
    """Compute every number of the report from the item results."""
    knowledge = [r for r in results if r.recall_at_5 is not None]
    latencies = [latency for r in results for latency in r.latencies_ms]
    with_tokens = [r for r in results if r.tokens is not None]
    return Summary(
        planner=planner,
        repeats=repeats,
        overall=group_score("all", results, repeats),
        categories=_groups(results, lambda r: r.category, repeats, CATEGORIES),
        languages=_groups(results, lambda r: r.language, repeats),
        workspaces=_groups(results, lambda r: r.workspace, repeats),
        irrelevance=_score(
            results, lambda r: r.calls.ok if r.expected_kind == "no_tool_call" else None
        ),
        clarification=_score(
            results, lambda r: r.calls.ok if r.expected_kind == "clarify" else None
        ),
        mutation_end_state=_score(results, lambda r: r.store_ok),
        unintended_writes=sorted(
            {f"{r.id} ({', '.join(r.unintended_tables)})" for r in results if r.unintended_tables}
        ),
        recall_at_5=_mean([r.recall_at_5 for r in knowledge]),
        mrr=_mean([r.reciprocal_rank for r in knowledge]),
        retrieval_items=len({r.id for r in knowledge}),
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        tokens_per_turn=(
            sum(r.tokens or 0 for r in with_tokens) / sum(r.turns for r in with_tokens)
            if with_tokens
            else None
        ),
        tokens_estimated=any(r.tokens_estimated for r in with_tokens),
        failures=[_failure(r) for r in results if not r.passed],
    )


def _mean(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None


def _groups(
    results: Sequence[ItemResult],
    key: Callable[[ItemResult], str],
    repeats: int,
    order: Sequence[str] = (),
) -> list[GroupScore]:
    grouped: dict[str, list[ItemResult]] = defaultdict(list)
    for result in results:
        grouped[key(result)].append(result)
    names = [name for name in order if name in grouped] + sorted(set(grouped) - set(order))
    return [group_score(name, grouped[name], repeats) for name in names]


def _failure(result: ItemResult) -> dict[str, Any]:
    reasons = []
    if result.error:
        reasons.append(f"crashed: {result.error}")
    if not result.calls.ok:
        reasons.append(result.calls.reason)
    if result.facts_ok is False:
        reasons.append(f"answer lacks {', '.join(str(fact) for fact in result.missing)}")
    failed_checks = [c for c in result.store_checks if not c.ok]
    for check in failed_checks:
        reasons.append(f"store {check.name} {check.values}: found {check.found!r}")
    if result.cited is False:
        reasons.append("cited none of the expected sources in its first five citations")
    if result.unintended_tables:
        reasons.append(f"wrote to {', '.join(result.unintended_tables)}")
    return {
        "id": result.id,
        "category": result.category,
        "language": result.language,
        "repeat": result.repeat,
        "reasons": reasons,
        "tool_calls": result.tool_calls,
        "answer": result.answer,
    }
