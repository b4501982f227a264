"""Rollback reads the alias history: after 1 → 3 → 2 it returns to 3, not to 1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from tests.test_registry_support import change, registry, registry_template, request
from tools.registry_service.rollback import previous_holder
from tools.store.db import Store
from tools.store.schema import AliasEvent

__all__ = ["registry", "registry_template"]


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        return [tuple(row) for row in connection.execute(text(sql)).fetchall()]


def events(*moves: tuple[int | None, int | None]) -> list[AliasEvent]:
    return [
        AliasEvent(
            model_name="m",
            alias="production",
            from_version=old,
            to_version=new,
            occurred_at=datetime(2026, 1, day + 1, tzinfo=UTC),
        )
        for day, (old, new) in enumerate(moves)
    ]


def test_rollback_returns_to_previous_holder(registry: Store) -> None:
    outcome = change(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    assert outcome.result["summary"] == "production: fraud-detector v2 → v3 (rollback)"
    assert rows(registry, "SELECT version FROM model_alias WHERE alias = 'production'") == [(3,)]
    assert rows(
        registry,
        "SELECT from_version, to_version, action, actor FROM alias_event "
        "WHERE alias = 'production' ORDER BY occurred_at DESC, seq DESC LIMIT 1",
    ) == [(2, 3, "rollback", "anna")]
    assert rows(
        registry,
        "SELECT from_version, to_version, action FROM deployment_event "
        "ORDER BY occurred_at DESC, seq DESC LIMIT 1",
    ) == [(2, 3, "rollback")]
    assert rows(registry, "SELECT environment, version, status FROM deployment") == [
        ("production", 3, "active")
    ]


def test_rollback_to_explicit_version(registry: Store) -> None:
    outcome = change(
        registry, "anna", "rollback_model", {"model": "fraud-detector", "to_version": 1}
    )
    assert outcome.status == "ok"
    assert rows(registry, "SELECT version FROM model_alias WHERE alias = 'production'") == [(1,)]


def test_second_rollback_skips_rolled_back_version(registry: Store) -> None:
    # The first rollback leaves v2, so v2 is skipped and the second goes back to v1.
    change(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    outcome = change(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert outcome.result is not None
    assert outcome.result["summary"] == "production: fraud-detector v3 → v1 (rollback)"


def test_rollback_without_history_is_refused(registry: Store) -> None:
    change(
        registry,
        "eddie",
        "set_alias",
        {"model": "churn-model", "alias": "production-candidate", "version": 2},
    )
    outcome = request(
        registry,
        "anna",
        "rollback_model",
        {"model": "churn-model", "alias": "production-candidate"},
    )
    assert outcome.status == "error"
    assert "no version held 'production-candidate' of churn-model before v2" in (
        outcome.error or ""
    )


def test_rollback_of_missing_alias(registry: Store) -> None:
    outcome = request(registry, "anna", "rollback_model", {"model": "churn-model"})
    assert outcome.status == "error"
    assert "churn-model has no alias 'production'" in (outcome.error or "")


def test_editor_cannot_roll_back(registry: Store) -> None:
    outcome = request(registry, "eddie", "rollback_model", {"model": "fraud-detector"})
    assert outcome.status == "denied"


@pytest.mark.parametrize(
    ("moves", "current", "expected"),
    [
        ([(None, 1), (1, 3), (3, 2)], 2, 3),
        ([(None, 1), (1, 2)], 2, 1),
        ([(None, 1), (1, None), (None, 2)], 2, 1),
        ([(None, 1), (1, 2), (2, 1)], 1, 2),
        ([(None, 4)], 4, None),
        ([], 4, None),
    ],
)
def test_previous_holder(
    moves: list[tuple[int | None, int | None]], current: int, expected: int | None
) -> None:
    assert previous_holder(events(*moves), current) == expected
