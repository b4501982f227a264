"""Run tools: a fixed number of SQL statements per call, and results checked against the specs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import add_experiment, add_model_version, add_run
from tests.statements import counted_statements
from tools.errors import InvalidInputError, NotFoundError
from tools.resolve import resolve_runs
from tools.settings import get_settings
from tools.store.db import Store, open_store
from tools.store.schema import DatasetVersion, Run, RunDataset
from tools.tool_registry import REGISTRY, ToolContext
from tools.tracking.queries import require_runs
from tools.vocabulary import metric_direction

NOW = "2026-12-04T10:30:00Z"
HIDDEN_TAG = "mlflow.log-model.history"


@dataclass
class RunSpec:
    experiment: str
    name: str
    started: datetime
    metrics: dict[str, float | list[float]]
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "FINISHED"
    note: str | None = None
    run_id: str = ""


def day(month: int, number: int) -> datetime:
    return datetime(2026, month, number, tzinfo=UTC)


EXPERIMENTS = {"vision": "image-classification", "fraud": "fraud-detection"}
MANY_METRICS = {
    "accuracy": 0.97,
    "epoch_time": 12.0,
    "f1": 0.96,
    "log_loss": 0.11,
    "precision": 0.95,
    "recall": 0.94,
    "roc_auc": 0.99,
    "train_loss": 0.05,
    "val_loss": 0.09,
}
RUNS = [
    RunSpec(
        "vision",
        "svc-rbf",
        day(11, 20),
        {"accuracy": 0.981, "val_loss": [0.9, 0.4, 0.2], "f1": 0.97},
        {"model": "svc", "C": "3", "kernel": "rbf"},
        {"team": "vision", HIDDEN_TAG: "[]"},
        note="baseline of the sweep",
    ),
    RunSpec(
        "vision",
        "rf-200",
        day(10, 2),
        {"accuracy": 0.962, "val_loss": [1.0, 0.5, 0.3]},
        {"model": "rf", "C": "3", "n_estimators": "200"},
        {"team": "vision"},
    ),
    RunSpec(
        "vision",
        "knn-k5",
        day(9, 15),
        {"accuracy": 0.950, "f1": [0.90, 0.93]},
        {"model": "knn", "n_neighbors": "5"},
    ),
    RunSpec(
        "vision", "logreg", day(7, 15), {"accuracy": 0.990, "val_loss": 0.25}, {"model": "logreg"}
    ),
    RunSpec("vision", "mlp", day(11, 1), dict(MANY_METRICS), {"model": "mlp", "C": "3"}),
    RunSpec("vision", "crashed", day(11, 30), {}, {"model": "svc"}, status="FAILED"),
    RunSpec(
        "fraud", "xgb-balanced", day(11, 10), {"roc_auc": 0.93, "accuracy": 0.999}, {"model": "xgb"}
    ),
]
# (model, version, run name, aliases)
VERSIONS = [
    ("vision-model", 1, "svc-rbf", ("production", "champion")),
    ("vision-model", 2, "logreg", ("staging",)),
    ("backup-model", 1, "svc-rbf", ()),
    ("fraud-detector", 1, "xgb-balanced", ("production",)),
]
# (dataset, version, run name, context)
LINEAGE = [
    ("digits", 2, "svc-rbf", "training"),
    ("digits-holdout", 1, "svc-rbf", "evaluation"),
    ("digits", 1, "rf-200", "training"),
]


@dataclass
class Workspace:
    store: Store
    experiment_ids: dict[str, str]
    runs: dict[str, RunSpec]

    def run_id(self, name: str) -> str:
        return self.runs[name].run_id


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv("MODELPILOT_NOW", NOW)
    store = open_store()
    ids = {name: add_experiment(store, name, task=task) for name, task in EXPERIMENTS.items()}
    runs: dict[str, RunSpec] = {}
    for spec in RUNS:
        run = RunSpec(**vars(spec))
        run.run_id = add_run(
            store,
            ids[run.experiment],
            run.name,
            run.started,
            run.metrics,
            run.params,
            run.tags,
            status=run.status,
        )
        runs[run.name] = run
    for model, version, run_name, aliases in VERSIONS:
        add_model_version(store, model, version, runs[run_name].run_id, aliases=aliases)
    _add_lineage_and_notes(store, runs)
    yield Workspace(store, ids, runs)
    store.release()


def _add_lineage_and_notes(store: Store, runs: dict[str, RunSpec]) -> None:
    with store.session() as session:
        versions: dict[tuple[str, int], str] = {}
        for dataset, version, _, _ in LINEAGE:
            if (dataset, version) not in versions:
                row = DatasetVersion(
                    dataset_name=dataset, version=version, content_hash=f"{dataset}-{version}"
                )
                session.add(row)
                versions[(dataset, version)] = row.id
        for dataset, version, run_name, context in LINEAGE:
            session.add(
                RunDataset(
                    run_id=runs[run_name].run_id,
                    dataset_version_id=versions[(dataset, version)],
                    context=context,
                )
            )
        for spec in runs.values():
            if spec.note is not None:
                stored = session.get(Run, spec.run_id)
                assert stored is not None
                stored.note = spec.note
                session.add(stored)


def call_tool(store: Store, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Run a tool without governance, so only the tool's own statements are sent."""
    tool = REGISTRY.get(name)
    context = ToolContext(store, get_settings(), "dave", "viewer", "test")
    return tool.run(context, tool.args_model(**arguments)).model_dump()


def statements_of(store: Store, name: str, arguments: dict[str, Any]) -> int:
    call_tool(store, name, arguments)  # the first call also checks the schema
    with counted_statements(store) as statements:
        call_tool(store, name, arguments)
    return len(statements)


# --- expected values, computed from the specs alone ----------------------------------------


def latest(spec: RunSpec) -> dict[str, float]:
    return {
        key: value[-1] if isinstance(value, list) else value for key, value in spec.metrics.items()
    }


def expected_versions(spec: RunSpec) -> list[dict[str, Any]]:
    rows = [
        {"model": model, "version": version, "aliases": sorted(aliases)}
        for model, version, run_name, aliases in VERSIONS
        if run_name == spec.name
    ]
    return sorted(rows, key=lambda row: (row["model"], row["version"]))


def expected_summary(spec: RunSpec, metrics: dict[str, float]) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "name": spec.name,
        "experiment": spec.experiment,
        "status": spec.status,
        "start_time": spec.started,
        "end_time": spec.started + timedelta(minutes=5),
        "user": "carol",
        "task": None,
        "metric_value": None,
        "metrics": metrics,
        "model_versions": expected_versions(spec),
    }


def expected_detail(spec: RunSpec) -> dict[str, Any]:
    lineage = sorted(
        (dataset, version, context)
        for dataset, version, run_name, context in LINEAGE
        if run_name == spec.name
    )
    return {
        **expected_summary(spec, dict(sorted(latest(spec).items()))),
        "params": dict(sorted(spec.params.items())),
        "tags": {key: value for key, value in sorted(spec.tags.items()) if key != HIDDEN_TAG},
        "note": spec.note,
        "source_name": None,
        "source_version": None,
        "artifact_uri": None,
        "datasets": [
            {"dataset": dataset, "version": version, "context": context}
            for dataset, version, context in lineage
        ],
        "metric_history_lengths": {
            key: len(value) if isinstance(value, list) else 1
            for key, value in sorted(spec.metrics.items())
        },
    }


def expected_search(
    workspace: Workspace, experiment: str, metric: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    logged = [
        spec
        for spec in workspace.runs.values()
        if spec.experiment == experiment and metric in spec.metrics
    ]
    ranked = sorted(logged, key=lambda spec: -latest(spec)[metric])
    summaries = []
    for spec in ranked[:limit]:
        values = latest(spec)
        others = sorted(key for key in values if key != metric)[:6]
        summary = expected_summary(spec, {key: values[key] for key in [metric, *others]})
        summary["metric_value"] = values[metric]
        summaries.append(summary)
    return summaries, len(logged)


# --- compare_runs ----------------------------------------------------------------------------


def test_compare_statements_same_for_more_runs(workspace: Workspace) -> None:
    two = statements_of(workspace.store, "compare_runs", {"runs": ["svc-rbf", "rf-200"]})
    references = [
        "svc-rbf",
        workspace.run_id("rf-200"),
        workspace.run_id("knn-k5")[:10],
        "LOGREG",
        "mlp",
    ]
    five = statements_of(workspace.store, "compare_runs", {"runs": references})

    assert five == two


def test_compare_matches_specs(workspace: Workspace) -> None:
    names = ["svc-rbf", "rf-200", "knn-k5", "logreg"]
    references = ["svc-rbf", workspace.run_id("rf-200")[:10], "KNN-K5", workspace.run_id("logreg")]
    specs = [workspace.runs[name] for name in names]

    result = call_tool(workspace.store, "compare_runs", {"runs": references})

    assert result["runs"] == [expected_summary(s, dict(sorted(latest(s).items()))) for s in specs]
    keys = sorted({key for spec in specs for key in spec.params})
    differing = {
        key: [spec.params.get(key) for spec in specs]
        for key in keys
        if len({spec.params.get(key) for spec in specs}) > 1
    }
    assert result["params_differing"] == differing
    assert result["params_same_count"] == len(keys) - len(differing)
    for comparison in result["metrics"]:
        values = [latest(spec).get(comparison["metric"]) for spec in specs]
        present = [
            (value, spec.run_id)
            for value, spec in zip(values, specs, strict=True)
            if value is not None
        ]
        best = max(present) if comparison["direction"] == "max" else min(present)
        assert comparison["values"] == values, comparison["metric"]
        assert comparison["best_run"] == best[1], comparison["metric"]
        assert comparison["direction"] == metric_direction(comparison["metric"])
    assert [c["metric"] for c in result["metrics"]] == ["accuracy", "f1", "val_loss"]


def test_compare_rejects_same_run_twice(workspace: Workspace) -> None:
    with workspace.store.session() as session, pytest.raises(InvalidInputError, match="twice"):
        require_runs(session, ["svc-rbf", workspace.run_id("svc-rbf")])


# --- get_run ---------------------------------------------------------------------------------


def test_get_run_statements_constant(workspace: Workspace) -> None:
    bare = statements_of(workspace.store, "get_run", {"run": "crashed"})
    rich = statements_of(workspace.store, "get_run", {"run": "svc-rbf"})

    assert rich == bare


@pytest.mark.parametrize("name", [spec.name for spec in RUNS])
def test_get_run_matches_spec(workspace: Workspace, name: str) -> None:
    result = call_tool(workspace.store, "get_run", {"run": name})

    assert result == expected_detail(workspace.runs[name])


def test_get_run_by_id_prefix(workspace: Workspace) -> None:
    spec = workspace.runs["knn-k5"]

    result = call_tool(workspace.store, "get_run", {"run": spec.run_id[:8]})

    assert result == expected_detail(spec)


# --- search_runs -----------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["accuracy", None])
def test_search_statements_same_for_more_runs(workspace: Workspace, metric: str | None) -> None:
    arguments: dict[str, Any] = {"experiment": "vision", "metric": metric}
    two = statements_of(workspace.store, "search_runs", {**arguments, "limit": 2})
    six = statements_of(workspace.store, "search_runs", {**arguments, "limit": 6})

    assert six == two


@pytest.mark.parametrize(("metric", "limit"), [("accuracy", 3), ("accuracy", 10), ("f1", 10)])
def test_search_matches_specs(workspace: Workspace, metric: str, limit: int) -> None:
    expected, total = expected_search(workspace, "vision", metric, limit)

    result = call_tool(
        workspace.store, "search_runs", {"experiment": "vision", "metric": metric, "limit": limit}
    )

    assert result["runs"] == expected
    assert result["total"] == total
    assert result["metric"] == metric
    assert result["order"] == "max"


def test_search_maps_metric_name(workspace: Workspace) -> None:
    expected, total = expected_search(workspace, "vision", "accuracy", 10)

    result = call_tool(workspace.store, "search_runs", {"experiment": "vision", "metric": "准确率"})

    assert result["metric"] == "accuracy"
    assert result["runs"] == expected
    assert result["total"] == total


def test_search_keeps_metric_empty_window(workspace: Workspace) -> None:
    arguments = {"metric": "accuracy", "start": "2020-01-01", "end": "2020-02-01"}

    result = call_tool(workspace.store, "search_runs", arguments)

    assert result["metric"] == "accuracy"
    assert result["runs"] == []
    assert result["total"] == 0


def test_search_unknown_metric_suggests(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'accuracy'"):
        call_tool(workspace.store, "search_runs", {"experiment": "vision", "metric": "acuracy"})


# --- list_experiments ------------------------------------------------------------------------


def expected_experiments(workspace: Workspace) -> list[dict[str, Any]]:
    result = []
    for name, experiment_id in sorted(workspace.experiment_ids.items()):
        specs = [spec for spec in workspace.runs.values() if spec.experiment == name]
        result.append(
            {
                "experiment_id": experiment_id,
                "name": name,
                "task": EXPERIMENTS.get(name),
                "run_count": len(specs),
                "last_run_at": max((spec.started for spec in specs), default=None),
                "metrics": sorted({key for spec in specs for key in spec.metrics}),
                "source": None,
            }
        )
    return result


def test_list_experiments_statements_same_for_more(workspace: Workspace) -> None:
    before = statements_of(workspace.store, "list_experiments", {})
    for index in range(3):
        name = f"extra-{index}"
        experiment_id = add_experiment(workspace.store, name)
        add_run(workspace.store, experiment_id, f"{name}-run", day(8, 1), {"f1": 0.5})
    after = statements_of(workspace.store, "list_experiments", {})

    assert after == before


def test_list_experiments_matches_specs(workspace: Workspace) -> None:
    empty_id = add_experiment(workspace.store, "empty")
    workspace.experiment_ids["empty"] = empty_id

    result = call_tool(workspace.store, "list_experiments", {})

    assert result["experiments"] == expected_experiments(workspace)


def test_list_experiments_of_task(workspace: Workspace) -> None:
    result = call_tool(workspace.store, "list_experiments", {"task": "fraud-detection"})

    assert [e["name"] for e in result["experiments"]] == ["fraud"]


# --- resolving run references ----------------------------------------------------------------


def test_resolve_runs_keeps_order(workspace: Workspace) -> None:
    references = ["mlp", workspace.run_id("svc-rbf"), "Rf-200", workspace.run_id("logreg")[:12]]

    with workspace.store.session() as session:
        runs = resolve_runs(session, references)

    assert [run.name for run in runs] == ["mlp", "svc-rbf", "rf-200", "logreg"]


def test_resolve_id_wins_over_name(workspace: Workspace) -> None:
    target = workspace.run_id("svc-rbf")
    add_run(workspace.store, workspace.experiment_ids["vision"], target, day(8, 2), {})

    with workspace.store.session() as session:
        runs = resolve_runs(session, [target])

    assert [run.name for run in runs] == ["svc-rbf"]


def test_resolve_same_name_is_ambiguous(workspace: Workspace) -> None:
    add_run(workspace.store, workspace.experiment_ids["fraud"], "SVC-RBF", day(8, 3), {})

    with workspace.store.session() as session, pytest.raises(NotFoundError) as raised:
        resolve_runs(session, ["mlp", "svc-rbf"])

    assert "'svc-rbf' matches several runs" in str(raised.value)


def test_resolve_unknown_name_suggests(workspace: Workspace) -> None:
    with workspace.store.session() as session, pytest.raises(NotFoundError) as raised:
        resolve_runs(session, ["svc-rbf", "rf-2000"])

    assert "no run named 'rf-2000'; did you mean 'rf-200'" in str(raised.value)


def test_resolve_blames_reference_with_many_matches(workspace: Workspace) -> None:
    # Twelve runs named "sweep" fill the row limit of one batched lookup. That can cut off the
    # row of "late", stored after them, but the error must still be about "sweep".
    vision = workspace.experiment_ids["vision"]
    for index in range(12):
        add_run(workspace.store, vision, "sweep", day(6, index + 1), {})
    add_run(workspace.store, vision, "late", day(6, 20), {})

    with workspace.store.session() as session, pytest.raises(NotFoundError) as raised:
        resolve_runs(session, ["late", "sweep"])

    message = str(raised.value)
    assert message.startswith("'sweep' matches several runs: ")
    assert message.count("sweep (") == 5
