"""A cancelled change can never be confirmed afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from assistant.service import Assistant
from tests.factories import add_experiment, add_model_version, add_run, add_user
from tools.governance import Actor, Governor
from tools.store.db import open_store
from tools.store.schema import AuditEntry, ModelAlias


def test_cancelled_token_cannot_be_confirmed() -> None:
    store = open_store()
    experiment = add_experiment(store, "fraud", task="fraud-detection")
    run = add_run(store, experiment, "r", datetime(2026, 1, 1, tzinfo=UTC), {"auc": 0.9})
    add_model_version(store, "fraud-detector", 1, run, aliases=("production",))
    add_model_version(store, "fraud-detector", 2, run)
    add_user(store, "bob", "approver")
    bob = Actor("bob", "cli")
    assistant = Assistant()
    proposed = assistant.ask("set production of fraud-detector to v2", bob, "c")
    assert proposed.needs_confirmation is not None
    token = proposed.needs_confirmation["token"]

    cancelled = assistant.ask("cancel", bob, "c")
    assert "nothing was changed" in cancelled.answer.lower()
    late = Governor(store).confirm(token, bob)

    assert late.status == "error"
    with store.session() as session:
        assert session.get(ModelAlias, ("fraud-detector", "production")).version == 1
        outcomes = [e.outcome for e in session.exec(select(AuditEntry)).all()]
    assert "cancelled" in outcomes
    assert "rejected" in outcomes
