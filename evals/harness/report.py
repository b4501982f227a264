"""Write an eval run as Markdown (into docs/evals.md) and as JSON (evals/results/latest.json).

The Markdown goes between two marker lines of docs/evals.md, so the hand-written parts of
that page (what the evals measure, the history of planner changes) survive every run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.harness.runner import ItemResult
from evals.harness.scoring import GroupScore, Score, Summary

START_MARKER = "<!-- eval-report:start -->"
END_MARKER = "<!-- eval-report:end -->"
FAILURES_SHOWN = 80


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run itself, printed above the scores."""

    started_at: str
    seconds: float
    items: int
    gold_files: list[str]
    build_seconds: dict[str, float]


def _rate(score: Score | None) -> str:
    if score is None or score.rate is None:
        return "–"
    return f"{score.rate:.1%} ({score.passed}/{score.total})"


def _number(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _group_rows(groups: list[GroupScore], with_pass_k: bool) -> list[str]:
    header = "| group | items | accuracy | tool calls | answer facts |"
    rule = "|---|---:|---:|---:|---:|"
    if with_pass_k:
        header += " pass^k |"
        rule += "---:|"
    rows = [header, rule]
    for group in groups:
        row = (
            f"| {group.name} | {group.items} | {_rate(group.overall)} | "
            f"{_rate(group.tool_calls)} | {_rate(group.answers)} |"
        )
        if with_pass_k:
            row += f" {_rate(group.pass_k)} |"
        rows.append(row)
    return rows


def markdown_report(summary: Summary, info: RunInfo) -> str:
    """Return the generated part of docs/evals.md for one run."""
    pass_k = summary.repeats > 1
    builds = ", ".join(
        f"{name} {seconds:.0f} s" if seconds else f"{name} reused from --cache-dir"
        for name, seconds in info.build_seconds.items()
    )
    tokens = _number(summary.tokens_per_turn, digits=0)
    if summary.tokens_estimated and summary.tokens_per_turn is not None:
        tokens += " (estimated: 4 characters per token)"
    lines = [
        f"Run of {info.started_at} with `--planner {summary.planner}`"
        f"{f' --repeat {summary.repeats}' if pass_k else ''}: {info.items} items from "
        f"{', '.join(info.gold_files)}, {info.seconds:.0f} s in all "
        f"(workspace builds: {builds or 'none'}).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| overall accuracy (every check of an item passes) | {_rate(summary.overall.overall)} |",
        f"| tool-call accuracy (BFCL-style AST match) | {_rate(summary.overall.tool_calls)} |",
        f"| answer correctness (required facts stated) | {_rate(summary.overall.answers)} |",
        f"| irrelevance (no tool call when none fits) | {_rate(summary.irrelevance)} |",
        f"| clarification (asks back instead of guessing) | {_rate(summary.clarification)} |",
        f"| mutation end state | {_rate(summary.mutation_end_state)} |",
        f"| unintended writes (items that changed the store unasked) | "
        f"{len(summary.unintended_writes)} |",
        f"| knowledge recall@5 / MRR ({summary.retrieval_items} items) | "
        f"{_number(summary.recall_at_5, digits=3)} / {_number(summary.mrr, digits=3)} |",
        f"| latency p50 / p95 per turn | {_number(summary.latency_p50_ms, ' ms')} / "
        f"{_number(summary.latency_p95_ms, ' ms')} |",
        f"| tokens per turn | {tokens} |",
    ]
    if pass_k:
        lines.append(f"| pass^{summary.repeats} | {_rate(summary.overall.pass_k)} |")
    weakest = sorted(
        (g for g in summary.categories if g.overall.rate is not None),
        key=lambda g: (g.overall.rate or 0.0, g.name),
    )
    lines += ["", "Per category, weakest first:", ""]
    lines += _group_rows(weakest, pass_k)
    lines += ["", "Per language and workspace:", ""]
    lines += _group_rows(summary.languages + summary.workspaces, pass_k)
    if summary.unintended_writes:
        lines += ["", "Unintended writes: " + "; ".join(summary.unintended_writes)]
    lines += ["", f"Failed items ({len(summary.failures)}):", ""]
    for failure in summary.failures[:FAILURES_SHOWN]:
        reasons = "; ".join(failure["reasons"]).replace("|", "\\|").replace("\n", " ")
        lines.append(f"- `{failure['id']}` ({failure['category']}): {reasons}")
    if len(summary.failures) > FAILURES_SHOWN:
        lines.append(
            f"- … {len(summary.failures) - FAILURES_SHOWN} more in evals/results/latest.json"
        )
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, generated: str) -> None:
    """Replace the text between the markers of ``path``, or create the page around it."""
    block = f"{START_MARKER}\n{generated}{END_MARKER}"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if START_MARKER in text and END_MARKER in text:
            head, rest = text.split(START_MARKER, 1)
            tail = rest.split(END_MARKER, 1)[1]
            path.write_text(head + block + tail, encoding="utf-8")
            return
        path.write_text(text.rstrip() + "\n\n## Latest run\n\n" + block + "\n", encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Evals\n\n## Latest run\n\n{block}\n", encoding="utf-8")


def json_report(summary: Summary, info: RunInfo, results: list[ItemResult]) -> dict[str, Any]:
    """The whole run as JSON: the summary, then every item result."""

    def group(g: GroupScore) -> dict[str, Any]:
        return {"name": g.name, **g.to_json()}

    return {
        "run": {
            "started_at": info.started_at,
            "seconds": round(info.seconds, 1),
            "planner": summary.planner,
            "repeats": summary.repeats,
            "items": info.items,
            "gold_files": info.gold_files,
            "build_seconds": {k: round(v, 1) for k, v in info.build_seconds.items()},
        },
        "overall": group(summary.overall),
        "categories": [group(g) for g in summary.categories],
        "languages": [group(g) for g in summary.languages],
        "workspaces": [group(g) for g in summary.workspaces],
        "irrelevance": summary.irrelevance.to_json(),
        "clarification": summary.clarification.to_json(),
        "mutation_end_state": summary.mutation_end_state.to_json(),
        "unintended_writes": summary.unintended_writes,
        "retrieval": {
            "items": summary.retrieval_items,
            "recall_at_5": summary.recall_at_5,
            "mrr": summary.mrr,
        },
        "latency_ms": {"p50": summary.latency_p50_ms, "p95": summary.latency_p95_ms},
        "tokens_per_turn": summary.tokens_per_turn,
        "tokens_estimated": summary.tokens_estimated,
        "results": [_result_json(r) for r in results],
    }


def _result_json(result: ItemResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "category": result.category,
        "language": result.language,
        "workspace": result.workspace,
        "repeat": result.repeat,
        "passed": result.passed,
        "tool_calls_ok": result.calls.ok,
        "tool_calls_reason": result.calls.reason,
        "facts_ok": result.facts_ok,
        "missing_facts": result.missing,
        "store_ok": result.store_ok,
        "store_checks": [
            {"name": c.name, "values": c.values, "ok": c.ok, "found": str(c.found)}
            for c in result.store_checks
        ],
        "unintended_tables": result.unintended_tables,
        "recall_at_5": result.recall_at_5,
        "reciprocal_rank": result.reciprocal_rank,
        "latencies_ms": [round(latency, 1) for latency in result.latencies_ms],
        "tokens": result.tokens,
        "tool_calls": result.tool_calls,
        "answer": result.answer,
        "error": result.error,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
