"""Rollback: move an alias back to the newest earlier holder that was not rolled back from."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from tools.errors import InvalidInputError, NotFoundError
from tools.registry_service.aliases import AliasMove, alias_events, plan_alias_move
from tools.registry_service.lookup import require_alias, require_model
from tools.registry_service.policy import RegistryPolicy
from tools.store.schema import AliasEvent

# The alias_event.action that AliasMove.event_action records for a move of kind "rollback".
ROLLBACK_ACTION = "rollback"


def rolled_back_versions(events: list[AliasEvent]) -> set[int]:
    """Return the versions a rollback moved the alias away from, because they were found bad.

    ``events`` is the alias history, oldest first. A version that a later forward change
    (set, move, promote, import) points the alias at again counts as good again.
    """
    rolled_back: set[int] = set()
    for event in events:
        if event.action == ROLLBACK_ACTION:
            if event.from_version is not None:
                rolled_back.add(event.from_version)
        elif event.to_version is not None:
            rolled_back.discard(event.to_version)
    return rolled_back


def previous_holder(events: list[AliasEvent], current_version: int) -> int | None:
    """Return the version a rollback from ``current_version`` goes to, or None.

    ``events`` is the alias history, oldest first. Starting at the newest event that set the
    alias to ``current_version``, the history is read backwards, and the first version that
    held the alias is returned, skipping removals and the versions in rolled_back_versions.
    So after 1 → 3 → 2 a rollback goes to 3, not to 2 - 1, and after 1 → 2 → 3 and a
    rollback 3 → 2, it goes to 1 because v3 was rolled back from.
    """
    start = next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].to_version == current_version),
        None,
    )
    if start is None:
        return None
    skipped = rolled_back_versions(events)
    # An event's from_version held the alias just before its to_version, so reading both,
    # newest event first, walks the holders back in time.
    for event in reversed(events[: start + 1]):
        for version in (event.to_version, event.from_version):
            if version is not None and version != current_version and version not in skipped:
                return version
    return None


def plan_rollback(
    session: Session,
    policy: RegistryPolicy,
    model: str,
    alias: str,
    to_version: int | None = None,
) -> AliasMove:
    """Plan moving ``alias`` back to ``to_version``, by default the previous_holder.

    An explicit ``to_version`` is used even when the alias was rolled back from it.
    """
    name = require_model(session, model).name
    current = require_alias(session, name, alias)
    events = alias_events(session, name, alias)
    target = to_version
    if target is None:
        target = previous_holder(events, current.version)
        if target is None:
            raise NotFoundError(_no_target_message(name, alias, current.version, events))
    if target == current.version:
        raise InvalidInputError(f"{alias} already points at {name} v{target}; nothing to roll back")
    move = plan_alias_move(session, policy, name, alias, target, "rollback", label="rollback")
    # The default target comes from the history, so the newest event is part of the state.
    newest = [events[-1].id] if events else []
    return replace(move, state=[*move.state, newest])


def _no_target_message(name: str, alias: str, current: int, events: list[AliasEvent]) -> str:
    skipped = sorted(rolled_back_versions(events) - {current})
    text = f"no version held {alias!r} of {name} before v{current}"
    if skipped:
        listed = ", ".join(f"v{version}" for version in skipped)
        text += f" apart from {listed}, which the alias was rolled back from"
    return text + "; give to_version to roll back to a specific version"
