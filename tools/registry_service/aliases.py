"""Alias moves (set, move, remove, rollback, promote) and the alias history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from tools.clock import now
from tools.errors import InvalidInputError, NotFoundError
from tools.registry_service.deployments import deployment_state, record_deployment
from tools.registry_service.fingerprint import fingerprint
from tools.registry_service.lookup import alias_row, require_model, require_version
from tools.registry_service.policy import RegistryPolicy
from tools.registry_service.views import AliasEventView
from tools.store.schema import AliasEvent, ModelAlias, RegisteredModel

MoveKind = Literal["assign", "remove", "rollback", "promote"]


def version_label(version: int | None) -> str:
    return f"v{version}" if version is not None else "(unset)"


@dataclass(frozen=True)
class AliasMove:
    """One planned change of an alias, and the deployment it implies."""

    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    kind: MoveKind
    environment: str | None
    state: list[object] = field(default_factory=list)
    label: str | None = None  # shown in brackets after the arrow, e.g. "rollback"

    @property
    def event_action(self) -> str:
        """The ``alias_event.action`` this move records."""
        if self.kind == "assign":
            return "set" if self.from_version is None else "move"
        return self.kind

    @property
    def deployment_action(self) -> str:
        if self.to_version is None:
            return "undeploy"
        return "rollback" if self.kind == "rollback" else "deploy"

    @property
    def summary(self) -> str:
        target = "(removed)" if self.to_version is None else f"v{self.to_version}"
        text = f"{self.alias}: {self.model} {version_label(self.from_version)} → {target}"
        return f"{text} ({self.label})" if self.label else text

    @property
    def fingerprint(self) -> str:
        return fingerprint("alias", self.model, self.alias, self.to_version, self.state)


def plan_alias_move(
    session: Session,
    policy: RegistryPolicy,
    model: str,
    alias: str,
    to_version: int | None,
    kind: MoveKind,
    label: str | None = None,
) -> AliasMove:
    """Check that ``alias`` of ``model`` can point at ``to_version`` (None removes it)."""
    name = require_model(session, model).name
    current = alias_row(session, name, alias)
    from_version = current.version if current is not None else None
    state: list[object] = [from_version, current.assigned_at if current else None]

    if to_version is None:
        if current is None:
            raise NotFoundError(f"{name} has no alias {alias!r}; nothing to remove")
    else:
        target = require_version(session, name, to_version)
        if from_version == to_version:
            raise InvalidInputError(
                f"{alias} already points at {name} v{to_version}; nothing to change"
            )
        if target.status == "ARCHIVED" and policy.is_protected(alias):
            raise InvalidInputError(
                f"{name} v{to_version} is archived, and protected alias {alias!r} must point "
                "at a live version; pick another version"
            )
        state.append([target.id, target.status])

    environment = policy.environment_of(alias)
    if environment is not None:
        state.append(deployment_state(session, name, environment))
    return AliasMove(name, alias, from_version, to_version, kind, environment, state, label)


def apply_alias_move(
    session: Session, move: AliasMove, actor: str, reason: str | None = None
) -> None:
    """Write the alias row, its history event and, for an environment alias, the deployment."""
    occurred_at = now()
    current = alias_row(session, move.model, move.alias)
    if move.to_version is None:
        if current is not None:
            session.delete(current)
    else:
        row = current or ModelAlias(model_name=move.model, alias=move.alias, version=0)
        row.version = move.to_version
        row.assigned_at = occurred_at
        row.assigned_by = actor
        session.add(row)

    session.add(
        AliasEvent(
            model_name=move.model,
            alias=move.alias,
            from_version=move.from_version,
            to_version=move.to_version,
            action=move.event_action,
            actor=actor,
            reason=reason,
            occurred_at=occurred_at,
        )
    )
    if move.environment is not None:
        record_deployment(
            session,
            model=move.model,
            environment=move.environment,
            from_version=move.from_version,
            to_version=move.to_version,
            action=move.deployment_action,
            actor=actor,
            note=reason or move.summary,
        )
    _touch_model(session, move.model, occurred_at)


def _touch_model(session: Session, model: str, when: datetime) -> None:
    row = session.exec(select(RegisteredModel).where(RegisteredModel.name == model)).one()
    row.updated_at = when
    session.add(row)


def alias_events(session: Session, model: str, alias: str) -> list[AliasEvent]:
    """Return the alias's history, oldest first."""
    query = (
        select(AliasEvent)
        .where(AliasEvent.model_name == model, AliasEvent.alias == alias)
        .order_by(col(AliasEvent.occurred_at), col(AliasEvent.seq))
    )
    return list(session.exec(query).all())


def view_event(event: AliasEvent) -> AliasEventView:
    return AliasEventView(
        alias=event.alias,
        from_version=event.from_version,
        to_version=event.to_version,
        action=event.action,
        actor=event.actor,
        reason=event.reason,
        occurred_at=event.occurred_at,
    )


def holder_before(
    events: list[AliasEvent], current: ModelAlias | None, instant: datetime
) -> int | None:
    """Return the version that held the alias just before ``instant`` (events before it)."""
    earlier = [event for event in events if event.occurred_at < instant]
    if earlier:
        return earlier[-1].to_version
    # An alias imported without history counts from the time it was assigned.
    if not events and current is not None and current.assigned_at < instant:
        return current.version
    return None
