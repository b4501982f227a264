"""The eval harness end to end on a small workspace built in the test, and its CLI command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.harness.floor import floor_accuracy, record_floor
from evals.harness.gold import load_items
from evals.harness.report import (
    END_MARKER,
    START_MARKER,
    RunInfo,
    markdown_report,
    write_markdown,
)
from evals.harness.runner import run_items
from evals.harness.scoring import summarise
from evals.harness.workspaces import (
    DOCUMENTS_MARKER,
    READY_MARKER,
    BuiltWorkspace,
    WorkspacePool,
    workspace_settings,
)
from tests.factories import add_experiment, add_model_version, add_run, add_user
from tools.errors import InvalidInputError
from tools.store.db import open_store
from ui.cli import app

NOW = "2026-12-04T10:30:00Z"


def _build_small_workspace(home: Path) -> None:
    store = open_store(workspace_settings(home))
    vision = add_experiment(store, "digits-vision", task="image-classification")
    svc = add_run(store, vision, "svc-rbf", datetime(2026, 11, 20, tzinfo=UTC), {"accuracy": 0.981})
    forest = add_run(
        store, vision, "rf-200", datetime(2026, 10, 2, tzinfo=UTC), {"accuracy": 0.962}
    )
    add_model_version(store, "image-classifier", 1, forest, "image-classification", ("production",))
    add_model_version(store, "image-classifier", 2, svc, "image-classification")
    for name, role in (("bob", "approver"), ("dave", "viewer")):
        add_user(store, name, role)
    store.release()
    (home / READY_MARKER).write_text("test\n")
    (home / DOCUMENTS_MARKER).write_text("test\n")


def _item(item_id: str, turns: list[str], expected: dict, **extra: object) -> dict:
    return {
        "id": item_id,
        "turns": turns,
        "language": "en",
        "category": extra.pop("category", "search_rank"),
        "now": NOW,
        "workspace": "realdata",
        "user": extra.pop("user", "dave"),
        "expected": expected,
        **extra,
    }


ITEMS = [
    _item(
        "best",
        ["best run in experiment digits-vision by accuracy"],
        {
            "tool_calls": [
                {
                    "name": "search_runs",
                    "arguments": {
                        "experiment": ["digits-vision"],
                        "metric": ["accuracy"],
                        "order": ["", "max"],
                    },
                }
            ]
        },
        facts=[0.981, "svc-rbf"],
    ),
    _item(
        "wrong-fact",
        ["best run in experiment digits-vision by accuracy"],
        {
            "tool_calls": [
                {
                    "name": "search_runs",
                    "arguments": {"experiment": ["digits-vision"], "metric": ["accuracy"]},
                }
            ]
        },
        facts=[0.5],
    ),
    _item(
        "promote",
        ["set the production alias of image-classifier to version 2"],
        {
            "tool_calls": [
                {
                    "name": "set_alias",
                    "arguments": {
                        "model": ["image-classifier"],
                        "alias": ["production"],
                        "version": [2],
                    },
                }
            ]
        },
        category="mutations",
        user="bob",
        confirm=True,
        store_change={"alias": ["image-classifier", "production", 2]},
    ),
    _item(
        "still-v1",
        ["which version of image-classifier is in production?"],
        {
            "tool_calls": [
                {
                    "name": "get_deployments",
                    "arguments": {"model": ["image-classifier"], "environment": ["", "production"]},
                }
            ],
            "alternatives": [
                [
                    {
                        "name": "get_model_version",
                        "arguments": {"model": ["image-classifier"], "alias": ["production"]},
                    }
                ],
                [
                    {
                        "name": "alias_history",
                        "arguments": {"model": ["image-classifier"], "alias": ["", "production"]},
                    }
                ],
            ],
        },
        category="registry",
        store_change={"alias": ["image-classifier", "production", 1]},
    ),
    _item(
        "weather", ["what's the weather in Paris?"], {"no_tool_call": True}, category="irrelevance"
    ),
]


@pytest.fixture
def pool_root(tmp_path: Path) -> Path:
    root = tmp_path / "pool"
    _build_small_workspace(root / "templates" / "realdata")
    return root


@pytest.fixture
def gold_file(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in ITEMS) + "\n")
    return path


def test_items_scored_and_mutations_isolated(pool_root: Path, gold_file: Path):
    pool = WorkspacePool(pool_root, reuse=True)
    pool.built["realdata"] = BuiltWorkspace("realdata", pool_root / "templates" / "realdata", 0.0)
    results = {r.id: r for r in run_items(load_items([gold_file]), pool, "rules")}
    pool.close()

    assert results["best"].passed, results["best"].calls.reason
    assert results["wrong-fact"].calls.ok
    assert results["wrong-fact"].missing == [0.5]
    assert not results["wrong-fact"].passed
    assert results["promote"].store_ok
    # The confirmed change ran on a private copy: the shared copy still serves v1.
    assert results["still-v1"].store_ok
    assert results["weather"].passed
    assert all(not r.unintended_tables for r in results.values())


def test_summary_and_report(pool_root: Path, gold_file: Path, tmp_path: Path):
    pool = WorkspacePool(pool_root, reuse=True)
    pool.built["realdata"] = BuiltWorkspace("realdata", pool_root / "templates" / "realdata", 0.0)
    results = run_items(load_items([gold_file]), pool, "rules", repeats=2)
    pool.close()
    summary = summarise(results, "rules", 2)

    assert summary.overall.items == 5
    assert summary.overall.overall.total == 10
    assert summary.overall.pass_k is not None
    assert summary.overall.pass_k.passed == 4
    assert summary.irrelevance.rate == 1.0
    assert summary.mutation_end_state.passed == summary.mutation_end_state.total == 4
    assert [g.name for g in summary.categories][:3] == ["search_rank", "registry", "mutations"]
    assert summary.latency_p50_ms is not None

    info = RunInfo("2026-12-04 10:30 UTC", 1.0, 5, ["gold.jsonl"], {})
    page = tmp_path / "evals.md"
    page.write_text(
        f"# Evals\n\nintro\n\n{START_MARKER}\nprevious run\n{END_MARKER}\n\n## History\nkept\n"
    )
    write_markdown(page, markdown_report(summary, info))
    text = page.read_text()
    assert "intro" in text
    assert "## History\nkept" in text
    assert "previous run" not in text
    assert "| search_rank | 2 |" in text
    assert "`wrong-fact`" in text


def test_unintended_write_is_counted(pool_root: Path, tmp_path: Path):
    # A read-only item whose setup-free turn is a confirmed change without `confirm`:
    # "yes" confirms the pending rollback, so the shared copy changes unasked.
    item = _item(
        "sneaky",
        ["set the production alias of image-classifier to version 2", "yes"],
        {
            "tool_calls": [
                {
                    "name": "set_alias",
                    "arguments": {
                        "model": ["image-classifier"],
                        "alias": ["production"],
                        "version": [2],
                    },
                }
            ]
        },
        category="mutations",
        user="bob",
    )
    path = tmp_path / "sneaky.jsonl"
    path.write_text(json.dumps(item) + "\n")
    pool = WorkspacePool(pool_root, reuse=True)
    pool.built["realdata"] = BuiltWorkspace("realdata", pool_root / "templates" / "realdata", 0.0)
    [result] = run_items(load_items([path]), pool, "rules")
    pool.close()

    assert "model_alias" in result.unintended_tables
    assert not result.passed


def test_eval_command_writes_reports(pool_root: Path, gold_file: Path, tmp_path: Path):
    out = tmp_path / "out"
    outcome = CliRunner().invoke(
        app,
        [
            "eval",
            "--gold",
            str(gold_file),
            "--out",
            str(out),
            "--cache-dir",
            str(pool_root),
            "--repeat",
            "1",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "5 items, planner rules" in outcome.output
    data = json.loads((out / "latest.json").read_text())
    assert data["overall"]["items"] == 5
    assert {r["id"] for r in data["results"]} == {item["id"] for item in ITEMS}
    assert "Per category, weakest first" in (out / "evals.md").read_text()


def test_eval_command_rejects_unknown_planner_and_category(gold_file: Path):
    runner = CliRunner()
    assert (
        runner.invoke(app, ["eval", "--planner", "magic", "--gold", str(gold_file)]).exit_code != 0
    )
    outcome = runner.invoke(app, ["eval", "--category", "nope", "--gold", str(gold_file)])
    assert outcome.exit_code != 0


def test_llm_planner_counts_tokens(pool_root: Path, gold_file: Path, tmp_path: Path, monkeypatch):
    script = {
        "cases": [
            {
                "when": "digits-vision",
                "responses": [
                    {
                        "tool_calls": [
                            {
                                "name": "search_runs",
                                "arguments": {"experiment": "digits-vision", "metric": "accuracy"},
                            }
                        ]
                    },
                    "Here is the best run.",
                ],
            }
        ],
        "responses": ["I can only help with this workspace."],
        "loop": True,
    }
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps(script))
    monkeypatch.setenv("MODELPILOT_LLM_MODEL", f"fake:{script_path}")
    lines = [
        line
        for line in gold_file.read_text().splitlines()
        if '"best"' in line or '"weather"' in line
    ]
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(lines) + "\n")

    pool = WorkspacePool(pool_root, reuse=True)
    pool.built["realdata"] = BuiltWorkspace("realdata", pool_root / "templates" / "realdata", 0.0)
    results = {r.id: r for r in run_items(load_items([subset]), pool, "llm")}
    pool.close()

    assert results["best"].calls.ok, results["best"].calls.reason
    assert results["best"].tokens and results["best"].tokens > 0
    assert results["weather"].passed
    summary = summarise(list(results.values()), "llm", 1)
    assert summary.tokens_per_turn is not None
    assert summary.tokens_estimated


def test_floor_only_rises(pool_root: Path, gold_file: Path, tmp_path: Path):
    pool = WorkspacePool(pool_root, reuse=True)
    pool.built["realdata"] = BuiltWorkspace("realdata", pool_root / "templates" / "realdata", 0.0)
    summary = summarise(run_items(load_items([gold_file]), pool, "rules"), "rules", 1)
    pool.close()
    floor = tmp_path / "floor.json"
    floor.write_text(json.dumps({"realdata": {"accuracy": 0.99}, "demo": {"accuracy": 0.5}}))

    assert record_floor(summary, floor) == {}
    assert floor_accuracy("realdata", floor) == 0.99
    floor.write_text(json.dumps({"realdata": {"accuracy": 0.1}}))
    raised = record_floor(summary, floor)
    rate = summary.overall.overall.rate
    assert rate is not None
    assert raised["realdata"] <= rate
    assert floor_accuracy("realdata", floor) == raised["realdata"] > 0.1
    with pytest.raises(InvalidInputError):
        record_floor(summarise([], "llm", 1), floor)
