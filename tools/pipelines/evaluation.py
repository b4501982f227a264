"""The evaluate step: score the trained model on the held-out test rows."""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_metrics(model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Return accuracy, precision, recall, f1 and, when scores exist, roc_auc.

    Binary labels are scored for the minority class (the one a fraud or churn model is
    for); more classes use the macro average.
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    predicted = model.predict(X)
    classes, counts = np.unique(y, return_counts=True)
    binary = len(classes) == 2
    if binary:
        positive = classes[int(np.argmin(counts))]
        precision, recall, f1, _ = precision_recall_fscore_support(
            y, predicted, average="binary", pos_label=positive, zero_division=0
        )
    else:
        precision, recall, f1, _ = precision_recall_fscore_support(
            y, predicted, average="macro", zero_division=0
        )
    metrics = {
        "accuracy": float(accuracy_score(y, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }
    auc = _roc_auc(model, X, y, classes)
    if auc is not None:
        metrics["roc_auc"] = auc
    return metrics


def _roc_auc(model: Any, X: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    model_classes = getattr(model, "classes_", None)
    if model_classes is None or len(model_classes) != len(classes):
        return None
    if hasattr(model, "predict_proba"):
        scores = model.predict_proba(X)
    elif hasattr(model, "decision_function"):
        scores = model.decision_function(X)
    else:
        return None
    if len(classes) == 2:
        positive = classes[int(np.argmin(np.unique(y, return_counts=True)[1]))]
        column = scores[:, list(model_classes).index(positive)] if scores.ndim == 2 else scores
        if scores.ndim == 1 and positive != model_classes[1]:
            column = -column
        return float(roc_auc_score(y == positive, column))
    if scores.ndim != 2 or not hasattr(model, "predict_proba"):
        return None
    return float(roc_auc_score(y, scores, multi_class="ovr", labels=list(model_classes)))
