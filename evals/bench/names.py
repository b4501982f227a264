"""Names and distributions of the synthetic workspace: tasks, metrics, model families, params."""

from __future__ import annotations

from dataclasses import dataclass

from tools.vocabulary import TASK_SYNONYMS

# Relative share of experiments per task; a task missing here gets weight 1, so a task added
# to the vocabulary still appears in the workspace.
TASK_WEIGHTS: dict[str, float] = {
    "fraud-detection": 12, "churn-prediction": 10, "image-classification": 10,
    "tabular-classification": 9, "text-classification": 7, "regression": 7, "forecasting": 7,
    "sentiment-analysis": 6, "credit-risk": 6, "recommendation": 5, "anomaly-detection": 5,
    "object-detection": 4, "named-entity-recognition": 3, "image-segmentation": 2,
    "text-generation": 2, "machine-translation": 2, "speech-recognition": 2,
    "trading-signal": 2, "clustering": 1,
}  # fmt: skip

# What kind of problem a task is decides its metrics and model families.
TASK_FAMILY: dict[str, str] = {
    "regression": "regression", "forecasting": "forecasting", "trading-signal": "regression",
    "recommendation": "ranking", "object-detection": "detection",
    "image-segmentation": "detection", "text-generation": "generation",
    "machine-translation": "generation", "clustering": "clustering",
}  # fmt: skip

# Metrics logged once at the end of a run, per family. Every run also logs the curves.
FINAL_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "f1", "roc_auc", "precision", "recall"),
    "regression": ("rmse", "mae", "r2"),
    "forecasting": ("rmse", "mape", "mae"),
    "ranking": ("ndcg_at_10", "recall_at_20", "map_at_10"),
    "detection": ("map_50", "iou", "recall"),
    "generation": ("perplexity", "bleu"),
    "clustering": ("silhouette",),
}
CURVE_METRICS = ("train_loss", "val_loss")

MODEL_FAMILIES: dict[str, tuple[str, ...]] = {
    "image-classification": ("resnet50", "efficientnet_b0", "vit_small", "mobilenet_v3"),
    "object-detection": ("yolov8", "faster_rcnn", "detr"),
    "image-segmentation": ("unet", "deeplabv3", "mask_rcnn"),
    "text-classification": ("distilbert", "bert_base", "tfidf_logreg", "fasttext"),
    "sentiment-analysis": ("distilbert", "roberta_base", "tfidf_logreg"),
    "named-entity-recognition": ("bert_crf", "spacy_ner", "bilstm_crf"),
    "text-generation": ("gpt2_small", "t5_small"),
    "machine-translation": ("marian", "t5_small"),
    "speech-recognition": ("wav2vec2", "whisper_tiny"),
    "forecasting": ("lightgbm", "prophet", "deepar", "arima"),
    "recommendation": ("two_tower", "lightfm", "als"),
    "clustering": ("kmeans", "hdbscan", "gmm"),
}
TABULAR_FAMILIES = (
    "xgboost", "lightgbm", "random_forest", "logistic_regression", "catboost", "mlp",
)  # fmt: skip

# The registered model name for each task; variants add a region or product suffix.
MODEL_STEMS: dict[str, str] = {
    "fraud-detection": "fraud-detector", "churn-prediction": "churn-predictor",
    "image-classification": "image-classifier", "tabular-classification": "wine-quality",
    "text-classification": "spam-filter", "sentiment-analysis": "sentiment-classifier",
    "credit-risk": "credit-risk-scorer", "regression": "price-regressor",
    "forecasting": "demand-forecaster", "recommendation": "product-recommender",
    "anomaly-detection": "anomaly-detector", "object-detection": "object-detector",
    "named-entity-recognition": "entity-tagger", "image-segmentation": "image-segmenter",
    "text-generation": "text-generator", "machine-translation": "translator",
    "speech-recognition": "speech-recognizer", "trading-signal": "trading-signal-model",
    "clustering": "customer-segmenter",
}  # fmt: skip
MODEL_SUFFIXES = (
    "", "-eu", "-us", "-apac", "-mobile", "-web", "-b2b", "-retail", "-lite", "-latam",
    "-cards", "-payments", "-realtime", "-batch",
)  # fmt: skip
DATASET_WORDS = (
    "cards", "payments", "telco", "retail", "web", "mobile", "emea", "na", "q-sample",
    "baseline", "sweep", "ablation", "tuning", "refresh", "holdout", "backfill",
)  # fmt: skip

USERS = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
    "wendy", "yuki", "zhang.wei", "li.na", "wang.fang",
)  # fmt: skip
ROLES = {"alice": "admin", "bob": "approver", "carol": "editor", "dave": "viewer"}

ADJECTIVES = (
    "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lively", "mighty",
    "nimble", "proud", "quiet", "rapid", "shy", "swift", "tidy", "vivid", "witty", "zesty",
)  # fmt: skip
NOUNS = (
    "ant", "bat", "cat", "deer", "eel", "fox", "gnu", "hawk", "ibis", "jay", "koala", "lynx",
    "mole", "newt", "owl", "puma", "quail", "ram", "seal", "toad", "wolf", "yak",
)  # fmt: skip


@dataclass(frozen=True)
class TaskInfo:
    """One task of the synthetic workspace with what its runs log."""

    name: str
    weight: float
    family: str
    final_metrics: tuple[str, ...]
    model_families: tuple[str, ...]
    model_stem: str


def tasks() -> list[TaskInfo]:
    """Return every task of the vocabulary, in the vocabulary's order."""
    result = []
    for name in TASK_SYNONYMS:
        family = TASK_FAMILY.get(name, "classification")
        result.append(
            TaskInfo(
                name=name,
                weight=TASK_WEIGHTS.get(name, 1.0),
                family=family,
                final_metrics=FINAL_METRICS[family],
                model_families=MODEL_FAMILIES.get(name, TABULAR_FAMILIES),
                model_stem=MODEL_STEMS.get(name, f"{name}-model"),
            )
        )
    return result
