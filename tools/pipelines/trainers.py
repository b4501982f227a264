"""Built-in training entry points, each logging the history its learner has.

Use them as ``entry_point: tools.pipelines.trainers:gradient_boosting``. Every key of
``params`` except the few listed per function goes to the estimator's constructor, so an
invalid parameter fails the train step with scikit-learn's own message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tools.pipelines.training import TrainingContext


def _estimator_params(ctx: TrainingContext, *own: str) -> dict[str, Any]:
    return {k: v for k, v in ctx.params.items() if k not in own}


def _log_cv_folds(ctx: TrainingContext, estimator: BaseEstimator, folds: int) -> None:
    """Fit a copy per fold of the training rows and log each fold's accuracy."""
    if folds < 2:
        return
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=ctx.random_state)
    for fold, (fit_rows, score_rows) in enumerate(splitter.split(ctx.X_train, ctx.y_train)):
        model = clone(estimator).fit(ctx.X_train[fit_rows], ctx.y_train[fit_rows])
        score = accuracy_score(ctx.y_train[score_rows], model.predict(ctx.X_train[score_rows]))
        ctx.log_metric("cv_accuracy", score, step=fold)


def logistic_regression(ctx: TrainingContext) -> Pipeline:
    """Standardised logistic regression; logs ``cv_accuracy`` per fold (param ``cv``, 3)."""
    params = {"max_iter": 1000, **_estimator_params(ctx, "cv")}
    model = make_pipeline(StandardScaler(), LogisticRegression(**params))
    _log_cv_folds(ctx, model, int(ctx.params.get("cv", 3)))
    return model.fit(ctx.X_train, ctx.y_train)


def svc(ctx: TrainingContext) -> Pipeline:
    """Standardised support vector classifier; logs ``cv_accuracy`` per fold (``cv``, 3)."""
    params = {"probability": False, **_estimator_params(ctx, "cv")}
    model = make_pipeline(StandardScaler(), SVC(**params, random_state=ctx.random_state))
    _log_cv_folds(ctx, model, int(ctx.params.get("cv", 3)))
    return model.fit(ctx.X_train, ctx.y_train)


def random_forest(ctx: TrainingContext) -> RandomForestClassifier:
    """Random forest grown in chunks of trees (``chunk``, 10), logging ``val_accuracy``."""
    params = _estimator_params(ctx, "chunk")
    total = int(params.pop("n_estimators", 100))
    chunk = max(1, int(ctx.params.get("chunk", 10)))
    model = RandomForestClassifier(
        n_estimators=min(chunk, total), warm_start=True, random_state=ctx.random_state, **params
    )
    trees = 0
    while trees < total:
        trees = min(trees + chunk, total)
        model.set_params(n_estimators=trees)
        model.fit(ctx.X_train, ctx.y_train)
        ctx.log_metric("val_accuracy", model.score(ctx.X_valid, ctx.y_valid), step=trees)
    return model


def gradient_boosting(ctx: TrainingContext) -> GradientBoostingClassifier:
    """Gradient boosting; logs ``train_loss`` and staged ``val_accuracy`` per stage."""
    model = GradientBoostingClassifier(random_state=ctx.random_state, **ctx.params)
    model.fit(ctx.X_train, ctx.y_train)
    for stage, loss in enumerate(model.train_score_, start=1):
        ctx.log_metric("train_loss", float(loss), step=stage)
    for stage, predicted in enumerate(model.staged_predict(ctx.X_valid), start=1):
        ctx.log_metric("val_accuracy", accuracy_score(ctx.y_valid, predicted), step=stage)
    return model


def sgd(ctx: TrainingContext) -> Pipeline:
    """Linear model trained with ``partial_fit``, one epoch at a time (``epochs``, 20)."""
    params = {"loss": "log_loss", **_estimator_params(ctx, "epochs")}
    scaler = StandardScaler().fit(ctx.X_train)
    X_train, X_valid = scaler.transform(ctx.X_train), scaler.transform(ctx.X_valid)
    model = SGDClassifier(random_state=ctx.random_state, **params)
    classes = np.unique(ctx.y_train)
    order = np.random.default_rng(ctx.random_state)
    for epoch in range(1, int(ctx.params.get("epochs", 20)) + 1):
        rows = order.permutation(len(X_train))
        model.partial_fit(X_train[rows], ctx.y_train[rows], classes=classes)
        ctx.log_metric("train_accuracy", model.score(X_train, ctx.y_train), step=epoch)
        ctx.log_metric("val_accuracy", model.score(X_valid, ctx.y_valid), step=epoch)
    return Pipeline([("scale", scaler), ("model", model)])
