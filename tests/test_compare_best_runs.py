""" "Compare the two best X runs": the rules planner ranks the runs, then compares the top ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.service import Assistant
from tests.factories import add_experiment, add_run
from tools.governance import Actor
from tools.settings import get_settings
from tools.store.db import open_store

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ACCURACY = {"svc-rbf": 0.979, "rf-200": 0.958, "logreg": 0.951, "knn-k3": 0.93}


@pytest.fixture
def assistant() -> Assistant:
    settings = get_settings()
    store = open_store(settings)
    # The runs carry a narrower task than their experiment, as in the demo workspace.
    experiment = add_experiment(store, "breast-cancer-exploration", task="tabular-classification")
    for offset, (name, accuracy) in enumerate(ACCURACY.items()):
        add_run(
            store,
            experiment,
            name,
            STARTED + timedelta(hours=offset),
            {"accuracy": accuracy},
            params={"model_family": name.split("-")[0]},
            task="tumor-classification",
        )
    churn = add_experiment(store, "churn-train", task="churn-prediction")
    add_run(store, churn, "gbm-churn", STARTED, {"accuracy": 0.81})
    return Assistant(settings, store)


@pytest.mark.parametrize(
    ("request_text", "compared"),
    [
        ("compare the two best breast cancer runs", ["svc-rbf", "rf-200"]),
        ("compare the top three breast cancer runs", ["svc-rbf", "rf-200", "logreg"]),
        ("比较乳腺癌最好的两个运行", ["svc-rbf", "rf-200"]),
    ],
)
def test_compare_best_runs_ranks_first(
    assistant: Assistant, request_text: str, compared: list[str]
) -> None:
    answer = assistant.ask(request_text, Actor("dave", "cli"))
    assert [(call.name, call.status) for call in answer.tool_calls] == [
        ("search_runs", "ok"),
        ("compare_runs", "ok"),
    ]
    runs = answer.tool_calls[1].result["runs"]  # type: ignore[index]
    assert [run["name"] for run in runs] == compared
    assert "svc-rbf" in answer.answer


def test_search_matches_experiment_task(assistant: Assistant) -> None:
    answer = assistant.ask("best breast cancer run", Actor("dave", "cli"))
    assert [call.name for call in answer.tool_calls] == ["search_runs"]
    assert "svc-rbf" in answer.answer
    assert "0.979" in answer.answer


def test_compare_best_single_run(assistant: Assistant) -> None:
    answer = assistant.ask("compare the two best churn runs", Actor("dave", "cli"))
    assert [call.name for call in answer.tool_calls] == ["search_runs"]
    assert "gbm-churn" in answer.answer
