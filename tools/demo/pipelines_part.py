"""Real pipeline runs for the demo, replayed at dates over the past six months.

Four pipelines are declared in the workspace and run for real on small data:
- ``image-classifier-train`` (bob): scikit-learn's digits; logistic regression, then a random
  forest, then an SVC reach production; a later gradient-boosting run fails its gate.
- ``fraud-retrain`` (bob): a synthetic, imbalanced transaction table registered as dataset
  ``fraud-transactions`` in three versions; three versions reach production and bob then
  rolls production back from v3 to v2.
- ``churn-train`` (carol): a generated customer table (dataset ``customer-churn``) and a
  training script in the workspace; carol's pipeline deploys to staging and bob promotes to
  production. The last run fails in training: the script was edited and ``max_depth`` set to 0.
- ``wine-train`` (bob): scikit-learn's wine data; two versions reach production.

Each run executes at its date by pinning ``MODELPILOT_NOW`` (the runner advances it by the
real elapsed time), so run, alias and deployment histories spread over the months.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.datasets import make_classification
from sqlmodel import col, select

from tools.datasets import register_dataset
from tools.governance import Actor, Governor
from tools.pipelines.launch import trigger_pipeline_run
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import ModelAlias, PipelineRun

log = logging.getLogger(__name__)

PIPELINES = ("image-classifier-train", "fraud-retrain", "churn-train", "wine-train")
MODELS = ("image-classifier", "fraud-detector", "churn-predictor", "wine-quality")
FRAUD_ROWS = 5400
FRAUD_FEATURES = [
    "amount",
    "merchant_risk",
    "distance_km",
    "velocity_1h",
    "velocity_24h",
    "account_age_days",
    "device_score",
    "ip_risk",
    "hour_of_day",
    "foreign_share",
]

CHURN_SCRIPT = '''"""Churn model for the retention team: gradient boosting on the customer table."""

from sklearn.ensemble import GradientBoostingClassifier


def train(ctx):
    model = GradientBoostingClassifier(
        n_estimators=ctx.params.get("n_estimators", 60),
        max_depth=ctx.params.get("max_depth", 3),
        learning_rate=ctx.params.get("learning_rate", 0.1),
        random_state=ctx.random_state,
    )
    model.fit(ctx.X_train, ctx.y_train)
    for stage, predicted in enumerate(model.staged_predict(ctx.X_valid), start=1):
        ctx.log_metric("val_accuracy", float((predicted == ctx.y_valid).mean()), step=stage)
    return model
'''

# The script as edited before the failing run: subsample added, so the code diff shows it.
CHURN_SCRIPT_EDITED = CHURN_SCRIPT.replace(
    '        learning_rate=ctx.params.get("learning_rate", 0.1),\n',
    '        learning_rate=ctx.params.get("learning_rate", 0.1),\n'
    '        subsample=ctx.params.get("subsample", 1.0),\n',
)


@contextmanager
def pinned_now(moment: datetime) -> Iterator[None]:
    """Run the block as if it were ``moment``; restores the previous MODELPILOT_NOW."""
    previous = os.environ.get("MODELPILOT_NOW")
    os.environ["MODELPILOT_NOW"] = moment.isoformat()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MODELPILOT_NOW", None)
        else:
            os.environ["MODELPILOT_NOW"] = previous


def _write_pipeline(settings: Settings, definition: dict[str, Any]) -> None:
    folder = settings.home / "pipelines"
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(definition, sort_keys=False)
    (folder / f"{definition['name']}.yaml").write_text(text, encoding="utf-8")


def _image_definition(entry_point: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "image-classifier-train",
        "description": "Handwritten digit classifier (8x8 scans) for the forms service.",
        "model": "image-classifier",
        "owner": "bob",
        "task": "image-classification",
        "dataset": "sklearn:digits",
        "entry_point": entry_point,
        "params": params,
        "steps": ["preprocess", "train", "evaluate", "gate", "register", "deploy", "notify"],
        "gate": "accuracy >= 0.95 and accuracy >= production - 0.005",
        "alias": "production",
    }


def _fraud_definition(entry_point: str, params: dict[str, Any], version: int) -> dict[str, Any]:
    return {
        "name": "fraud-retrain",
        "description": "Card-transaction fraud model, retrained on each new labelled extract.",
        "model": "fraud-detector",
        "owner": "bob",
        "task": "fraud-detection",
        "dataset": {"name": "fraud-transactions", "version": version, "target": "class"},
        "entry_point": entry_point,
        "params": params,
        "gate": "roc_auc >= 0.85 and f1 >= production.f1 - 0.03",
        "alias": "production",
    }


def _churn_definition(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "churn-train",
        "description": "Monthly churn model for the retention campaigns.",
        "model": "churn-predictor",
        "owner": "carol",
        "task": "churn-prediction",
        "dataset": {"name": "customer-churn", "target": "churn", "drop": ["customer_id"]},
        "entry_point": "scripts/churn_train.py",
        "params": params,
        "gate": "roc_auc >= 0.75",
        "alias": "staging",
    }


def _wine_definition(entry_point: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "wine-train",
        "description": "Wine cultivar classifier for the quality lab.",
        "model": "wine-quality",
        "owner": "bob",
        "task": "classification",
        "dataset": "sklearn:wine",
        "entry_point": entry_point,
        "params": params,
        "gate": "accuracy >= 0.9 and accuracy >= production - 0.02",
        "alias": "production",
    }


def fraud_table(rows: int = FRAUD_ROWS) -> pd.DataFrame:
    """Return the first ``rows`` of an imbalanced transaction table (about 3% fraud).

    Each dataset version is a longer extract of the same table, as when a team re-exports
    all labelled transactions to date.
    """
    features, labels = make_classification(
        n_samples=FRAUD_ROWS,
        n_features=len(FRAUD_FEATURES),
        n_informative=6,
        n_redundant=2,
        weights=[0.97, 0.03],
        flip_y=0.005,
        class_sep=1.3,
        random_state=3,
    )
    frame = pd.DataFrame(features, columns=FRAUD_FEATURES)
    frame["amount"] = np.round(np.exp(3.5 + 0.8 * frame["amount"]), 2)
    frame["class"] = labels
    return frame.head(rows)


def churn_table(rows: int, seed: int) -> pd.DataFrame:
    """Return a telecom-style customer table where about a quarter of customers churn."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.2])
    internet = rng.choice(["dsl", "fiber", "none"], rows, p=[0.35, 0.45, 0.2])
    tenure = rng.integers(0, 73, rows)
    monthly = np.round(rng.uniform(20, 120, rows), 2)
    calls = rng.poisson(1.2, rows)
    score = (
        -1.2
        + 1.3 * (contract == "month-to-month")
        - 0.9 * (contract == "two-year")
        + 0.6 * (internet == "fiber")
        - 0.035 * tenure
        + 0.012 * (monthly - 70)
        + 0.35 * calls
    )
    churned = rng.random(rows) < 1 / (1 + np.exp(-score))
    return pd.DataFrame(
        {
            "customer_id": [f"C{seed:02d}{i:05d}" for i in range(rows)],
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": np.round(tenure * monthly * rng.uniform(0.9, 1.1, rows), 2),
            "contract": contract,
            "internet_service": internet,
            "payment_method": rng.choice(["card", "bank", "check", "wallet"], rows),
            "support_calls": calls,
            "senior": rng.integers(0, 2, rows),
            "churn": churned.astype(int),
        }
    )


class _Seeder:
    """Runs the demo's timeline against one store, counting what happened."""

    def __init__(self, store: Store, settings: Settings, now: datetime) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self.governor = Governor(store, settings)
        self.outcomes: dict[str, int] = {"succeeded": 0, "failed": 0}
        self.data_dir = settings.home / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def run(self, days_ago: float, definition: dict[str, Any], actor: str) -> str:
        _write_pipeline(self.settings, definition)
        with pinned_now(self.at(days_ago)):
            run_id = trigger_pipeline_run(
                self.store,
                definition["name"],
                trigger="demo",
                actor=actor,
                wait=True,
                settings=self.settings,
            )
        with self.store.session() as session:
            run = session.get(PipelineRun, run_id)
            status = run.status if run else "missing"
        self.outcomes[status] = self.outcomes.get(status, 0) + 1
        log.info("demo pipeline run %s %s: %s", definition["name"], run_id[:8], status)
        return run_id

    def register(self, days_ago: float, frame: pd.DataFrame, name: str, file_name: str) -> None:
        path = self.data_dir / file_name
        if file_name.endswith(".parquet"):
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        with pinned_now(self.at(days_ago)):
            register_dataset(self.store, path, name, source="demo extract", actor="carol")

    def change(self, days_ago: float, tool: str, arguments: dict[str, Any], user: str) -> None:
        """Make a governed registry change as ``user`` at that date (request, then confirm)."""
        actor = Actor(user, "console")
        with pinned_now(self.at(days_ago)):
            outcome = self.governor.invoke(tool, arguments, actor)
            if outcome.confirmation is not None:
                outcome = self.governor.confirm(outcome.confirmation.token, actor)
        if outcome.status != "ok":
            raise RuntimeError(f"demo change {tool} {arguments} failed: {outcome.error}")


def _image_runs(seeder: _Seeder) -> None:
    trainers = "tools.pipelines.trainers"
    seeder.run(
        170, _image_definition(f"{trainers}:logistic_regression", {"C": 0.5, "cv": 2}), "bob"
    )
    seeder.run(
        128,
        _image_definition(f"{trainers}:random_forest", {"n_estimators": 80, "chunk": 20}),
        "bob",
    )
    seeder.run(74, _image_definition(f"{trainers}:svc", {"C": 5, "cv": 2}), "bob")
    # A weaker gradient-boosting candidate: it fails the gate against the SVC in production.
    seeder.run(
        19,
        _image_definition(
            f"{trainers}:gradient_boosting",
            {"n_estimators": 15, "max_depth": 2, "learning_rate": 0.3},
        ),
        "carol",
    )


def _fraud_runs(seeder: _Seeder) -> None:
    trainers = "tools.pipelines.trainers"
    forest = f"{trainers}:random_forest"
    seeder.register(165, fraud_table(3000), "fraud-transactions", "fraud_extract_1.csv")
    seeder.run(
        160,
        _fraud_definition(f"{trainers}:gradient_boosting", {"n_estimators": 40, "max_depth": 3}, 1),
        "bob",
    )
    seeder.register(95, fraud_table(4200), "fraud-transactions", "fraud_extract_2.csv")
    seeder.run(92, _fraud_definition(forest, {"n_estimators": 60, "chunk": 20}, 2), "bob")
    seeder.register(50, fraud_table(5400), "fraud-transactions", "fraud_extract_3.csv")
    seeder.run(45, _fraud_definition(forest, {"n_estimators": 60, "chunk": 20}, 3), "bob")
    seeder.change(
        12,
        "rollback_model",
        {
            "model": "fraud-detector",
            "reason": "v3 blocks too many legitimate card-present payments",
        },
        "bob",
    )


def _churn_runs(seeder: _Seeder) -> None:
    script = seeder.settings.home / "pipelines" / "scripts" / "churn_train.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(CHURN_SCRIPT, encoding="utf-8")
    seeder.register(158, churn_table(2500, seed=1), "customer-churn", "customers_2025h1.parquet")
    seeder.run(150, _churn_definition({"n_estimators": 40, "max_depth": 3}), "carol")
    seeder.change(
        146,
        "set_alias",
        {
            "model": "churn-predictor",
            "alias": "production",
            "version": 1,
            "reason": "staging version held up for a week of shadow traffic",
        },
        "bob",
    )
    seeder.register(65, churn_table(3000, seed=2), "customer-churn", "customers_2025h2.parquet")
    seeder.run(60, _churn_definition({"n_estimators": 60, "max_depth": 3}), "carol")
    seeder.change(
        57,
        "set_alias",
        {
            "model": "churn-predictor",
            "alias": "production",
            "version": 2,
            "reason": "v2 trained on the second-half extract; better recall on staging",
        },
        "bob",
    )
    # Carol edits the script and tries a shallower model; max_depth 0 is invalid.
    script.write_text(CHURN_SCRIPT_EDITED, encoding="utf-8")
    seeder.run(
        4, _churn_definition({"n_estimators": 60, "max_depth": 0, "subsample": 0.8}), "carol"
    )


def _wine_runs(seeder: _Seeder) -> None:
    trainers = "tools.pipelines.trainers"
    seeder.run(
        120, _wine_definition(f"{trainers}:random_forest", {"n_estimators": 40, "chunk": 10}), "bob"
    )
    seeder.run(38, _wine_definition(f"{trainers}:logistic_regression", {"C": 1.0, "cv": 3}), "bob")


def seed_pipelines(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """Declare and run the demo pipelines; return the production versions and run counts."""
    started = time.perf_counter()
    seeder = _Seeder(store, settings, now)
    _image_runs(seeder)
    _fraud_runs(seeder)
    _churn_runs(seeder)
    _wine_runs(seeder)
    with store.session() as session:
        aliases = session.exec(
            select(ModelAlias).where(
                ModelAlias.alias == "production", col(ModelAlias.model_name).in_(MODELS)
            )
        ).all()
        deployed = {alias.model_name: alias.version for alias in aliases}
    seconds = time.perf_counter() - started
    log.info("demo pipelines: %s in %.1f s; production: %s", seeder.outcomes, seconds, deployed)
    return {
        "deployed": deployed,
        "pipelines": list(PIPELINES),
        "runs": dict(seeder.outcomes),
        "seconds": round(seconds, 1),
    }
