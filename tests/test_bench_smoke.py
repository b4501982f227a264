"""The benchmark still runs end to end at a tiny scale; its timings are not checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ui.cli
from evals.bench.mlflow_store import unavailable_reason

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench") / "out"
    arguments = [
        "bench", "--scale", "0.001", "--out", str(out), "--repeat", "1", "--warmup", "0",
        "--no-memory", "--no-console", "--index-sample", "8", "--import-runs", "5",
    ]  # fmt: skip
    outcome = CliRunner().invoke(ui.cli.app, arguments)
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((out / "benchmarks.json").read_text())
    return {**data["runs"][0], "demo": data["demo"]}, out / "benchmarks.md"


def _results(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["key"]: result for result in run["results"]}


def test_bench_modelpilot_side(bench_run):
    run, report = bench_run
    assert run["workspace"]["counts"]["run"] > 0
    assert run["workspace"]["counts"]["metric_point"] > 0
    results = _results(run)
    crashed = {
        k: r["skipped"] for k, r in results.items() if (r["skipped"] or "").startswith("failed")
    }
    assert crashed == {}
    for key in (
        "search_tool",
        "search_query",
        "compare_tool",
        "history_tool",
        "planner",
        "retrieval",
    ):
        assert results[key]["timing"]["samples"] >= 1, key
    for key in ("indexing", "import_runs"):
        assert results[key]["rate"] > 0, key
    assert results["planner"]["details"]["requests"] == 50
    text = report.read_text()
    assert text.startswith("# Benchmarks")
    assert "## Targets" in text


def test_bench_mlflow_side(bench_run):
    run, _ = bench_run
    results = _results(run)
    reason = unavailable_reason()
    if reason is not None:
        assert results["search_mlflow"]["skipped"] == reason
        pytest.skip(reason)
    # The same top-10 ranking on both sides shows that both stores hold the same runs.
    assert results["search_mlflow"]["details"]["same_top_values"] is True
    assert results["compare_mlflow"]["timing"]["samples"] >= 1


def test_bench_demo_planner(bench_run):
    run, report = bench_run
    [demo] = run["demo"]
    assert demo["key"] == "planner_demo", demo.get("skipped")
    assert demo["timing"]["samples"] == demo["details"]["requests"] > 100
    assert "## Rules planner on the demo workspace" in report.read_text()
    assert "rules planner on the demo workspace: p95 < 50 ms" in report.read_text()
