"""``modelpilot eval``: score the assistant on the gold set and write the report."""

from __future__ import annotations

from pathlib import Path

import typer

from evals.harness import DEFAULT_JSON, DEFAULT_MARKDOWN, EvalOptions, run_eval, write_reports
from evals.harness.floor import record_floor
from evals.harness.gold import CATEGORIES
from evals.harness.routing import PLANNER_MODES, PlannerMode
from evals.harness.runner import ItemResult
from tools.errors import InvalidInputError


def eval_command(
    planner: str = typer.Option(
        "rules",
        "--planner",
        help="rules (no LLM), llm (always the LLM agent) or hybrid (the product's routing).",
    ),
    category: list[str] = typer.Option(
        [],
        "--category",
        "-c",
        help=f"Only this category; repeatable. One of: {', '.join(CATEGORIES)}.",
    ),
    workspace: list[str] = typer.Option(
        [], "--workspace", "-w", help="Only realdata or demo items; repeatable."
    ),
    language: list[str] = typer.Option([], "--language", help="Only en or zh items; repeatable."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder for evals.md and latest.json "
        "(default: docs/evals.md and evals/results/latest.json).",
    ),
    repeat: int = typer.Option(1, "--repeat", help="Run every item K times and report pass^K."),
    per_category: int | None = typer.Option(
        None,
        "--per-category",
        help="Only the first N items of each workspace, category and language "
        "(a subset for slow local models).",
    ),
    gold: list[Path] = typer.Option(
        [], "--gold", help="Gold JSONL files (default: every file in evals/gold)."
    ),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help="Keep built workspaces here and reuse them on the next run (development only).",
    ),
    verbose_items: bool = typer.Option(
        False, "--progress", help="Print one line per item as it finishes."
    ),
    record: bool = typer.Option(
        False,
        "--record-floor",
        help="Raise evals/floor.json to this run's accuracy per workspace (rules planner only).",
    ),
) -> None:
    """Run the gold set through the assistant and write the Markdown and JSON reports."""
    if planner not in PLANNER_MODES:
        raise InvalidInputError(f"unknown planner {planner!r}; use rules, llm or hybrid")
    mode: PlannerMode = planner  # type: ignore[assignment]
    options = EvalOptions(
        mode,
        tuple(category),
        tuple(workspace),
        tuple(language),
        repeat,
        tuple(gold),
        cache_dir,
        per_category,
    )
    run = run_eval(options, progress=_print_item if verbose_items else None)
    markdown, json_path = (
        (out / "evals.md", out / "latest.json") if out else (DEFAULT_MARKDOWN, DEFAULT_JSON)
    )
    write_reports(run, markdown, json_path)
    overall = run.summary.overall
    typer.echo(
        f"{run.info.items} items, planner {mode}: accuracy {_percent(overall.overall.rate)}, "
        f"tool calls {_percent(overall.tool_calls.rate)}, "
        f"answers {_percent(overall.answers.rate)}, "
        f"unintended writes {len(run.summary.unintended_writes)}"
    )
    for group in sorted(run.summary.categories, key=lambda g: g.overall.rate or 0.0):
        typer.echo(f"  {group.name:<18} {_percent(group.overall.rate):>7}  ({group.items} items)")
    typer.echo(f"report: {markdown}, {json_path}")
    if record:
        raised = record_floor(run.summary)
        for name, accuracy in raised.items():
            typer.echo(f"floor of {name} raised to {accuracy:.2%}")
        if not raised:
            typer.echo("floor unchanged: no workspace beat its recorded accuracy")


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _print_item(result: ItemResult) -> None:
    mark = "pass" if result.passed else "FAIL"
    typer.echo(f"{mark} {result.id} ({result.category})", err=True)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
