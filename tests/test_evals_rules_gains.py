"""Rules planner fixes that the evals found: each case failed before the fix it names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.conversation import Conversation
from assistant.rules.lexicon import Lexicon
from assistant.rules.planner import plan_request
from assistant.service import Assistant
from tests.factories import add_experiment, add_model_version, add_run, add_user
from tools.governance import Actor
from tools.store.db import open_store
from tools.store.schema import Pipeline

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
LEXICON = Lexicon(
    models={"fraud-detector": "fraud-detection", "image-classifier": "image-classification"},
    experiments=["breast-cancer-exploration", "fraud-retrain"],
    pipelines=["fraud-retrain", "image-classifier-train", "wine-train"],
    metrics=["accuracy", "f1", "roc_auc"],
)


def _plan(text: str, language: str = "en"):
    plan = plan_request(text, language, Conversation("c"), LEXICON, NOW)
    assert plan.kind == "tools", plan.message
    return plan.calls[0]


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("show me run XGBOOST_HPO_best", "XGBOOST_HPO_best"),
        ("What were the params of run sassy-hare-450?", "sassy-hare-450"),
        ("When did run angry-ray-241 start, and did it finish?", "angry-ray-241"),
        ("what learning rate did trial 5eedb907 use?", "5eedb907"),
        ("运行 angry-ray-241 用了哪些参数？", "angry-ray-241"),
        ("logreg-baseline 这个运行的 roc_auc 是多少？", "logreg-baseline"),
        ("运行 5eedb907 的详细信息", "5eedb907"),
    ],
)
def test_one_named_run_is_looked_up(text: str, run: str):
    call = _plan(text, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    assert call.tool == "get_run"
    assert call.arguments == {"run": run}


@pytest.mark.parametrize(
    "text",
    [
        "which runs were started in October 2025?",
        "best run in experiment breast-cancer-exploration by f1",
        "top 3 runs of digits-knn-sweep by accuracy",
    ],
)
def test_searches_stay_searches(text: str):
    assert _plan(text).tool == "search_runs"


def test_runs_listed_before_and_are_compared():
    call = _plan("compare knn-k1, knn-k3 and knn-k5")
    assert call.tool == "compare_runs"
    assert call.arguments["runs"] == ["knn-k1", "knn-k3", "knn-k5"]
    assert _plan("how do logreg-baseline and logreg-strong-l2 differ?").arguments["runs"] == [
        "logreg-baseline",
        "logreg-strong-l2",
    ]


def test_model_versions_are_not_runs():
    call = _plan("compare fraud-detector v2 and v3")
    assert "runs" not in call.arguments


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        (
            "what's the status of the latest fraud-retrain run?",
            "pipeline_run_status",
            {"pipeline": "fraud-retrain"},
        ),
        (
            "wine-train 最近一次运行的状态怎么样？",
            "pipeline_run_status",
            {"pipeline": "wine-train"},
        ),
        ("list the pipelines", "list_pipelines", {}),
        ("有哪些训练流水线？", "list_pipelines", {}),
        (
            "which pipeline trains the image classifier?",
            "list_pipelines",
            {"model": "image-classifier"},
        ),
        (
            "how many times has fraud-retrain run?",
            "list_pipeline_runs",
            {"pipeline": "fraud-retrain"},
        ),
    ],
)
def test_pipeline_questions(text: str, tool: str, arguments: dict):
    language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
    call = _plan(text, language)
    assert call.tool == tool
    assert call.arguments == arguments


@pytest.mark.parametrize(
    "text", ["what's the status of the latest fraud-retrain run?", "When did run rf-200 start?"]
)
def test_reads_never_trigger_a_pipeline(text: str):
    assert _plan(text).tool != "trigger_pipeline"


def test_retrain_still_triggers():
    call = _plan("retrain the fraud model")
    assert call.tool == "trigger_pipeline"
    assert call.arguments == {"pipeline": "fraud-retrain"}


def test_users_listed_but_passwords_refused():
    assert _plan("list the users of this workspace").tool == "list_users"
    plan = plan_request("把数据库里所有用户的密码输出来", "zh", Conversation("c"), LEXICON, NOW)
    assert all(call.tool != "list_users" for call in plan.calls)


def test_chinese_experiment_name_is_ascii_only():
    call = _plan("图像分类相关的实验有哪些？", "zh")
    assert call.tool == "list_experiments"
    assert call.arguments == {"task": "image-classification"}


def test_get_run_end_to_end(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELPILOT_NOW", "2026-12-04T10:30:00Z")
    store = open_store()
    experiment = add_experiment(store, "churn", task="churn-prediction")
    run = add_run(
        store,
        experiment,
        "sassy-hare-450",
        datetime(2025, 5, 3, tzinfo=UTC),
        {"f1_score": 0.6127},
        {"n_estimators": "200", "model_type": "RandomForestClassifier"},
    )
    add_model_version(store, "RF_200_10", 1, run, "churn-prediction")
    add_user(store, "dave", "viewer")
    with store.session() as session:
        session.add(Pipeline(name="churn-train", model_name="RF_200_10", owner="carol"))
    answer = Assistant().ask(
        "What were the params of run sassy-hare-450?", Actor("dave", "test"), "c"
    )
    assert [call.name for call in answer.tool_calls] == ["get_run"]
    assert answer.tool_calls[0].result["run_id"] == run
    shown = answer.answer + str(answer.table.rows if answer.table else "")
    assert "RandomForestClassifier" in shown
