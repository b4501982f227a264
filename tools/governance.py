"""Governance around every tool call: role check, confirmation, transaction and audit entry.

A mutating call never runs on the first request. ``invoke`` returns a confirmation request
that states the change and carries a token tied to the user, the tool, the arguments and a
fingerprint of the store state. ``confirm`` runs it only for that user, only once, and only
while the state is unchanged. The change, the token's use and the audit entry are written in
one transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from tools.clock import now
from tools.errors import (
    ConfirmationError,
    InvalidInputError,
    ModelPilotError,
    PermissionDeniedError,
)
from tools.settings import Settings, get_settings
from tools.store.db import Store, open_store
from tools.store.schema import AuditEntry, ConfirmationRequest, User
from tools.tool_registry import REGISTRY, Role, Tool, ToolContext, role_allows

log = logging.getLogger(__name__)

CONFIRMATION_TTL = timedelta(minutes=15)
Status = Literal["ok", "error", "denied", "needs_confirmation"]


@dataclass(frozen=True)
class Actor:
    """The acting user and the channel of the call (cli, console, slack, llm, pipeline...)."""

    user: str
    channel: str = "cli"


@dataclass
class Confirmation:
    token: str
    summary: str
    tool: str
    arguments: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolOutcome:
    """The result of one tool call as every channel and the answer contract see it."""

    name: str
    arguments: dict[str, Any]
    status: Status
    result: dict[str, Any] | None = None
    error: str | None = None
    confirmation: Confirmation | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonical_arguments(args: BaseModel) -> dict[str, Any]:
    return args.model_dump(mode="json")


def _arguments_digest(arguments: dict[str, Any]) -> str:
    encoded = json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def lookup_role(session: Session, user: str) -> Role:
    """Return the user's role from the store; an unknown user is a viewer."""
    row = session.get(User, user)
    if row is None or row.role not in ("viewer", "editor", "approver", "admin"):
        return "viewer"
    return row.role  # type: ignore[return-value]


def _validate(tool: Tool, arguments: dict[str, Any]) -> BaseModel:
    try:
        return tool.args_model.model_validate(arguments)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidInputError(f"invalid arguments for {tool.name}: {problems}") from exc


def _audit(
    session: Session,
    actor: Actor,
    tool: str,
    arguments: dict[str, Any],
    *,
    mutating: bool,
    outcome: str,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            user=actor.user,
            channel=actor.channel,
            tool=tool,
            arguments=arguments,
            mutating=mutating,
            outcome=outcome,
            detail=(detail or "")[:2000] or None,
        )
    )


class Governor:
    """Runs tool calls for actors against one store, applying the workspace's rules."""

    def __init__(self, store: Store | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.store = store or open_store(self.settings)

    def _context(self, actor: Actor, role: Role, session: Session | None = None) -> ToolContext:
        return ToolContext(
            store=self.store,
            settings=self.settings,
            user=actor.user,
            role=role,
            channel=actor.channel,
            session=session,
        )

    def role_of(self, user: str) -> Role:
        with self.store.session() as session:
            return lookup_role(session, user)

    def invoke(self, name: str, arguments: dict[str, Any], actor: Actor) -> ToolOutcome:
        """Run a read-only tool, or turn a mutating one into a confirmation request."""
        try:
            tool = REGISTRY.get(name, read_only=self.settings.read_only)
        except ModelPilotError as exc:
            if self.settings.read_only and name in REGISTRY.names():
                message = f"{name} is not available: the workspace is read-only"
            else:
                message = str(exc)
            self._audit_alone(
                actor, name, arguments, mutating=False, outcome="error", detail=message
            )
            return ToolOutcome(name, arguments, "error", error=message)
        try:
            args = _validate(tool, arguments)
        except InvalidInputError as exc:
            self._audit_alone(
                actor, name, arguments, mutating=tool.mutating, outcome="error", detail=str(exc)
            )
            return ToolOutcome(name, arguments, "error", error=str(exc))
        clean = canonical_arguments(args)
        if tool.mutating:
            return self._request_confirmation(tool, args, clean, actor)
        return self._run_read(tool, args, clean, actor)

    def _run_read(
        self, tool: Tool, args: BaseModel, clean: dict[str, Any], actor: Actor
    ) -> ToolOutcome:
        role = self.role_of(actor.user)
        try:
            result = tool.run(self._context(actor, role), args)
        except ModelPilotError as exc:
            self._audit_alone(
                actor, tool.name, clean, mutating=False, outcome="error", detail=str(exc)
            )
            return ToolOutcome(tool.name, clean, "error", error=str(exc))
        self._audit_alone(actor, tool.name, clean, mutating=False, outcome="ok")
        return ToolOutcome(tool.name, clean, "ok", result=result.model_dump(mode="json"))

    def _request_confirmation(
        self, tool: Tool, args: BaseModel, clean: dict[str, Any], actor: Actor
    ) -> ToolOutcome:
        with self.store.session() as session:
            role = lookup_role(session, actor.user)
            required = tool.required_role(args)
            if not role_allows(role, required):
                message = (
                    f"{actor.user} ({role}) may not run {tool.name}: it needs the {required} role; "
                    "ask an admin to run `modelpilot users add NAME --role ROLE`"
                )
                _audit(
                    session,
                    actor,
                    tool.name,
                    clean,
                    mutating=True,
                    outcome="denied",
                    detail=message,
                )
                return ToolOutcome(tool.name, clean, "denied", error=message)
            assert tool.plan is not None
            try:
                plan = tool.plan(self._context(actor, role, session), args)
            except PermissionDeniedError as exc:
                # A plan may see what a role rule cannot (e.g. the first user may become admin).
                _audit(
                    session,
                    actor,
                    tool.name,
                    clean,
                    mutating=True,
                    outcome="denied",
                    detail=str(exc),
                )
                return ToolOutcome(tool.name, clean, "denied", error=str(exc))
            except ModelPilotError as exc:
                _audit(
                    session,
                    actor,
                    tool.name,
                    clean,
                    mutating=True,
                    outcome="error",
                    detail=str(exc),
                )
                return ToolOutcome(tool.name, clean, "error", error=str(exc))
            token = secrets.token_urlsafe(16)
            session.add(
                ConfirmationRequest(
                    token=token,
                    user=actor.user,
                    tool=tool.name,
                    arguments=clean,
                    state_fingerprint=plan.fingerprint,
                    summary=plan.summary,
                )
            )
            _audit(
                session,
                actor,
                tool.name,
                clean,
                mutating=True,
                outcome="needs_confirmation",
                detail=plan.summary,
            )
        confirmation = Confirmation(token, plan.summary, tool.name, clean, plan.details)
        return ToolOutcome(tool.name, clean, "needs_confirmation", confirmation=confirmation)

    def confirm(self, token: str, actor: Actor) -> ToolOutcome:
        """Run the change behind ``token`` if the same user confirms it while it is fresh."""
        try:
            return self._confirm(token, actor)
        except ConfirmationError as exc:
            self._audit_alone(
                actor,
                "confirm",
                {"token": token[:6] + "…"},
                mutating=True,
                outcome="rejected",
                detail=str(exc),
            )
            return ToolOutcome("confirm", {}, "error", error=str(exc))

    def _confirm(self, token: str, actor: Actor) -> ToolOutcome:
        # One transaction claims the token, re-checks role and state, makes the change and
        # writes the audit entry, so a racing second confirm finds the token used.
        tool_name = "confirm"
        try:
            with self.store.session() as session:
                request = self._claim(session, token, actor)
                tool_name = request.tool
                tool = REGISTRY.get(request.tool, read_only=self.settings.read_only)
                args = _validate(tool, request.arguments or {})
                clean = canonical_arguments(args)
                role = lookup_role(session, actor.user)
                required = tool.required_role(args)
                if not role_allows(role, required):
                    raise ConfirmationError(
                        f"{actor.user} ({role}) may not run {tool.name}: "
                        f"it needs the {required} role"
                    )
                ctx = self._context(actor, role, session)
                assert tool.plan is not None
                plan = tool.plan(ctx, args)
                if plan.fingerprint != request.state_fingerprint:
                    raise ConfirmationError(
                        "the store changed since this was requested "
                        f"(now: {plan.summary}); ask for the change again"
                    )
                result = tool.run(ctx, args)
                _audit(
                    session,
                    actor,
                    tool.name,
                    clean,
                    mutating=True,
                    outcome="ok",
                    detail=plan.summary,
                )
        except ConfirmationError:
            raise
        except ModelPilotError as exc:
            self._audit_alone(actor, tool_name, {}, mutating=True, outcome="error", detail=str(exc))
            return ToolOutcome(tool_name, {}, "error", error=str(exc))
        for callback in ctx.after_commit:
            callback()
        log.info("%s ran %s via %s: %s", actor.user, tool.name, actor.channel, plan.summary)
        return ToolOutcome(tool.name, clean, "ok", result=result.model_dump(mode="json"))

    def _claim(self, session: Session, token: str, actor: Actor) -> ConfirmationRequest:
        request = session.get(ConfirmationRequest, token)
        if request is None:
            raise ConfirmationError("unknown confirmation token; ask for the change again")
        if request.user != actor.user:
            raise ConfirmationError(
                f"this change was requested by {request.user}; only they can confirm it"
            )
        if request.used_at is not None:
            raise ConfirmationError("this confirmation was already used; ask for the change again")
        if now() - request.created_at > CONFIRMATION_TTL:
            raise ConfirmationError("this confirmation expired; ask for the change again")
        request.used_at = now()
        session.add(request)
        session.flush()
        return request

    def cancel(self, token: str, actor: Actor) -> bool:
        """Void a pending confirmation so it can never run; only its requester may cancel."""
        with self.store.session() as session:
            request = session.get(ConfirmationRequest, token)
            if request is None or request.used_at is not None or request.user != actor.user:
                return False
            request.used_at = now()
            session.add(request)
            arguments = request.arguments or {}
            _audit(
                session,
                actor,
                request.tool,
                arguments,
                mutating=True,
                outcome="cancelled",
                detail=request.summary,
            )
        return True

    def _audit_alone(
        self, actor: Actor, tool: str, arguments: dict[str, Any], **fields: Any
    ) -> None:
        with self.store.session() as session:
            _audit(session, actor, tool, arguments, **fields)
