"""Tasks, metrics, metric directions and languages in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.vocabulary import (
    METRIC_DIRECTIONS,
    METRIC_SYNONYMS,
    TASK_SYNONYMS,
    canonical_metric,
    detect_language,
    find_metric,
    find_task,
    infer_task,
    metric_direction,
)


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("best image classifier in the last three months", "image-classification"),
        ("which vision model is in production", "image-classification"),
        ("cnn on images", "image-classification"),
        ("上个季度准确率最高的图像分类模型", "image-classification"),
        ("图片分类", "image-classification"),
        ("fraud models", "fraud-detection"),
        ("反欺诈模型的召回率", "fraud-detection"),
        ("诈骗检测", "fraud-detection"),
        ("customer churn runs", "churn-prediction"),
        ("客户流失预测模型", "churn-prediction"),
        ("sentiment classifiers", "sentiment-analysis"),
        ("情绪分析", "sentiment-analysis"),
        ("spam filter accuracy", "text-classification"),
        ("demand forecasting", "forecasting"),
        ("销量预测模型", "forecasting"),
        ("recommender systems", "recommendation"),
        ("object detection with yolo", "object-detection"),
        ("trading signals", "trading-signal"),
        ("交易信号模型", "trading-signal"),
        ("stock price prediction", "trading-signal"),  # longer than "price prediction"
        ("house price regressor", "regression"),
        ("wine quality", "tabular-classification"),
        ("anomaly detection on sensors", "anomaly-detection"),
        ("异常检测", "anomaly-detection"),
        ("k-means clustering", "clustering"),
        ("image-classification", "image-classification"),
    ],
)
def test_find_task(text: str, task: str) -> None:
    assert find_task(text) == task


@pytest.mark.parametrize(
    "text",
    [
        "预测模型",  # bare "prediction" names no task
        "best model overall",
        "show me the XGBoost models",
        "logistic regression on reviews",  # an algorithm, not a regression task
        "CNN model",
        "运行异常的流水线",  # a failed run, not anomaly detection
        "",
    ],
)
def test_find_task_none(text: str) -> None:
    assert find_task(text) is None


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("card-fraud-xgb", "fraud-detection"),
        ("Fraud_Detection_Experiment", "fraud-detection"),
        ("FraudDetectionModel", "fraud-detection"),
        ("credit-fraud-detection-hpo-xgboost", "fraud-detection"),
        ("mlops-customer-churn", "churn-prediction"),
        ("ChurnModel", "churn-prediction"),
        ("sentiment-logreg", "sentiment-analysis"),
        ("sentiment_classifier", "sentiment-analysis"),
        ("digits-classifier", "image-classification"),
        ("trading_signals_cnn", "trading-signal"),
        ("iris_logistic_regression", "tabular-classification"),
        ("demand_forecast_prophet", "forecasting"),
    ],
)
def test_infer_task_from_name(name: str, task: str) -> None:
    assert infer_task([name], {}, {}) == task


def test_infer_task_model_under_experiment() -> None:
    assert infer_task(["RF_200_10", "Customer-Churn-Classifier"], {}, {}) == "churn-prediction"


def test_infer_task_first_name_wins() -> None:
    assert infer_task(["fraud-xgb", "churn-experiments"], {}, {}) == "fraud-detection"


def test_infer_task_explicit_tag_wins() -> None:
    tags = {"task": "Fraud Detection"}
    assert infer_task(["churn-model"], tags, {}) == "fraud-detection"


def test_infer_task_unknown_explicit_tag_slugified() -> None:
    assert infer_task(["churn-model"], {"task_type": "Protein Folding"}, {}) == "protein-folding"


def test_infer_task_from_source_tag() -> None:
    tags = {"mlflow.source.name": r"c:\Users\me\mlops-customer-churn\src\train_model.py"}
    assert infer_task(["RF_200_10"], tags, {}) == "churn-prediction"


def test_infer_task_from_param_value() -> None:
    assert infer_task(["model"], {}, {"dataset": "data/creditcard_fraud.csv"}) == (
        "fraud-detection"
    )


def test_infer_task_ignores_user_tag() -> None:
    assert infer_task(["CNN"], {"mlflow.user": "wine_lover"}, {}) is None


def test_infer_task_without_clues() -> None:
    assert infer_task(["model", "CNN model"], {"CNN": "conv2_filters32"}, {"epochs": "50"}) is None


def _experiment_names(mlruns: Path) -> list[str]:
    names = []
    for meta in sorted(mlruns.glob("*/meta.yaml")):
        name = yaml.safe_load(meta.read_text(encoding="utf-8")).get("name")
        if isinstance(name, str) and name != "Default":
            names.append(name)
    return names


@pytest.mark.parametrize(
    ("folder", "task"),
    [
        ("CriscaosMetOsp__ML_UdeM_Fraud_Detection", "fraud-detection"),
        ("yijing0612__mlops-customer-churn", "churn-prediction"),
        ("suhailchougle__capstone", None),  # only a Default experiment: no name to go on
        # The Keras trading project names its experiments "CNN model" and "MLP model", and
        # neither name mentions trading.
        ("arantzaghg__Proyecto_3_Deep_Learning", None),
    ],
)
def test_infer_task_real_experiments(realdata: Path, folder: str, task: str | None) -> None:
    mlruns = realdata / "mlruns" / folder / "mlruns"
    registered = sorted(path.name for path in (mlruns / "models").glob("*") if path.is_dir())
    if folder == "suhailchougle__capstone":
        assert registered == ["sentiment_classifier"]
        assert infer_task(registered, {}, {}) == "sentiment-analysis"
    assert infer_task(_experiment_names(mlruns), {}, {}) == task


def test_every_task_synonym_finds_its_task() -> None:
    for task, phrases in TASK_SYNONYMS.items():
        for phrase in phrases:
            assert find_task(phrase) == task, phrase


@pytest.mark.parametrize(
    ("key", "metric"),
    [
        ("val_accuracy", "accuracy"),
        ("validation_accuracy", "accuracy"),
        ("test_acc", "accuracy"),
        ("准确率", "accuracy"),
        ("精度", "accuracy"),
        ("f1_score", "f1"),
        ("F1分数", "f1"),
        ("f1_macro", "f1"),
        ("roc_auc", "auc"),
        ("pr_auc_cv", "pr_auc"),
        ("查准率", "precision"),
        ("查全率", "recall"),
        ("val_loss", "loss"),
        ("损失", "loss"),
        ("mean_squared_error", "mse"),
        ("neg_mean_squared_error", "mse"),
        ("均方根误差", "rmse"),
        ("r2_score", "r2"),
        ("延迟", "latency"),
        ("错误率", "error_rate"),
        ("log_loss", "log_loss"),
        ("accuracy_std", None),  # a spread is not the metric
        ("total_fraud", None),
    ],
)
def test_canonical_metric(key: str, metric: str | None) -> None:
    assert canonical_metric(key) == metric


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("val_accuracy", "max"),
        ("test_f1", "max"),
        ("roc_auc", "max"),
        ("r2", "max"),
        ("recall", "max"),
        ("mean_squared_error", "min"),
        ("training_loss", "min"),
        ("validation_loss", "min"),
        ("eval_rmse", "min"),
        ("fit_time", "min"),
        ("log_loss", "min"),
        ("error_rate", "min"),
        ("neg_mean_squared_error", "max"),  # scikit-learn negates errors so higher is better
        ("p95_latency_ms", "min"),
        ("false_positive_rate", "min"),
        ("eval_smape", "min"),
        ("peak_memory_mb", "min"),
        ("valLoss", "min"),
        ("损失", "min"),
        ("验证损失", "min"),
        ("准确率", "max"),
        ("total_fraud", "max"),  # unknown: the default
        ("explained_variance", "max"),
    ],
)
def test_metric_direction(key: str, direction: str) -> None:
    assert metric_direction(key) == direction


def test_metric_directions_cover_every_metric() -> None:
    assert set(METRIC_DIRECTIONS) == set(METRIC_SYNONYMS)
    for metric, direction in METRIC_DIRECTIONS.items():
        assert metric_direction(metric) == direction, metric


STORE_KEYS = [
    "accuracy",
    "val_accuracy",
    "validation_accuracy",
    "train_accuracy",
    "loss",
    "val_loss",
    "f1_score",
    "precision",
    "recall",
    "roc_auc",
    "pr_auc",
    "pr_auc_cv",
]


@pytest.mark.parametrize(
    ("request_text", "key"),
    [
        ("best accuracy", "accuracy"),
        ("highest val_accuracy", "val_accuracy"),  # written out: exact key
        ("validation accuracy", "validation_accuracy"),
        ("highest acc", "accuracy"),
        ("准确率最高", "accuracy"),
        ("验证集准确率最高", "val_accuracy"),
        ("F1分数最高的模型", "f1_score"),
        ("top AUC", "roc_auc"),
        ("best pr auc", "pr_auc"),
        ("lowest loss", "loss"),
        ("最低的损失", "loss"),
        ("召回率", "recall"),
        ("精确率", "precision"),
        ("best model", None),
        ("highest r2", None),  # known metric, but the store has no r2 key
    ],
)
def test_find_metric(request_text: str, key: str | None) -> None:
    assert find_metric(request_text, STORE_KEYS) == key


def test_find_metric_prefers_held_out_split() -> None:
    keys = ["train_accuracy", "val_accuracy", "test_accuracy"]
    assert find_metric("best accuracy", keys) == "test_accuracy"
    assert find_metric("best accuracy", keys[:2]) == "val_accuracy"
    assert find_metric("best accuracy", keys[:1]) == "train_accuracy"


def test_find_metric_requested_split() -> None:
    keys = ["accuracy", "train_accuracy", "test_accuracy"]
    assert find_metric("training accuracy", keys) == "train_accuracy"
    assert find_metric("测试集准确率", keys) == "test_accuracy"


def test_find_metric_variants_ordered() -> None:
    assert find_metric("best f1", ["f1_weighted", "f1_macro"]) == "f1_macro"
    assert find_metric("best f1", ["f1_weighted", "f1_macro", "f1"]) == "f1"


def test_find_metric_one_letter_key_ignored() -> None:
    assert find_metric("r and accuracy", ["r", "accuracy"]) == "accuracy"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("best fraud model last month", "en"),
        ("上个月最好的模型", "zh"),
        ("last 7 days的模型", "zh"),
        ("accuracy of model v2 (准确率)", "zh"),
        ("", "en"),
        ("café déjà vu", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
