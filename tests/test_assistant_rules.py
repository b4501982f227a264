"""The rules planner end to end through the Assistant, in English and Chinese."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.service import Assistant
from tests.factories import add_experiment, add_model_version, add_run, add_user
from tools.governance import Actor
from tools.store.db import open_store

DAVE = Actor("dave", "test")


@pytest.fixture
def assistant(monkeypatch: pytest.MonkeyPatch) -> Assistant:
    monkeypatch.setenv("MODELPILOT_NOW", "2026-12-04T10:30:00Z")
    store = open_store()
    vision = add_experiment(store, "digits-vision", task="image-classification")
    fraud = add_experiment(store, "card-fraud", task="fraud-detection")
    svc = add_run(
        store,
        vision,
        "svc-rbf",
        datetime(2026, 11, 20, tzinfo=UTC),
        {"accuracy": 0.981, "val_loss": [0.9, 0.4, 0.2]},
        {"model": "svc", "C": "3"},
    )
    forest = add_run(
        store,
        vision,
        "rf-200",
        datetime(2026, 10, 2, tzinfo=UTC),
        {"accuracy": 0.962, "val_loss": [1.0, 0.5, 0.3]},
        {"model": "rf", "C": "3"},
    )
    add_run(
        store,
        vision,
        "logreg-old",
        datetime(2026, 5, 2, tzinfo=UTC),
        {"accuracy": 0.99},
        {"model": "lr"},
    )
    add_run(
        store,
        vision,
        "crashed",
        datetime(2026, 11, 25, tzinfo=UTC),
        {},
        {"model": "svc"},
        status="FAILED",
    )
    xgb = add_run(
        store, fraud, "xgb", datetime(2026, 11, 10, tzinfo=UTC), {"roc_auc": 0.93}, {"model": "xgb"}
    )
    add_model_version(store, "image-classifier", 1, forest, "image-classification")
    add_model_version(store, "image-classifier", 2, svc, "image-classification", ("production",))
    add_model_version(store, "fraud-detector", 1, xgb, "fraud-detection", ("production",))
    add_user(store, "dave", "viewer")
    return Assistant()


def _call(answer):
    assert answer.tool_calls, answer.answer
    return answer.tool_calls[0]


@pytest.mark.parametrize(
    "question",
    [
        "what is our best image classifier from the last three months?",
        "最近三个月表现最好的图像分类模型是哪个？",
    ],
)
def test_best_image_classifier_in_window(assistant, question):
    answer = assistant.ask(question, DAVE, "c")
    call = _call(answer)
    assert call.name == "search_runs"
    assert call.arguments["task"] == "image-classification"
    assert call.arguments["metric"] == "accuracy"
    assert call.result["runs"][0]["name"] == "svc-rbf"
    assert "0.981" in answer.answer
    assert "image-classifier v2" in answer.answer
    assert answer.planner == "rules"
    assert answer.language == ("zh" if "最近" in question else "en")


def test_ordinal_follow_up(assistant):
    assistant.ask("best image classifier in the last 3 months", DAVE, "c")
    answer = assistant.ask("and the second best?", DAVE, "c")
    assert "rf-200" in answer.answer
    assert "0.962" in answer.answer


def test_period_follow_up_in_chinese(assistant):
    assistant.ask("最近三个月最好的图像分类模型", DAVE, "c")
    answer = assistant.ask("那上个月的呢？", DAVE, "c")
    call = _call(answer)
    assert call.arguments["period"] == "上个月"
    assert call.result["total"] == 1
    assert call.result["window"]["start"].startswith("2026-11-01")


def test_failed_runs_this_year(assistant):
    answer = assistant.ask("show failed runs this year", DAVE, "c")
    call = _call(answer)
    assert call.arguments["status"] == "FAILED"
    assert [run["name"] for run in call.result["runs"]] == ["crashed"]


def test_compare_two_named_runs(assistant):
    answer = assistant.ask("compare run svc-rbf and run rf-200", DAVE, "c")
    call = _call(answer)
    assert call.name == "compare_runs"
    assert list(call.result["params_differing"]) == ["model"]
    assert "1 params differ" in answer.answer


def test_compare_in_chinese(assistant):
    answer = assistant.ask("比较运行 svc-rbf 和 rf-200 的区别", DAVE, "c")
    assert _call(answer).name == "compare_runs"
    assert "参数不同" in answer.answer


def test_metric_history(assistant):
    answer = assistant.ask("show the val_loss curve of run rf-200", DAVE, "c")
    call = _call(answer)
    assert call.name == "metric_history"
    assert len(call.result["points"]) == 3
    assert answer.chart is not None


def test_out_of_scope_is_refused_without_tool_call(assistant):
    for question in ("what's the weather in Paris?", "帮我写一首诗"):
        answer = assistant.ask(question, DAVE, "c")
        assert answer.tool_calls == []
        assert answer.answer


def test_unknown_experiment_gets_did_you_mean(assistant):
    answer = assistant.ask("best run in experiment 'digits-visoin' by accuracy", DAVE, "c")
    assert "did you mean 'digits-vision'" in answer.answer


def test_mutation_needs_confirmation_and_viewer_is_denied(assistant):
    answer = assistant.ask("roll back the fraud model", DAVE, "c")
    call = _call(answer)
    assert call.name == "rollback_model"
    assert call.status in ("denied", "error")
    assert answer.needs_confirmation is None


def test_json_contract_keys(assistant):
    answer = assistant.ask("list experiments", DAVE, "c")
    data = answer.to_json()
    for key in (
        "question",
        "answer",
        "language",
        "planner",
        "tool_calls",
        "citations",
        "needs_confirmation",
        "latency_ms",
    ):
        assert key in data
    assert set(data["tool_calls"][0]) >= {"name", "arguments", "status", "result"}


def test_new_question_after_other_tool_is_not_a_follow_up(assistant):
    assistant.ask("list experiments", DAVE, "c")
    answer = assistant.ask("最近三个月表现最好的图像分类模型是哪个？", DAVE, "c")
    call = _call(answer)
    assert call.name == "search_runs"
    assert call.arguments["task"] == "image-classification"


def test_register_as_new_name_containing_known_model(assistant):
    answer = assistant.ask("register run svc-rbf as model image-classifier-best", DAVE, "c")
    call = _call(answer)
    assert call.name == "register_model_version"
    assert call.arguments["model"] == "image-classifier-best"
