"""Rollback: move an alias back to the version that held it before the current one."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from tools.errors import InvalidInputError, NotFoundError
from tools.registry_service.aliases import AliasMove, alias_events, plan_alias_move
from tools.registry_service.lookup import require_alias, require_model
from tools.registry_service.policy import RegistryPolicy
from tools.store.schema import AliasEvent


def previous_holder(events: list[AliasEvent], current_version: int) -> int | None:
    """Return the version that held the alias before ``current_version`` took it.

    The current tenure starts at the newest event that set the alias to ``current_version``.
    Its ``from_version`` is returned when set. Otherwise, because the alias was removed or
    newly set in between, the newest earlier event that pointed it elsewhere gives the version. This
    reads the history, so after 1 → 3 → 2 a rollback goes to 3, not to 2 - 1.
    """
    start = next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].to_version == current_version),
        None,
    )
    if start is None:
        return None
    if events[start].from_version not in (None, current_version):
        return events[start].from_version
    for event in reversed(events[:start]):
        if event.to_version is not None and event.to_version != current_version:
            return event.to_version
    return None


def plan_rollback(
    session: Session,
    policy: RegistryPolicy,
    model: str,
    alias: str,
    to_version: int | None = None,
) -> AliasMove:
    """Plan moving ``alias`` back to ``to_version``, by default the previous holder."""
    name = require_model(session, model).name
    current = require_alias(session, name, alias)
    events = alias_events(session, name, alias)
    target = to_version
    if target is None:
        target = previous_holder(events, current.version)
        if target is None:
            raise NotFoundError(
                f"no version held {alias!r} of {name} before v{current.version}; "
                "give to_version to roll back to a specific version"
            )
    if target == current.version:
        raise InvalidInputError(f"{alias} already points at {name} v{target}; nothing to roll back")
    move = plan_alias_move(session, policy, name, alias, target, "rollback", label="rollback")
    # The default target comes from the history, so the newest event is part of the state.
    newest = [events[-1].id] if events else []
    return replace(move, state=[*move.state, newest])
