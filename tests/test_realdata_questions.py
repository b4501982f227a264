"""Questions about the real MLflow folders, answered after import and checked against the files.

The expected values are computed here from the raw MLflow files (meta.yaml, metric and param
files, registry folders), independently of the importer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from assistant.service import Assistant
from tools.governance import Actor
from tools.mlflow_import import import_mlflow
from tools.store.db import open_store

VIEWER = Actor("dave", "test")


@dataclass
class RawRun:
    run_id: str
    name: str
    experiment: str
    start: datetime
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def _latest_value(path: Path) -> float:
    points = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            step = int(parts[2]) if len(parts) > 2 else 0
            points.append((step, int(parts[0]), float(parts[1])))
    return max(points)[2]


def _raw_runs(root: Path) -> Iterator[RawRun]:
    for tracking in sorted(root.rglob("mlruns")):
        for meta_path in tracking.glob("*/meta.yaml"):
            experiment = yaml.safe_load(meta_path.read_text())
            if not isinstance(experiment, dict) or "name" not in experiment:
                continue
            for run_meta in meta_path.parent.glob("*/meta.yaml"):
                run = yaml.safe_load(run_meta.read_text())
                if run.get("lifecycle_stage", "active") != "active":
                    continue
                folder = run_meta.parent
                name_tag = folder / "tags" / "mlflow.runName"
                # MLflow shows the mlflow.runName tag when it is set, else meta.yaml's run_name.
                name = (
                    name_tag.read_text().strip()
                    if name_tag.exists()
                    else str(run.get("run_name") or "")
                )
                raw = RawRun(
                    run["run_id"],
                    str(name),
                    experiment["name"],
                    datetime.fromtimestamp(int(run["start_time"]) / 1000, UTC),
                )
                for metric in (
                    (folder / "metrics").glob("*") if (folder / "metrics").exists() else []
                ):
                    raw.metrics[metric.name] = _latest_value(metric)
                for param in (folder / "params").glob("*") if (folder / "params").exists() else []:
                    raw.params[param.name] = param.read_text().strip()
                yield raw


def _registered_models(root: Path) -> dict[str, int]:
    latest: dict[str, int] = {}
    for model_dir in root.glob("*/mlruns/models/*"):
        versions = [int(p.name.split("-")[1]) for p in model_dir.glob("version-*")]
        if versions:
            latest[model_dir.name] = max(versions)
    return latest


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("realdata-workspace")
    return home


@pytest.fixture
def assistant(realdata: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    monkeypatch.setenv("MODELPILOT_HOME", str(workspace))
    store = open_store()
    if not (workspace / "imported").exists():
        summary = import_mlflow(realdata / "mlruns", store)
        assert summary is not None
        (workspace / "imported").write_text("yes")
    return Assistant()


@pytest.fixture(scope="module")
def raw(realdata_path: Path) -> list[RawRun]:
    return list(_raw_runs(realdata_path / "mlruns"))


@pytest.fixture(scope="module")
def realdata_path() -> Path:
    from tests.conftest import REALDATA

    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is absent in this checkout")
    return REALDATA


@pytest.mark.parametrize(
    "question",
    [
        "what is the best run in experiment Customer-Churn-Classifier by f1_score?",
        "Customer-Churn-Classifier 实验中 f1_score 最高的运行是哪个？",
    ],
)
def test_best_run_of_experiment(assistant: Assistant, raw: list[RawRun], question: str) -> None:
    candidates = [
        r for r in raw if r.experiment == "Customer-Churn-Classifier" and "f1_score" in r.metrics
    ]
    best = max(r.metrics["f1_score"] for r in candidates)
    tied = {r.run_id: r.name for r in candidates if r.metrics["f1_score"] == best}
    answer = assistant.ask(question, VIEWER, question)
    call = answer.tool_calls[0]
    assert call.name == "search_runs"
    assert call.result["total"] == len(candidates)
    top = call.result["runs"][0]
    assert top["metric_value"] == pytest.approx(best)
    assert top["run_id"] in tied
    assert tied[top["run_id"]] in answer.answer


def test_best_validation_accuracy_in_keras_experiment(
    assistant: Assistant, raw: list[RawRun]
) -> None:
    candidates = [r for r in raw if r.experiment == "CNN model" and "val_accuracy" in r.metrics]
    best = max(r.metrics["val_accuracy"] for r in candidates)
    tied = {r.run_id for r in candidates if r.metrics["val_accuracy"] == best}
    answer = assistant.ask("best run of experiment 'CNN model' by val_accuracy", VIEWER, "k")
    top = answer.tool_calls[0].result["runs"][0]
    assert top["metric_value"] == pytest.approx(best)
    assert top["run_id"] in tied


def _busiest_month(raw: list[RawRun]) -> tuple[int, int, int]:
    counts = Counter((r.start.year, r.start.month) for r in raw)
    (year, month), count = counts.most_common(1)[0]
    return year, month, count


@pytest.mark.parametrize("language", ["en", "zh"])
def test_runs_from_a_month(
    assistant: Assistant, raw: list[RawRun], language: str, monkeypatch
) -> None:
    monkeypatch.setenv("MODELPILOT_NOW", "2026-12-04T10:30:00Z")
    year, month, count = _busiest_month(raw)
    month_name = datetime(year, month, 1).strftime("%B")
    question = (
        f"which runs were started in {month_name} {year}?"
        if language == "en"
        else f"{year}年{month}月有哪些运行？"
    )
    answer = assistant.ask(question, VIEWER, question)
    call = answer.tool_calls[0]
    assert call.name == "search_runs"
    assert call.result["total"] == count
    assert str(count) in answer.answer


def _two_runs_that_differ(raw: list[RawRun]) -> tuple[RawRun, RawRun]:
    names = Counter(r.name for r in raw)
    churn = sorted(
        (
            r
            for r in raw
            if r.experiment == "Customer-Churn-Classifier" and names[r.name] == 1 and r.params
        ),
        key=lambda r: r.start,
    )
    first = churn[0]
    second = next(r for r in churn[1:] if r.params != first.params)
    return first, second


@pytest.mark.parametrize("template", ["how do run {a} and run {b} differ?", "比较运行 {a} 和 {b}"])
def test_two_named_runs_differ(assistant: Assistant, raw: list[RawRun], template: str) -> None:
    first, second = _two_runs_that_differ(raw)
    keys = set(first.params) | set(second.params)
    expected = {k for k in keys if first.params.get(k) != second.params.get(k)}
    answer = assistant.ask(template.format(a=first.name, b=second.name), VIEWER, template)
    call = answer.tool_calls[0]
    assert call.name == "compare_runs"
    assert set(call.result["params_differing"]) == expected
    for key in expected:
        assert call.result["params_differing"][key] == [
            first.params.get(key),
            second.params.get(key),
        ]


@pytest.mark.parametrize(
    "question",
    [
        "which registered models exist and what are their latest versions?",
        "有哪些注册的模型？最新版本是多少？",
    ],
)
def test_registered_models_and_latest_versions(
    assistant: Assistant, realdata_path: Path, question: str
) -> None:
    expected = _registered_models(realdata_path / "mlruns")
    answer = assistant.ask(question, VIEWER, question)
    call = answer.tool_calls[0]
    assert call.name == "list_models"
    found = {m["name"]: m["latest_version"] for m in call.result["models"]}
    assert found == expected
    for name, version in expected.items():
        assert f"{name} (v{version})" in answer.answer
