"""A default rollback skips versions the alias was rolled back from; to_version still wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.test_registry_support import change, registry, registry_template, request
from tools.registry_service.rollback import previous_holder, rolled_back_versions
from tools.store.db import Store
from tools.store.schema import AliasEvent

__all__ = ["registry", "registry_template"]

Move = tuple[int | None, int | None, str]


def history(*moves: Move) -> list[AliasEvent]:
    return [
        AliasEvent(
            model_name="m",
            alias="production",
            from_version=old,
            to_version=new,
            action=action,
            occurred_at=datetime(2026, 1, day + 1, tzinfo=UTC),
        )
        for day, (old, new, action) in enumerate(moves)
    ]


EXAMPLE = history((None, 1, "set"), (1, 2, "promote"), (2, 3, "promote"), (3, 2, "rollback"))


def test_rollback_skips_version_rolled_back_from() -> None:
    assert previous_holder(EXAMPLE, 2) == 1


def test_rolled_back_versions_of_example() -> None:
    assert rolled_back_versions(EXAMPLE) == {3}


@pytest.mark.parametrize(
    ("moves", "current", "expected"),
    [
        # Both later versions were rolled back from, so nothing good is left before v1.
        ([(None, 1, "set"), (1, 2, "move"), (2, 1, "rollback")], 1, None),
        # v2 was rolled back from, then promoted again on purpose: it counts as good again.
        (
            [(None, 1, "set"), (1, 2, "move"), (2, 1, "rollback"), (1, 2, "move"), (2, 3, "move")],
            3,
            2,
        ),
        # A removal in between is skipped as well.
        (
            [(None, 1, "set"), (1, 2, "move"), (2, None, "remove"), (None, 3, "set")],
            3,
            2,
        ),
        # Rolling back twice walks further back instead of returning to the bad version.
        (
            [(None, 1, "set"), (1, 2, "move"), (2, 3, "move"), (3, 4, "move"), (4, 3, "rollback")],
            3,
            2,
        ),
        ([(None, 1, "set"), (1, 3, "move"), (3, 2, "move")], 2, 3),
    ],
)
def test_previous_holder_with_rollbacks(
    moves: list[Move], current: int, expected: int | None
) -> None:
    assert previous_holder(history(*moves), current) == expected


def champion_history(store: Store, *versions: int) -> None:
    """Point the champion alias of fraud-detector at ``versions`` in turn, as anna."""
    for version in versions:
        outcome = change(
            store,
            "anna",
            "set_alias",
            {"model": "fraud-detector", "alias": "champion", "version": version},
        )
        assert outcome.status == "ok", outcome.error


def rollback(store: Store, **arguments: object) -> str:
    outcome = change(
        store,
        "anna",
        "rollback_model",
        {"model": "fraud-detector", "alias": "champion", **arguments},
    )
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    return str(outcome.result["summary"])


def test_tool_skips_rolled_back_version(registry: Store) -> None:
    champion_history(registry, 1, 2, 3)
    assert rollback(registry) == "champion: fraud-detector v3 → v2 (rollback)"
    assert rollback(registry) == "champion: fraud-detector v2 → v1 (rollback)"


def test_explicit_version_wins_over_skipping(registry: Store) -> None:
    champion_history(registry, 1, 2, 3)
    rollback(registry)
    assert rollback(registry, to_version=3) == "champion: fraud-detector v2 → v3 (rollback)"


def test_no_good_holder_suggests_to_version(registry: Store) -> None:
    champion_history(registry, 1, 2)
    rollback(registry)
    outcome = request(
        registry, "anna", "rollback_model", {"model": "fraud-detector", "alias": "champion"}
    )
    assert outcome.status == "error"
    assert outcome.error == (
        "no version held 'champion' of fraud-detector before v1 apart from v2, which the alias "
        "was rolled back from; give to_version to roll back to a specific version"
    )
