"""Exploration runs logged with MLflow's own client, so the demo exercises the importer.

Two notebook-style experiments (a breast-cancer classifier and a digits sweep) are trained for
real on scikit-learn's bundled datasets and logged to a local MLflow file store with explicit
timestamps spread over the past six months; one model is registered in MLflow's registry with
an alias. The store is then imported like any user's ``mlruns`` folder.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

log = logging.getLogger(__name__)

# (run name, model family, estimator factory, params, days before now)
BreastCancerSpec = tuple[str, str, Any, dict[str, Any], int]


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _breast_cancer_specs() -> list[BreastCancerSpec]:
    return [
        (
            "logreg-baseline",
            "logistic_regression",
            lambda p: make_pipeline(StandardScaler(), LogisticRegression(C=p["C"], max_iter=500)),
            {"C": 1.0},
            170,
        ),
        (
            "logreg-strong-l2",
            "logistic_regression",
            lambda p: make_pipeline(StandardScaler(), LogisticRegression(C=p["C"], max_iter=500)),
            {"C": 0.05},
            150,
        ),
        (
            "rf-200",
            "random_forest",
            lambda p: RandomForestClassifier(
                n_estimators=p["n_estimators"], max_depth=p["max_depth"], random_state=0
            ),
            {"n_estimators": 200, "max_depth": 6},
            120,
        ),
        (
            "gbm-staged",
            "gradient_boosting",
            lambda p: GradientBoostingClassifier(
                n_estimators=p["n_estimators"], learning_rate=p["learning_rate"], random_state=0
            ),
            {"n_estimators": 60, "learning_rate": 0.1},
            75,
        ),
        (
            "svc-rbf",
            "svc",
            lambda p: make_pipeline(StandardScaler(), SVC(C=p["C"], random_state=0)),
            {"C": 3.0},
            40,
        ),
    ]


def _log_breast_cancer(client: Any, experiment_id: str, now: datetime) -> list[tuple[str, float]]:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=7, stratify=data.target
    )
    results: list[tuple[str, float]] = []
    for name, family, factory, params, days_ago in _breast_cancer_specs():
        started = now - timedelta(days=days_ago, hours=3)
        run = client.create_run(
            experiment_id,
            start_time=_millis(started),
            run_name=name,
            tags={"model_family": family, "task": "tumor-classification", "mlflow.user": "carol"},
        )
        run_id = run.info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, str(value))
        client.log_param(run_id, "model_family", family)
        model = factory(params).fit(x_train, y_train)
        if family == "gradient_boosting":
            # Staged predictions give a real per-iteration history of the test metrics.
            for step, staged in enumerate(model.staged_predict(x_test)):
                if step % 5 == 0:
                    client.log_metric(
                        run_id,
                        "accuracy",
                        float(accuracy_score(y_test, staged)),
                        timestamp=_millis(started + timedelta(seconds=step)),
                        step=step,
                    )
        predicted = model.predict(x_test)
        # SVC has no probabilities unless calibrated; its decision values rank just as well.
        if hasattr(model, "predict_proba"):
            scores = model.predict_proba(x_test)[:, 1]
        else:
            scores = model.decision_function(x_test)
        finished = started + timedelta(minutes=4)
        metrics = {
            "accuracy": float(accuracy_score(y_test, predicted)),
            "f1": float(f1_score(y_test, predicted)),
            "roc_auc": float(roc_auc_score(y_test, scores)),
        }
        for key, value in metrics.items():
            client.log_metric(run_id, key, value, timestamp=_millis(finished), step=100)
        client.set_tag(
            run_id,
            "mlflow.note.content",
            f"{family} on the Wisconsin breast-cancer set; 25% stratified hold-out.",
        )
        client.set_terminated(run_id, end_time=_millis(finished))
        results.append((run_id, metrics["accuracy"]))
    return results


def _log_digits_sweep(client: Any, experiment_id: str, now: datetime) -> None:
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.3, random_state=3, stratify=digits.target
    )
    for index, neighbours in enumerate((1, 3, 5, 9)):
        started = now - timedelta(days=160 - index * 12, hours=5)
        run = client.create_run(
            experiment_id,
            start_time=_millis(started),
            run_name=f"knn-k{neighbours}",
            tags={"task": "image-classification", "mlflow.user": "bob"},
        )
        run_id = run.info.run_id
        client.log_param(run_id, "n_neighbors", str(neighbours))
        client.log_param(run_id, "model_family", "knn")
        model = KNeighborsClassifier(n_neighbors=neighbours).fit(x_train, y_train)
        predicted = model.predict(x_test)
        finished = started + timedelta(minutes=1)
        client.log_metric(
            run_id,
            "accuracy",
            float(accuracy_score(y_test, predicted)),
            timestamp=_millis(finished),
        )
        client.log_metric(
            run_id,
            "f1",
            float(f1_score(y_test, predicted, average="macro")),
            timestamp=_millis(finished),
        )
        client.set_terminated(run_id, end_time=_millis(finished))
    # A run that crashed half-way, as real notebooks leave behind.
    started = now - timedelta(days=100)
    run = client.create_run(
        experiment_id,
        start_time=_millis(started),
        run_name="knn-k0-broken",
        tags={"task": "image-classification", "mlflow.user": "bob"},
    )
    client.log_param(run.info.run_id, "n_neighbors", "0")
    client.set_tag(
        run.info.run_id,
        "mlflow.note.content",
        "n_neighbors=0 is invalid; KNeighborsClassifier raised ValueError.",
    )
    client.set_terminated(
        run.info.run_id, status="FAILED", end_time=_millis(started + timedelta(seconds=2))
    )


def _register_best(client: Any, runs: list[tuple[str, float]], scratch: Path) -> None:
    import mlflow.sklearn

    best_run_id = max(runs, key=lambda item: item[1])[0]
    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
        data.data, data.target
    )
    model_dir = scratch / "model"
    # MLflow warns about pickle on every save; the demo's own model is safe to pickle.
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    mlflow.sklearn.save_model(
        model,
        str(model_dir),
        serialization_format="cloudpickle",
        pip_requirements=["scikit-learn", "numpy"],
    )
    client.log_artifacts(best_run_id, str(model_dir), "model")
    client.create_registered_model(
        "breast-cancer-classifier",
        tags={"task": "tumor-classification"},
        description="Binary tumour classifier trained on the Wisconsin set.",
    )
    version = client.create_model_version(
        "breast-cancer-classifier", f"runs:/{best_run_id}/model", best_run_id
    )
    client.set_registered_model_alias("breast-cancer-classifier", "champion", version.version)


def log_mlflow_experiments(tracking_dir: Path, now: datetime) -> Path:
    """Train and log the exploration experiments into ``tracking_dir``; return it."""
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow
    from mlflow import MlflowClient

    uri = tracking_dir.resolve().as_uri()
    # MLflow 3 defaults to ./mlflow.db; point every call here at the demo's own store.
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    np.random.seed(0)
    cancer = client.create_experiment("breast-cancer-exploration", tags={"team": "health"})
    runs = _log_breast_cancer(client, cancer, now)
    digits = client.create_experiment("digits-knn-sweep", tags={"team": "vision"})
    _log_digits_sweep(client, digits, now)
    with tempfile.TemporaryDirectory() as scratch:
        _register_best(client, runs, Path(scratch))
    log.info("logged the demo's MLflow experiments to %s", tracking_dir)
    return tracking_dir
