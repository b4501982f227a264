"""Pipeline tools read the same number of SQL statements however many pipelines or runs exist.

The store is built row by row (no training), so each expected value below comes from the
rows the test wrote, not from the query code under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from tests.statements import counted_statements
from tools.governance import Actor, Governor
from tools.pipelines.workspace import work_dir
from tools.settings import Settings, get_settings
from tools.store.db import Store, open_store
from tools.store.schema import DatasetVersion, LatestMetric, PipelineRun, StepRun

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STEPS = ("preprocess", "train", "evaluate")
VIEWER = Actor("dave")


@dataclass
class RunSpec:
    """One pipeline run to write: its status, when it was created and what it read."""

    status: str
    hour: int
    dataset_version_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    failed_step: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    code: str | None = None


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings)


def invoke(store: Store, settings: Settings, name: str, **arguments: Any) -> dict[str, Any]:
    outcome = Governor(store, settings).invoke(name, arguments, VIEWER)
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return outcome.result


def count_statements(store: Store, settings: Settings, name: str, **arguments: Any) -> int:
    # The first call records new pipeline files and the second finds them unchanged. Only from
    # the third call on does the tool skip reading the workspace folder.
    for _ in range(2):
        invoke(store, settings, name, **arguments)
    with counted_statements(store) as statements:
        invoke(store, settings, name, **arguments)
    return len(statements)


def write_pipeline(settings: Settings, name: str, model: str) -> None:
    definition = {
        "name": name,
        "model": model,
        "owner": "bob",
        "dataset": "sklearn:iris",
        "entry_point": "tools.pipelines.trainers:logistic_regression",
    }
    folder = settings.home / "pipelines"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")


def add_dataset_version(store: Store, name: str, version: int) -> str:
    with store.session() as session:
        row = DatasetVersion(dataset_name=name, version=version, content_hash=f"{name}-{version}")
        session.add(row)
        return row.id


def add_run(store: Store, settings: Settings, pipeline: str, spec: RunSpec) -> PipelineRun:
    """Write a finished pipeline run, its steps and the metrics of its training run."""
    created = T0 + timedelta(hours=spec.hour)
    run = PipelineRun(
        pipeline_name=pipeline,
        status=spec.status,
        params=spec.params,
        dataset_version_id=spec.dataset_version_id,
        run_id=f"training-{pipeline}-{spec.hour}",
        error=f"{spec.failed_step} broke" if spec.failed_step else None,
        created_at=created,
        started_at=created + timedelta(minutes=1),
        ended_at=created + timedelta(minutes=9),
    )
    with store.session() as session:
        session.add(run)
        session.add_all(_steps(run, spec, settings))
        for key, value in spec.metrics.items():
            session.add(LatestMetric(run_id=run.run_id, key=key, value=value))
    return run


def _steps(run: PipelineRun, spec: RunSpec, settings: Settings) -> list[StepRun]:
    steps = []
    status = "succeeded"
    for position, kind in enumerate(STEPS, start=1):
        outputs: dict[str, Any] = {}
        if kind == "train" and spec.code is not None:
            outputs = _code_snapshot(settings, run.id, spec.code)
        failed = kind == spec.failed_step
        if failed:
            status = "failed"
        steps.append(
            StepRun(
                pipeline_run_id=run.id,
                name=kind,
                kind=kind,
                position=position,
                status=status,
                error=f"{kind} broke" if failed else None,
                log=f"starting {kind}\n{kind} broke\n" if failed else None,
                outputs=outputs,
            )
        )
        if failed:
            status = "skipped"
    return steps


def _code_snapshot(settings: Settings, pipeline_run_id: str, code: str) -> dict[str, Any]:
    folder = work_dir(settings, pipeline_run_id) / "code"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(code, encoding="utf-8")
    return {"code_sha256": f"sha-{code.strip()}" * 2, "code_path": "train.py"}


def ids(views: list[dict[str, Any]]) -> list[str]:
    return [view["pipeline_run_id"] for view in views]


def test_list_pipelines_statements_fixed(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "p0-train", "model-0")
    add_run(store, settings, "p0-train", RunSpec("succeeded", 1))
    one_pipeline = count_statements(store, settings, "list_pipelines")

    for index in range(1, 4):
        name = f"p{index}-train"
        write_pipeline(settings, name, f"model-{index}")
        for hour in range(index + 1):
            add_run(store, settings, name, RunSpec("succeeded", hour))
        add_run(store, settings, name, RunSpec("failed", 10, failed_step="train"))
    four_pipelines = count_statements(store, settings, "list_pipelines")

    assert four_pipelines == one_pipeline


def test_list_pipelines_last_run_and_success(store: Store, settings: Settings) -> None:
    version = add_dataset_version(store, "iris-table", 2)
    write_pipeline(settings, "alpha-train", "alpha-model")
    write_pipeline(settings, "beta-train", "beta-model")
    write_pipeline(settings, "idle-train", "idle-model")
    add_run(store, settings, "alpha-train", RunSpec("succeeded", 1))
    success = add_run(store, settings, "alpha-train", RunSpec("succeeded", 2))
    failed = add_run(
        store,
        settings,
        "alpha-train",
        RunSpec("failed", 3, dataset_version_id=version, failed_step="evaluate"),
    )
    beta = add_run(store, settings, "beta-train", RunSpec("succeeded", 5))

    result = invoke(store, settings, "list_pipelines")

    by_name = {summary["name"]: summary for summary in result["pipelines"]}
    assert list(by_name) == ["alpha-train", "beta-train", "idle-train"]
    alpha, beta_summary, idle = by_name["alpha-train"], by_name["beta-train"], by_name["idle-train"]
    assert alpha["last_run"]["pipeline_run_id"] == failed.id
    assert alpha["last_run"]["failed_step"] == "evaluate"
    assert alpha["last_run"]["dataset"] == "iris-table v2"
    assert alpha["last_run"]["model"] == "alpha-model"
    assert datetime.fromisoformat(alpha["last_success_at"]) == success.ended_at
    assert beta_summary["last_run"]["pipeline_run_id"] == beta.id
    assert beta_summary["last_run"]["dataset"] == "sklearn:iris"
    assert beta_summary["last_run"]["failed_step"] is None
    assert datetime.fromisoformat(beta_summary["last_success_at"]) == beta.ended_at
    assert idle["last_run"] is None
    assert idle["last_success_at"] is None


def test_list_pipelines_model_filter(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "alpha-train", "alpha-model")
    write_pipeline(settings, "beta-train", "beta-model")

    result = invoke(store, settings, "list_pipelines", model="Beta-Model")

    assert [summary["name"] for summary in result["pipelines"]] == ["beta-train"]


def test_list_pipeline_runs_statements_fixed(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "runs-train", "runs-model")
    for hour in range(2):
        add_run(store, settings, "runs-train", RunSpec("succeeded", hour))
    two_runs = count_statements(store, settings, "list_pipeline_runs", pipeline="runs-train")
    two_runs_all = count_statements(store, settings, "list_pipeline_runs")

    for hour in range(2, 5):
        add_run(store, settings, "runs-train", RunSpec("failed", hour, failed_step="train"))
    five_runs = count_statements(store, settings, "list_pipeline_runs", pipeline="runs-train")
    five_runs_all = count_statements(store, settings, "list_pipeline_runs")

    assert five_runs == two_runs
    assert five_runs_all == two_runs_all


def test_list_pipeline_runs_views(store: Store, settings: Settings) -> None:
    version = add_dataset_version(store, "iris-table", 4)
    write_pipeline(settings, "runs-train", "runs-model")
    write_pipeline(settings, "other-train", "other-model")
    oldest = add_run(store, settings, "runs-train", RunSpec("succeeded", 1))
    middle = add_run(
        store,
        settings,
        "runs-train",
        RunSpec("failed", 2, dataset_version_id=version, failed_step="preprocess"),
    )
    newest = add_run(
        store, settings, "runs-train", RunSpec("succeeded", 3, dataset_version_id=version)
    )
    other = add_run(store, settings, "other-train", RunSpec("succeeded", 4))

    mine = invoke(store, settings, "list_pipeline_runs", pipeline="runs-train")
    failed = invoke(store, settings, "list_pipeline_runs", status="failed")
    latest_two = invoke(store, settings, "list_pipeline_runs", limit=2)

    assert ids(mine["runs"]) == [newest.id, middle.id, oldest.id]
    assert [run["dataset"] for run in mine["runs"]] == [
        "iris-table v4",
        "iris-table v4",
        "sklearn:iris",
    ]
    assert [run["failed_step"] for run in mine["runs"]] == [None, "preprocess", None]
    assert {run["model"] for run in mine["runs"]} == {"runs-model"}
    assert mine["runs"][0]["duration_s"] == 480.0
    assert mine["counts"] == {"succeeded": 2, "failed": 1}
    assert ids(failed["runs"]) == [middle.id]
    assert ids(latest_two["runs"]) == [other.id, newest.id]


def test_run_status_statements_fixed(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "status-train", "status-model")
    for hour in range(2):
        add_run(store, settings, "status-train", RunSpec("succeeded", hour, metrics={"f1": 0.5}))
    two_runs = count_statements(store, settings, "pipeline_run_status", pipeline="status-train")

    metrics = {f"metric_{index}": index / 10 for index in range(5)}
    for hour in range(2, 5):
        add_run(store, settings, "status-train", RunSpec("succeeded", hour, metrics=metrics))
    five_runs = count_statements(store, settings, "pipeline_run_status", pipeline="status-train")

    assert five_runs == two_runs


def test_run_status_latest_run_detail(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "status-train", "status-model")
    write_pipeline(settings, "later-train", "later-model")
    add_run(store, settings, "status-train", RunSpec("succeeded", 1, metrics={"f1": 0.9}))
    latest = add_run(
        store,
        settings,
        "status-train",
        RunSpec("failed", 2, params={"depth": 3}, failed_step="train", metrics={"f1": 0.4}),
    )
    later = add_run(store, settings, "later-train", RunSpec("succeeded", 3))

    result = invoke(store, settings, "pipeline_run_status", pipeline="status-train")
    any_latest = invoke(store, settings, "pipeline_run_status")

    run = result["run"]
    assert run["pipeline_run_id"] == latest.id
    assert run["metrics"] == {"f1": 0.4}
    assert run["params"] == {"depth": 3}
    assert [step["name"] for step in run["steps"]] == list(STEPS)
    assert [step["status"] for step in run["steps"]] == ["succeeded", "failed", "skipped"]
    assert run["failed_step"] == "train"
    assert run["dataset"] == "sklearn:iris"
    assert run["model"] == "status-model"
    assert result["summary"] == (
        f"status-train run {latest.id[:8]} is failed (1 of 3 steps succeeded); "
        "step train failed: train broke"
    )
    assert any_latest["run"]["pipeline_run_id"] == later.id
    assert any_latest["run"]["model"] == "later-model"


def test_run_status_by_id_prefix(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "status-train", "status-model")
    first = add_run(store, settings, "status-train", RunSpec("succeeded", 1))
    second = add_run(store, settings, "status-train", RunSpec("succeeded", 2))
    governor = Governor(store, settings)

    by_id = invoke(store, settings, "pipeline_run_status", run_id=first.id)
    by_prefix = invoke(store, settings, "pipeline_run_status", run_id=second.id[:10])
    too_short = governor.invoke("pipeline_run_status", {"run_id": first.id[:3]}, VIEWER)
    wildcard = governor.invoke("pipeline_run_status", {"run_id": "%%%%%%%%"}, VIEWER)

    assert by_id["run"]["pipeline_run_id"] == first.id
    assert by_prefix["run"]["pipeline_run_id"] == second.id
    assert too_short.status == "error"
    assert "at least 6 characters" in (too_short.error or "")
    assert wildcard.status == "error"
    assert "no pipeline run '%%%%%%%%'" in (wildcard.error or "")


def test_run_id_prefix_ambiguous(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "status-train", "status-model")
    with store.session() as session:
        for suffix in ("1", "2"):
            session.add(
                PipelineRun(
                    id=f"abcdef{suffix}",
                    pipeline_name="status-train",
                    status="succeeded",
                    created_at=T0,
                )
            )

    outcome = Governor(store, settings).invoke("pipeline_run_status", {"run_id": "abcdef"}, VIEWER)
    exact = invoke(store, settings, "pipeline_run_status", run_id="abcdef2")

    assert outcome.status == "error"
    assert "ambiguous" in (outcome.error or "")
    assert exact["run"]["pipeline_run_id"] == "abcdef2"


def _history(store: Store, settings: Settings, before: int, after: int) -> PipelineRun:
    """Write ``before`` successes, one failure and ``after`` successes, and return the failure."""
    for hour in range(before):
        add_run(store, settings, "explain-train", RunSpec("succeeded", hour, code="print(1)"))
    failed = add_run(store, settings, "explain-train", RunSpec("failed", 50, failed_step="train"))
    for hour in range(after):
        add_run(store, settings, "explain-train", RunSpec("succeeded", 60 + hour))
    return failed


def test_explain_statements_fixed(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "explain-train", "explain-model")
    failed = _history(store, settings, before=1, after=0)
    two_runs = count_statements(
        store, settings, "explain_pipeline_failure", pipeline="explain-train"
    )
    two_runs_by_id = count_statements(store, settings, "explain_pipeline_failure", run_id=failed.id)

    with store.session() as session:
        session.delete(session.get(PipelineRun, failed.id))
    failed = _history(store, settings, before=2, after=2)
    five_runs = count_statements(
        store, settings, "explain_pipeline_failure", pipeline="explain-train"
    )
    five_runs_by_id = count_statements(
        store, settings, "explain_pipeline_failure", run_id=failed.id
    )

    assert five_runs == two_runs
    assert five_runs_by_id == two_runs_by_id


def test_explain_compares_last_success(store: Store, settings: Settings) -> None:
    old_data = add_dataset_version(store, "iris-table", 1)
    new_data = add_dataset_version(store, "iris-table", 2)
    write_pipeline(settings, "explain-train", "explain-model")
    add_run(store, settings, "explain-train", RunSpec("succeeded", 1, params={"depth": 1}))
    previous = add_run(
        store,
        settings,
        "explain-train",
        RunSpec("succeeded", 2, old_data, {"depth": 3, "seed": 7}, code="print(1)\n"),
    )
    failed = add_run(
        store,
        settings,
        "explain-train",
        RunSpec("failed", 3, new_data, {"depth": 0}, failed_step="train", code="print(2)\n"),
    )
    add_run(store, settings, "explain-train", RunSpec("succeeded", 4))
    newest = add_run(store, settings, "explain-train", RunSpec("succeeded", 5))

    result = invoke(store, settings, "explain_pipeline_failure", pipeline="explain-train")

    assert result["run"]["pipeline_run_id"] == failed.id
    assert result["run"]["dataset"] == "iris-table v2"
    assert result["run"]["model"] == "explain-model"
    assert result["run"]["failed_step"] == "train"
    assert result["failed_step"] == "train"
    assert result["error"] == "train broke"
    assert result["log_tail"] == ["starting train", "train broke"]
    assert result["last_success"]["pipeline_run_id"] == previous.id
    assert result["last_success"]["dataset"] == "iris-table v1"
    assert result["last_success"]["failed_step"] is None
    assert result["newer_success"]["pipeline_run_id"] == newest.id
    assert result["newer_success"]["dataset"] == "sklearn:iris"
    assert [change["detail"] for change in result["changes"]] == [
        "dataset iris-table v1 → iris-table v2",
        "param depth: 3 → 0",
        "param seed removed (was 7)",
        "training code changed: sha256 sha-print(1) → sha-print(2)",
    ]
    assert result["code_diff"].splitlines()[-2:] == ["-print(1)", "+print(2)"]


def test_explain_without_earlier_success(store: Store, settings: Settings) -> None:
    write_pipeline(settings, "explain-train", "explain-model")
    failed = add_run(store, settings, "explain-train", RunSpec("failed", 1, failed_step="evaluate"))
    governor = Governor(store, settings)

    result = invoke(store, settings, "explain_pipeline_failure", run_id=failed.id[:8])
    not_failed = add_run(store, settings, "explain-train", RunSpec("succeeded", 2))
    rejected = governor.invoke("explain_pipeline_failure", {"run_id": not_failed.id}, VIEWER)

    assert result["run"]["pipeline_run_id"] == failed.id
    assert result["failed_step"] == "evaluate"
    assert result["last_success"] is None
    assert result["newer_success"] is None
    assert result["changes"] == []
    assert "no earlier successful run" in result["summary"]
    assert rejected.status == "error"
    assert "is succeeded, not failed" in (rejected.error or "")
