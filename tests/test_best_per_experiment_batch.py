"""best_run_per_experiment: one ranking query over all experiments, checked against Python."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.factories import add_experiment, add_model_version, add_run
from tests.statements import counted_statements
from tools.governance import Actor, Governor
from tools.store.db import Store, open_store
from tools.store.schema import Experiment, Run
from tools.tracking import queries

NOW = "2026-12-04T10:30:00Z"
VIEWER = Actor("dave", "test")
SINCE = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class RunSpec:
    experiment: str
    name: str
    started: datetime
    metrics: dict[str, float | list[float]]
    status: str = "FINISHED"
    task: str | None = None
    deleted: bool = False
    run_id: str = ""


@dataclass
class Workspace:
    store: Store
    experiment_ids: dict[str, str]
    experiment_tasks: dict[str, str | None]
    deleted_experiments: set[str]
    runs: list[RunSpec] = field(default_factory=list)


def day(month: int, number: int, year: int = 2026) -> datetime:
    return datetime(year, month, number, tzinfo=UTC)


EXPERIMENTS: dict[str, str | None] = {
    "a-vision": "image-classification",
    "b-fraud": "fraud-detection",
    "c-only-deleted": "fraud-detection",
    "d-old": "image-classification",
    "e-no-accuracy": "image-classification",
    "f-archived": "image-classification",
    "g-untasked": None,
}
RUNS = [
    RunSpec("a-vision", "v-old-best", day(6, 1), {"accuracy": 0.95, "val_loss": [0.9, 0.5, 0.2]}),
    RunSpec("a-vision", "v-tie-late", day(11, 20), {"accuracy": 0.93, "val_loss": 0.4}),
    RunSpec("a-vision", "v-tie-early", day(11, 10), {"accuracy": 0.93, "val_loss": 0.4}),
    RunSpec("a-vision", "v-failed-low", day(11, 25), {"accuracy": 0.80}, status="FAILED"),
    RunSpec("a-vision", "v-no-accuracy", day(11, 30), {"val_loss": 0.3}),
    RunSpec("a-vision", "v-deleted", day(11, 28), {"accuracy": 0.99}, deleted=True),
    # Same value and start time: only the run id can order them.
    RunSpec("b-fraud", "f-twin-1", day(10, 5), {"accuracy": 0.90, "roc_auc": 0.97}),
    RunSpec("b-fraud", "f-twin-2", day(10, 5), {"accuracy": 0.90, "roc_auc": 0.96}),
    # The run's own task differs from its experiment's: the task filter looks at experiments.
    RunSpec("b-fraud", "f-other-task", day(3, 3), {"accuracy": 0.85}, task="image-classification"),
    RunSpec("c-only-deleted", "c-gone", day(11, 1), {"accuracy": 0.99}, deleted=True),
    RunSpec("d-old", "d-last-year", day(1, 1, 2025), {"accuracy": 0.70, "val_loss": 1.5}),
    RunSpec("e-no-accuracy", "e-f1", day(11, 1), {"f1": 0.5}),
    RunSpec("f-archived", "f-hidden", day(11, 1), {"accuracy": 1.0}),
    RunSpec("g-untasked", "g-only", day(11, 2), {"accuracy": 0.60}),
]


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv("MODELPILOT_NOW", NOW)
    store = open_store()
    ids = {name: add_experiment(store, name, task=task) for name, task in EXPERIMENTS.items()}
    built = Workspace(store, ids, dict(EXPERIMENTS), {"f-archived"})
    for spec in RUNS:
        run = RunSpec(**vars(spec))
        run.run_id = add_run(
            store,
            ids[run.experiment],
            run.name,
            run.started,
            run.metrics,
            status=run.status,
            task=run.task,
        )
        built.runs.append(run)
    with store.session() as session:
        for run in built.runs:
            if run.deleted:
                stored = session.get(Run, run.run_id)
                assert stored is not None
                stored.lifecycle_stage = "deleted"
                session.add(stored)
        archived = session.get(Experiment, ids["f-archived"])
        assert archived is not None
        archived.lifecycle_stage = "deleted"
        session.add(archived)
    tie_late = next(r for r in built.runs if r.name == "v-tie-late")
    add_model_version(store, "vision-model", 1, tie_late.run_id, aliases=("production",))
    yield built
    store.release()


def expected_best(
    built: Workspace,
    metric: str,
    direction: str,
    task: str | None = None,
    start: datetime | None = None,
) -> list[tuple[str, str | None, float | None]]:
    """Rank the scenario in Python: (experiment, best run name, its value) by experiment name."""
    result = []
    for experiment in sorted(built.experiment_ids):
        if experiment in built.deleted_experiments:
            continue
        if task is not None and built.experiment_tasks[experiment] != task:
            continue
        logged = [r for r in built.runs if r.experiment == experiment and metric in r.metrics]
        if not logged:
            continue
        eligible = [r for r in logged if not r.deleted and (start is None or r.started >= start)]
        if not eligible:
            result.append((experiment, None, None))
            continue
        sign = -1.0 if direction == "max" else 1.0
        best = min(
            eligible,
            key=lambda r: (sign * _latest(r, metric), -r.started.timestamp(), r.run_id),
        )
        result.append((experiment, best.name, _latest(best, metric)))
    return result


def _latest(run: RunSpec, metric: str) -> float:
    value = run.metrics[metric]
    return value[-1] if isinstance(value, list) else value


def best_of(arguments: dict[str, Any]) -> dict[str, Any]:
    outcome = Governor().invoke("best_run_per_experiment", arguments, VIEWER)
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return outcome.result


def rows_of(result: dict[str, Any]) -> list[tuple[str, str | None, float | None]]:
    return [
        (
            entry["experiment"],
            entry["run"]["name"] if entry["run"] else None,
            entry["run"]["metric_value"] if entry["run"] else None,
        )
        for entry in result["best"]
    ]


CASES = [
    ({"metric": "accuracy"}, "max", None, None),
    ({"metric": "accuracy", "order": "min"}, "min", None, None),
    ({"metric": "accuracy", "task": "fraud"}, "max", "fraud-detection", None),
    ({"metric": "accuracy", "start": SINCE.isoformat()}, "max", None, SINCE),
    ({"metric": "val_loss"}, "min", None, None),
    ({"metric": "val_loss", "start": SINCE.isoformat()}, "min", None, SINCE),
    ({"metric": "roc_auc"}, "max", None, None),
]


@pytest.mark.parametrize(("arguments", "direction", "task", "start"), CASES)
def test_best_matches_python_ranking(
    workspace: Workspace,
    arguments: dict[str, Any],
    direction: str,
    task: str | None,
    start: datetime | None,
) -> None:
    result = best_of(arguments)

    assert result["order"] == direction
    assert rows_of(result) == expected_best(workspace, arguments["metric"], direction, task, start)


def test_value_tie_goes_to_latest_start(workspace: Workspace) -> None:
    result = best_of({"metric": "accuracy", "start": SINCE.isoformat()})

    vision = next(entry for entry in result["best"] if entry["experiment"] == "a-vision")
    assert vision["run"]["name"] == "v-tie-late"


def test_full_tie_picks_lowest_id(workspace: Workspace) -> None:
    twins = sorted((r.run_id, r.name) for r in workspace.runs if r.name.startswith("f-twin"))

    result = best_of({"metric": "accuracy"})

    fraud = next(entry for entry in result["best"] if entry["experiment"] == "b-fraud")
    assert fraud["run"]["run_id"] == twins[0][0]


def test_experiment_without_eligible_run_is_kept(workspace: Workspace) -> None:
    result = best_of({"metric": "accuracy", "start": SINCE.isoformat()})

    entries = {entry["experiment"]: entry["run"] for entry in result["best"]}
    assert entries["c-only-deleted"] is None
    assert entries["d-old"] is None
    assert "e-no-accuracy" not in entries
    assert "f-archived" not in entries


def test_summaries_match_search_runs(workspace: Workspace) -> None:
    # search_runs limited to one experiment is the oracle. b-fraud is left out because its two
    # best runs tie fully, and search_runs does not define their order.
    window_start = SINCE
    with workspace.store.session() as session:
        best = queries.best_run_per_experiment(session, "accuracy", "max", start=window_start)
        expected = {}
        for name, experiment_id in workspace.experiment_ids.items():
            query = queries.RunQuery(
                experiment_ids=[experiment_id],
                metric="accuracy",
                direction="max",
                start=window_start,
                limit=1,
            )
            runs, _, _ = queries.search_runs(session, query)
            expected[name] = runs[0] if runs else None

    compared = [(name, run) for name, run in best if name != "b-fraud"]
    assert len(compared) == len(best) - 1
    for name, run in compared:
        assert run == expected[name], name
    vision = dict(best)["a-vision"]
    assert vision is not None
    assert [v.model_dump() for v in vision.model_versions] == [
        {"model": "vision-model", "version": 1, "aliases": ["production"]}
    ]


def test_unknown_metric_is_rejected(workspace: Workspace) -> None:
    outcome = Governor().invoke("best_run_per_experiment", {"metric": "bleu"}, VIEWER)

    assert outcome.status == "error"
    assert outcome.error is not None and "bleu" in outcome.error


def test_other_task_metric_rejected(workspace: Workspace) -> None:
    outcome = Governor().invoke(
        "best_run_per_experiment", {"metric": "f1", "task": "fraud"}, VIEWER
    )

    assert outcome.status == "error"
    assert outcome.error == "no experiment logs the metric 'f1'"


def count_statements(store: Store, arguments: dict[str, Any]) -> int:
    with counted_statements(store) as statements:
        best_of(arguments)
    return len(statements)


def test_statement_count_does_not_grow(workspace: Workspace) -> None:
    arguments = {"metric": "accuracy", "start": SINCE.isoformat()}
    before = count_statements(workspace.store, arguments)

    for number in range(12):
        experiment_id = add_experiment(workspace.store, f"extra-{number:02d}")
        add_run(
            workspace.store, experiment_id, f"extra-run-{number}", day(11, 3), {"accuracy": 0.5}
        )
    after = count_statements(workspace.store, arguments)

    assert len(best_of(arguments)["best"]) == 5 + 12
    assert after == before
