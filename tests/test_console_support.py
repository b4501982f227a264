"""A small workspace shared by the console and Slack tests.

fraud-detector has versions 1-3 from three runs of fraud-exp; its production alias went
v1 → v2 through set_alias, so a rollback returns it to v1. churn-predictor has one version
and no alias. Users: alice (admin), bob (approver), carol (editor), dave (viewer), each with
a Slack member id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from tests.factories import add_experiment, add_model_version, add_run
from tools.governance import Actor, Governor
from tools.settings import get_settings
from tools.store.db import Store, open_store
from tools.store.schema import User

USERS = {
    "alice": ("admin", "U0ALICE"),
    "bob": ("approver", "U0BOB"),
    "carol": ("editor", "U0CAROL"),
    "dave": ("viewer", "U0DAVE"),
}
AUC_HISTORY = {
    1: [0.70, 0.78, 0.81],
    2: [0.72, 0.83, 0.86],
    3: [0.71, 0.80, 0.84],
}


def add_users(store: Store) -> None:
    with store.session() as session:
        for name, (role, slack_id) in USERS.items():
            session.add(User(name=name, role=role, slack_user_id=slack_id))


def set_alias(store: Store, model: str, alias: str, version: int) -> None:
    """Point ``alias`` through the governed set_alias tool, as the approver bob."""
    governor = Governor(store, get_settings())
    actor = Actor("bob", "test")
    arguments = {"model": model, "alias": alias, "version": version}
    outcome = governor.invoke("set_alias", arguments, actor)
    assert outcome.confirmation is not None, outcome.error
    confirmed = governor.confirm(outcome.confirmation.token, actor)
    assert confirmed.status == "ok", confirmed.error


def build_channel_store() -> Store:
    """Build the workspace in the test's MODELPILOT_HOME and return its store."""
    store = open_store(get_settings())
    add_users(store)
    fraud = add_experiment(store, "fraud-exp", task="fraud-detection")
    for number, history in AUC_HISTORY.items():
        run_id = add_run(
            store,
            fraud,
            f"fraud-run-{number}",
            datetime(2026, 3, number, 9, tzinfo=UTC),
            {"auc": history, "f1": 0.6 + number / 50},
            params={"max_depth": str(number + 2), "n_estimators": "200"},
            task="fraud-detection",
        )
        add_model_version(store, "fraud-detector", number, run_id, task="fraud-detection")
    churn = add_experiment(store, "churn-exp", task="churn-prediction")
    churn_run = add_run(
        store, churn, "churn-run-1", datetime(2026, 3, 5, tzinfo=UTC), {"auc": 0.77}
    )
    add_model_version(store, "churn-predictor", 1, churn_run, task="churn-prediction")
    set_alias(store, "fraud-detector", "production", 1)
    set_alias(store, "fraud-detector", "production", 2)
    return store


def production_version(store: Store, model: str = "fraud-detector") -> int | None:
    with store.connection() as connection:
        row = connection.execute(
            text("SELECT version FROM model_alias WHERE model_name = :m AND alias = 'production'"),
            {"m": model},
        ).first()
    return None if row is None else int(row[0])
