"""Promotion requests: ask to move an alias to a version, then approve or reject."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import Session, col, select

from tools.clock import now
from tools.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from tools.registry_service.aliases import (
    AliasMove,
    apply_alias_move,
    plan_alias_move,
    version_label,
)
from tools.registry_service.checklist import evaluate_checklist, failed_required
from tools.registry_service.diff import diff_versions
from tools.registry_service.fingerprint import fingerprint
from tools.registry_service.lookup import alias_row, require_model, require_version
from tools.registry_service.policy import POLICY_FILE, RegistryPolicy
from tools.registry_service.views import ChecklistItem, PromotionRequestView, VersionDiff
from tools.store.schema import PromotionRequest

# A request id may be shortened to a unique prefix of at least this many characters.
MIN_ID_PREFIX = 4


@dataclass(frozen=True)
class PromotionPlan:
    """A planned promotion request with its checklist and diff against the current holder."""

    model: str
    version: int
    alias: str
    baseline_version: int | None
    checklist: list[ChecklistItem]
    diff: VersionDiff
    metrics: dict[str, float]
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        passed = sum(item.passed for item in self.checklist)
        return (
            f"request promotion: {self.alias}: {self.model} "
            f"{version_label(self.baseline_version)} → v{self.version} "
            f"(checklist {passed}/{len(self.checklist)} passed)"
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint("request", self.model, self.version, self.alias, self.state)


def _raise_for_failed_checks(items: list[ChecklistItem], model: str, version: int) -> None:
    failed = failed_required(items)
    if failed:
        first = failed[0]
        raise InvalidInputError(
            f"the workspace policy requires {first.name} for promotion, and {model} "
            f"v{version} fails it ({first.detail}); fix that or change "
            f"promotion.required_checks in {POLICY_FILE}"
        )


def _pending(session: Session, model: str, version: int, alias: str) -> list[PromotionRequest]:
    query = select(PromotionRequest).where(
        PromotionRequest.model_name == model,
        PromotionRequest.version == version,
        PromotionRequest.target_alias == alias,
        PromotionRequest.status == "pending",
    )
    return list(session.exec(query).all())


def plan_promotion_request(
    session: Session, policy: RegistryPolicy, model: str, version: int, alias: str
) -> PromotionPlan:
    """Check the candidate, evaluate its checklist and diff it against the alias holder."""
    name = require_model(session, model).name
    candidate = require_version(session, name, version)

    # Reject requests that could never be approved before anyone reviews them.
    if candidate.status == "ARCHIVED":
        raise InvalidInputError(f"{name} v{version} is archived; promote a live version")
    current = alias_row(session, name, alias)
    if current is not None and current.version == version:
        raise InvalidInputError(f"{alias} already points at {name} v{version}; nothing to promote")
    pending = _pending(session, name, version, alias)
    if pending:
        raise InvalidInputError(
            f"promotion request {pending[0].id[:8]} for {name} v{version} to {alias} is "
            "already pending; approve or reject it"
        )
    checklist = evaluate_checklist(session, policy, candidate)
    _raise_for_failed_checks(checklist, name, version)

    baseline = require_version(session, name, current.version) if current else None
    state: list[object] = [
        [candidate.id, candidate.status, candidate.updated_at],
        [current.version, current.assigned_at] if current else None,
        [[item.name, item.passed] for item in checklist],
    ]
    return PromotionPlan(
        model=name,
        version=version,
        alias=alias,
        baseline_version=baseline.version if baseline else None,
        checklist=checklist,
        diff=diff_versions(session, candidate, baseline),
        metrics=candidate.metrics or {},
        state=state,
    )


def apply_promotion_request(
    session: Session, plan: PromotionPlan, actor: str, reason: str | None
) -> PromotionRequest:
    request = PromotionRequest(
        model_name=plan.model,
        version=plan.version,
        target_alias=plan.alias,
        requested_by=actor,
        reason=reason,
        checklist={"items": [item.model_dump() for item in plan.checklist]},
        metrics=plan.metrics,
        diff=plan.diff.model_dump(mode="json"),
        created_at=now(),
    )
    session.add(request)
    return request


def find_request(session: Session, request_id: str) -> PromotionRequest:
    """Return the request by id or by a unique prefix of it."""
    text = request_id.strip()
    request = session.get(PromotionRequest, text)
    if request is not None:
        return request
    if len(text) >= MIN_ID_PREFIX:
        query = select(PromotionRequest).where(col(PromotionRequest.id).startswith(text))
        rows = list(session.exec(query.limit(2)).all())
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise InvalidInputError(f"{request_id!r} matches several promotion requests; give more")
    raise NotFoundError(
        f"no promotion request {request_id!r}; list them with list_promotion_requests"
    )


Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class ReviewPlan:
    """A planned decision on a pending request, and the alias move an approval makes."""

    request_id: str
    decision: Decision
    description: str
    move: AliasMove | None
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.move is not None:
            return self.move.summary
        return f"reject promotion {self.request_id[:8]}: {self.description}"

    @property
    def fingerprint(self) -> str:
        moved = self.move.fingerprint if self.move else None
        return fingerprint("review", self.request_id, self.decision, self.state, moved)


def _describe(request: PromotionRequest) -> str:
    return (
        f"{request.model_name} v{request.version} to {request.target_alias} "
        f"(requested by {request.requested_by})"
    )


def _require_pending(request: PromotionRequest) -> None:
    if request.status != "pending":
        raise InvalidInputError(
            f"promotion request {request.id[:8]} is {request.status}, not pending; "
            "request the promotion again"
        )


def plan_approval(
    session: Session, policy: RegistryPolicy, request_id: str, actor: str
) -> ReviewPlan:
    """Check that ``actor`` may approve the request now, and plan the alias move."""
    request = find_request(session, request_id)
    _require_pending(request)
    if request.requested_by == actor:
        raise PermissionDeniedError(
            f"{actor} requested promotion {request.id[:8]} and cannot approve it; "
            "ask another approver"
        )
    candidate = require_version(session, request.model_name, request.version)
    checklist = evaluate_checklist(session, policy, candidate)
    _raise_for_failed_checks(checklist, request.model_name, request.version)
    move = plan_alias_move(
        session,
        policy,
        request.model_name,
        request.target_alias,
        request.version,
        "promote",
        label=f"promotion {request.id[:8]}",
    )
    state: list[object] = [request.status, [[item.name, item.passed] for item in checklist]]
    return ReviewPlan(request.id, "approve", _describe(request), move, state)


def plan_rejection(session: Session, request_id: str) -> ReviewPlan:
    request = find_request(session, request_id)
    _require_pending(request)
    return ReviewPlan(request.id, "reject", _describe(request), None, [request.status])


def apply_review(
    session: Session, plan: ReviewPlan, actor: str, comment: str | None
) -> PromotionRequest:
    """Record the decision; an approval also moves the alias and deploys when it applies."""
    request = find_request(session, plan.request_id)
    if plan.move is not None:
        reason = f"promotion {request.id[:8]} requested by {request.requested_by}"
        apply_alias_move(
            session, plan.move, actor, reason=f"{reason}: {comment}" if comment else reason
        )
    request.status = "approved" if plan.decision == "approve" else "rejected"
    request.reviewed_by = actor
    request.review_comment = comment
    request.reviewed_at = now()
    session.add(request)
    return request


def view_request(request: PromotionRequest) -> PromotionRequestView:
    items = (request.checklist or {}).get("items", [])
    return PromotionRequestView(
        id=request.id,
        model=request.model_name,
        version=request.version,
        target_alias=request.target_alias,
        status=request.status,
        requested_by=request.requested_by,
        reason=request.reason,
        reviewed_by=request.reviewed_by,
        review_comment=request.review_comment,
        checklist=[ChecklistItem.model_validate(item) for item in items],
        metrics=request.metrics or {},
        diff=VersionDiff.model_validate(request.diff) if request.diff else None,
        created_at=request.created_at,
        reviewed_at=request.reviewed_at,
    )


def list_requests(
    session: Session, status: str | None = None, model: str | None = None
) -> list[PromotionRequestView]:
    """Return promotion requests, newest first."""
    query = select(PromotionRequest)
    if status is not None:
        query = query.where(PromotionRequest.status == status)
    if model is not None:
        query = query.where(PromotionRequest.model_name == model)
    rows = session.exec(query.order_by(col(PromotionRequest.created_at).desc())).all()
    return [view_request(row) for row in rows]
