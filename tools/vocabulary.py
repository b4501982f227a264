"""Domain vocabulary shared by the rules planner and the tools: tasks, metrics and languages.

Phrases are matched on a normalised form of the text: lower case, camelCase split into words,
and every character other than ASCII letters, digits and CJK ideographs turned into a space,
so "Fraud_Detection", "fraud-detection" and "FraudDetection" all read "fraud detection".
An English phrase must stand as whole words (a trailing plural "s" or "es" is allowed); a Chinese
phrase may appear anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Literal

Language = Literal["en", "zh"]
Direction = Literal["max", "min"]

__all__ = [
    "METRIC_DIRECTIONS",
    "METRIC_SYNONYMS",
    "TASK_SYNONYMS",
    "TASK_TAG_KEYS",
    "canonical_metric",
    "detect_language",
    "find_metric",
    "find_task",
    "infer_task",
    "metric_direction",
]

# Canonical task name -> phrases that name it. Bare 预测 ("prediction") is left out on purpose:
# 流失预测 is churn and 销量预测 is forecasting, so it names no task alone.
TASK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "image-classification": (
        "image classification", "image classifier", "image recognition", "image model",
        "images", "vision", "computer vision", "cnn on images", "convnet", "digits",
        "digit recognition", "handwritten digits", "mnist", "cifar", "imagenet", "resnet",
        "图像分类", "图像分类模型", "图片分类", "图像识别", "图片识别", "手写数字", "计算机视觉",
    ),
    "object-detection": (
        "object detection", "object detector", "yolo", "bounding box", "目标检测", "物体检测",
    ),
    "image-segmentation": (
        "image segmentation", "semantic segmentation", "instance segmentation", "图像分割",
        "语义分割",
    ),
    "fraud-detection": (
        "fraud", "fraudulent", "fraud detection", "card fraud", "credit card fraud",
        "transaction fraud", "欺诈", "反欺诈", "诈骗", "欺诈检测", "盗刷",
    ),
    "churn-prediction": (
        "churn", "churners", "customer churn", "churn prediction", "attrition",
        "customer retention", "流失", "客户流失", "用户流失", "流失预测", "客户流失预测",
    ),
    "credit-risk": (
        "credit risk", "credit scoring", "credit score", "loan default", "default prediction",
        "信用风险", "信用评分", "违约预测",
    ),
    "sentiment-analysis": (
        "sentiment", "sentiment analysis", "sentiment classifier", "opinion mining", "polarity",
        "情感", "情感分析", "情感分类", "情绪", "情绪分析", "舆情",
    ),
    "text-classification": (
        "text classification", "text classifier", "document classification",
        "topic classification", "intent classification", "spam", "spam filter",
        "spam detection", "news classification", "文本分类", "垃圾邮件", "意图识别", "新闻分类",
    ),
    "named-entity-recognition": (
        "named entity recognition", "ner", "entity extraction", "命名实体识别", "实体识别",
    ),
    "text-generation": ("text generation", "language model", "文本生成", "语言模型"),
    "machine-translation": ("machine translation", "translation model", "机器翻译"),
    "speech-recognition": ("speech recognition", "speech to text", "asr", "语音识别"),
    "regression": (
        "regression", "regressor", "regression model", "price prediction", "house prices",
        "housing prices", "回归", "回归模型", "房价预测",
    ),
    "forecasting": (
        "forecast", "forecasting", "forecaster", "time series", "timeseries",
        "demand forecasting", "sales forecasting", "demand prediction", "预测未来", "时间序列",
        "时序预测", "时间序列预测", "销量预测", "销售预测", "需求预测",
    ),
    "recommendation": (
        "recommendation", "recommender", "recommender system", "recsys",
        "collaborative filtering", "推荐", "推荐系统", "推荐模型", "协同过滤",
    ),
    "trading-signal": (
        "trading", "trading signal", "trading strategy", "algorithmic trading",
        "stock prediction", "stock price prediction", "alpha signal", "交易信号", "量化交易",
        "交易策略", "股票", "股价预测",
    ),
    "tabular-classification": (
        "tabular classification", "tabular classifier", "wine quality", "wine", "iris",
        "breast cancer", "adult income", "bank marketing", "term deposit", "葡萄酒", "鸢尾花",
        "乳腺癌", "表格分类", "银行营销",
    ),
    "anomaly-detection": (
        "anomaly", "anomalies", "anomaly detection", "outlier detection", "outliers",
        "novelty detection", "intrusion detection", "异常检测", "异常值检测", "离群点检测",
    ),
    "clustering": (
        "clustering", "cluster analysis", "customer segmentation", "kmeans", "k means",
        "聚类", "客户分群",
    ),
}  # fmt: skip

# Algorithm names that contain a task word but name no task: logistic regression classifies.
_NOT_TASK_PHRASES = ("logistic regression", "logreg", "逻辑回归")

# Tag keys whose value states the task outright; such a tag wins over every other clue.
TASK_TAG_KEYS = (
    "task", "task_type", "ml_task", "mlflow.task", "modelpilot.task", "problem_type",
    "use_case",
)  # fmt: skip
# MLflow bookkeeping tags that name no task but may contain misleading words.
_IGNORED_TAG_PREFIXES = ("mlflow.user", "mlflow.source.git", "mlflow.log-model", "mlflow.note")

# Canonical metric name -> phrases that name it, in English and Chinese.
METRIC_SYNONYMS: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy", "acc", "准确率", "精度", "正确率", "准确度"),
    "balanced_accuracy": ("balanced accuracy", "平衡准确率"),
    "f1": (
        "f1", "f1 score", "f score", "f measure", "macro f1", "f1分数", "f1值", "f1得分",
    ),
    "auc": ("auc", "roc auc", "auroc", "area under the curve", "auc值"),
    "pr_auc": ("pr auc", "auprc", "average precision", "pr曲线下面积"),
    "precision": ("precision", "精确率", "查准率", "精准率"),
    "recall": ("recall", "sensitivity", "true positive rate", "tpr", "召回率", "查全率", "召回"),
    "loss": ("loss", "损失", "损失值"),
    "log_loss": ("log loss", "logloss", "cross entropy", "对数损失", "交叉熵"),
    "rmse": ("rmse", "root mean squared error", "root mean square error", "均方根误差"),
    "mse": ("mse", "mean squared error", "均方误差"),
    "mae": ("mae", "mean absolute error", "平均绝对误差"),
    "mape": ("mape", "mean absolute percentage error", "平均绝对百分比误差"),
    "r2": ("r2", "r squared", "r2 score", "coefficient of determination", "决定系数", "r方"),
    "error_rate": ("error rate", "error", "错误率", "误差率"),
    "latency": (
        "latency", "inference time", "response time", "延迟", "时延", "响应时间", "推理时间",
        "推理延迟",
    ),
    "throughput": ("throughput", "qps", "requests per second", "吞吐量"),
    "training_time": ("training time", "train time", "fit time", "训练时间", "训练耗时"),
    "sharpe_ratio": ("sharpe", "sharpe ratio", "夏普比率", "夏普"),
    "max_drawdown": ("max drawdown", "maximum drawdown", "drawdown", "最大回撤", "回撤"),
    "perplexity": ("perplexity", "ppl", "困惑度"),
}  # fmt: skip

# Canonical metrics for which a lower value is better; every other canonical metric is "max".
_MINIMISED_METRICS = frozenset({
    "loss", "log_loss", "rmse", "mse", "mae", "mape", "error_rate", "latency", "training_time",
    "max_drawdown", "perplexity",
})  # fmt: skip
METRIC_DIRECTIONS: dict[str, Direction] = {
    name: "min" if name in _MINIMISED_METRICS else "max" for name in METRIC_SYNONYMS
}

# Words in a logged key that mark a lower-is-better metric even when the key is unknown
# ("eval_smape", "p95_latency_ms", "false_positive_rate", "peak_memory_mb").
_LOWER_IS_BETTER_WORDS = frozenset({
    "loss", "error", "errors", "err", "rmse", "mse", "mae", "mape", "smape", "rmsle", "msle",
    "wer", "cer", "logloss", "entropy", "brier", "deviance", "hinge", "divergence",
    "perplexity", "ppl", "latency", "time", "duration", "seconds", "secs", "ms", "drawdown",
    "cost", "regret", "fpr", "fnr", "false", "miss", "memory", "mb", "gb", "bytes",
})  # fmt: skip
_LOWER_IS_BETTER_CJK = ("损失", "误差", "错误", "延迟", "时延", "耗时", "时间", "回撤", "困惑度")

# Words around a metric name in a logged key: which split it was computed on, or how it was
# aggregated. Held-out splits rank first when a request names only the metric.
_SPLIT_RANKS = {
    "test": 1, "holdout": 1, "val": 2, "valid": 2, "validation": 2, "eval": 2,
    "evaluation": 2, "dev": 2, "train": 4, "training": 4,
}  # fmt: skip
_CJK_SPLIT_RANKS = {"测试": 1, "验证": 2, "训练集": 4}
_KEY_PREFIX_WORDS = frozenset({*_SPLIT_RANKS, "final", "best", "mean", "avg", "average", "cv"})
_KEY_SUFFIX_WORDS = frozenset({"score", "macro", "micro", "weighted", "mean", "avg", "cv"})
_OTHER_RANK = 3

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> Language:
    """Return "zh" when the text contains a CJK ideograph, else "en"."""
    return "zh" if _CJK.search(text) else "en"


def _normalise(text: str) -> str:
    """Lower-case ``text``, split camelCase and reduce all separators to single spaces."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    cleaned = re.sub(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", " ", spaced.lower())
    return cleaned.strip()


@cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Compile a normalised phrase: whole words for English, anywhere for Chinese."""
    body = re.escape(phrase)
    if phrase[0].isascii():
        body = r"(?<![a-z0-9])" + body
    if phrase[-1].isascii():
        body += r"(?:s|es)?(?![a-z0-9])"
    return re.compile(body)


def _longest_phrase(text: str, phrases: Iterable[tuple[str, str]]) -> tuple[str, str, int] | None:
    """Return (value, phrase, position) of the longest phrase found in normalised ``text``.

    ``phrases`` pairs each value with one of its phrases; ties go to the earliest position.
    """
    best: tuple[str, str, int] | None = None
    for value, phrase in phrases:
        m = _phrase_pattern(phrase).search(text)
        if m is None:
            continue
        if best is None or (len(phrase), -m.start()) > (len(best[1]), -best[2]):
            best = (value, phrase, m.start())
    return best


def _pairs(table: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Flatten a synonym table into (canonical, normalised phrase) pairs, the name included."""
    pairs: list[tuple[str, str]] = []
    for canonical, phrases in table.items():
        for phrase in (canonical, *phrases):
            pairs.append((canonical, _normalise(phrase)))
    return pairs


_TASK_PAIRS = _pairs(TASK_SYNONYMS)
_METRIC_PAIRS = _pairs(METRIC_SYNONYMS)
_METRIC_BY_PHRASE = {phrase: canonical for canonical, phrase in _METRIC_PAIRS}


def find_task(text: str) -> str | None:
    """Return the canonical task named in ``text`` (longest matching phrase), or None."""
    normalised = _normalise(text)
    for phrase in _NOT_TASK_PHRASES:
        normalised = _phrase_pattern(_normalise(phrase)).sub(" ", normalised)
    found = _longest_phrase(normalised, _TASK_PAIRS)
    return found[0] if found else None


def infer_task(
    names: Sequence[str], tags: Mapping[str, str], params: Mapping[str, str]
) -> str | None:
    """Infer a model's task from its names, tags and params when it is imported.

    The first clue that names a task wins. Clues are checked in this order:
    1. a tag listed in TASK_TAG_KEYS, whose value is returned as a canonical task, or slugified
       when it is not a known one;
    2. each of ``names`` in the order given, so pass the most specific first (registered model,
       then run, then experiment name);
    3. the other tag values, then the param values, because dataset paths such as
       "data/churn.csv" often name the task.
    """
    explicit = _explicit_task(tags)
    if explicit is not None:
        return explicit
    for name in names:
        task = find_task(name)
        if task is not None:
            return task
    tag_values = [value for key, value in tags.items() if not key.startswith(_IGNORED_TAG_PREFIXES)]
    for value in (*tag_values, *params.values()):
        task = find_task(value)
        if task is not None:
            return task
    return None


def _explicit_task(tags: Mapping[str, str]) -> str | None:
    for key, value in tags.items():
        if key.lower() not in TASK_TAG_KEYS or not value.strip():
            continue
        slug = _normalise(value).replace(" ", "-")
        if slug in TASK_SYNONYMS:
            return slug
        return find_task(value) or slug or None
    return None


def _key_words(key: str) -> list[str]:
    return _normalise(key).split()


def _core_words(words: list[str]) -> list[str]:
    """Drop split and aggregation words around the metric name ("val", "test", "macro")."""
    start, end = 0, len(words)
    while start < end - 1 and words[start] in _KEY_PREFIX_WORDS:
        start += 1
    while end - 1 > start and words[end - 1] in _KEY_SUFFIX_WORDS:
        end -= 1
    return words[start:end]


def canonical_metric(key: str) -> str | None:
    """Return the canonical metric a logged key or phrase stands for, or None.

    "val_accuracy", "test_acc" and "准确率" give "accuracy"; "f1_macro" gives "f1";
    "accuracy_std" gives None because a spread is not the metric itself.
    """
    words = _key_words(key)
    if words and words[0] == "neg":
        words = words[1:]
    for candidate in (words, _core_words(words)):
        canonical = _METRIC_BY_PHRASE.get(" ".join(candidate))
        if canonical is not None:
            return canonical
    return None


def metric_direction(name: str) -> Direction:
    """Return "min" when a lower value of the metric is better, else "max".

    The rule, in order:
    1. a key starting with "neg" is "max", because scikit-learn negates error scorers
       ("neg_mean_squared_error") so that higher is better;
    2. a known metric takes its direction from METRIC_DIRECTIONS;
    3. a key containing a lower-is-better word (loss, error, rmse, latency, time, ...) is "min";
    4. anything else is "max", the direction of most scores.
    """
    words = _key_words(name)
    if words and words[0] == "neg":
        return "max"
    canonical = canonical_metric(name)
    if canonical is not None:
        return METRIC_DIRECTIONS[canonical]
    if _LOWER_IS_BETTER_WORDS.intersection(words):
        return "min"
    if any(marker in name for marker in _LOWER_IS_BETTER_CJK):
        return "min"
    return "max"


def find_metric(text: str, known_metrics: Sequence[str]) -> str | None:
    """Map the metric named in a request to one of the metric keys that exist in the store.

    The rule:
    1. A key written out in the request wins ("val_accuracy", "ndcg_at_10"), the longest if
       several, unless it is a plain metric name such as "accuracy".
    2. Otherwise the request's metric phrase (a synonym in either language, such as "acc",
       "AUC" or 准确率) selects the keys that are the same canonical metric.
    3. Among them, a key on the split that the request names wins ("validation accuracy",
       测试集准确率). Then come a plain key ("accuracy"), a test key, a validation key ("val_",
       "eval_"), other variants ("f1_macro", "pr_auc_cv") and training keys, in that order.
       Ties go to the shorter key, then to alphabetical order.
    Returns None when nothing matches.
    """
    normalised = _normalise(text)
    # Plain keys ("accuracy") go through the synonym step, which honours a requested split.
    # One-letter keys would match stray letters of the request.
    spelled_out = [
        (key, phrase)
        for key, phrase in ((key, _normalise(key)) for key in known_metrics)
        if len(phrase) > 1 and phrase not in _METRIC_BY_PHRASE
    ]
    found = _longest_phrase(normalised, spelled_out)
    if found is not None:
        return found[0]

    metric = _longest_phrase(normalised, _METRIC_PAIRS)
    if metric is None:
        return None
    candidates = [key for key in known_metrics if canonical_metric(key) == metric[0]]
    if not candidates:
        return None
    split = _requested_split(normalised)
    return min(candidates, key=lambda key: (_key_rank(key) != split, _key_rank(key), len(key), key))


def _requested_split(normalised: str) -> int | None:
    """Return the rank of the split that a request names ("validation accuracy", 测试集), if any."""
    for word in normalised.split():
        if word in _SPLIT_RANKS:
            return _SPLIT_RANKS[word]
    for marker, rank in _CJK_SPLIT_RANKS.items():
        if marker in normalised:
            return rank
    return None


def _key_rank(key: str) -> int:
    """Rank a key by the split it names: plain 0, test 1, validation 2, other 3, training 4."""
    words = _key_words(key)
    if " ".join(words) in _METRIC_BY_PHRASE:
        return 0
    for word in words:
        if word in _SPLIT_RANKS:
            return _SPLIT_RANKS[word]
    return _OTHER_RANK
