"""Promotion requests: checklist, diff, policy refusal, approval by someone else, rejection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.test_registry_support import (
    change,
    changed_tables,
    registry,
    registry_template,
    request,
    snapshot,
)
from tools.settings import get_settings
from tools.store.db import Store

__all__ = ["registry", "registry_template"]


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        return [tuple(row) for row in connection.execute(text(sql)).fetchall()]


def promote(store: Store, version: int = 4, user: str = "eddie") -> dict[str, Any]:
    outcome = change(
        store, user, "request_promotion", {"model": "fraud-detector", "version": version}
    )
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    request_view: dict[str, Any] = outcome.result["request"]
    return request_view


def write_policy(content: str) -> None:
    home = get_settings().home
    home.mkdir(parents=True, exist_ok=True)
    (home / "policy.yaml").write_text(content)


def test_request_carries_checklist_and_diff(registry: Store) -> None:
    view = promote(registry)
    checklist = {item["name"]: (item["passed"], item["required"]) for item in view["checklist"]}
    assert view["status"] == "pending"
    assert view["requested_by"] == "eddie"
    assert checklist == {
        "model_card": (False, False),
        "evaluation_metrics": (True, False),
        "lineage": (True, False),
        "dependencies": (True, False),
    }
    diff = view["diff"]
    assert diff["baseline_version"] == 2
    auc = next(m for m in diff["metrics"] if m["key"] == "auc")
    assert (auc["candidate"], auc["baseline"]) == (0.90, 0.86)
    assert round(auc["delta"], 6) == 0.04
    assert diff["params"] == [{"key": "max_depth", "candidate": "4", "baseline": "2"}]
    assert diff["dependencies"] == [
        {"key": "scikit-learn", "candidate": "1.4.0", "baseline": "1.2.0"}
    ]
    assert view["metrics"]["auc"] == 0.90


def test_request_summary(registry: Store) -> None:
    outcome = request(
        registry, "eddie", "request_promotion", {"model": "fraud-detector", "version": 4}
    )
    assert outcome.confirmation is not None
    assert outcome.confirmation.summary == (
        "request promotion: production: fraud-detector v2 → v4 (checklist 3/4 passed)"
    )


def test_requester_cannot_approve(registry: Store) -> None:
    view = promote(registry, user="anna")
    before = snapshot(registry)
    outcome = request(registry, "anna", "approve_promotion", {"request_id": view["id"]})
    assert outcome.status == "denied"
    assert outcome.error == (
        f"anna requested promotion {view['id'][:8]} and cannot approve it; ask another approver"
    )
    assert snapshot(registry) == before


def test_approval_moves_alias_and_deploys(registry: Store) -> None:
    view = promote(registry)
    before = snapshot(registry)
    outcome = change(
        registry, "anna", "approve_promotion", {"request_id": view["id"][:6], "comment": "ok"}
    )
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    assert outcome.result["summary"] == (
        f"production: fraud-detector v2 → v4 (promotion {view['id'][:8]})"
    )
    assert changed_tables(before, snapshot(registry)) == {
        "promotion_request",
        "model_alias",
        "alias_event",
        "deployment",
        "deployment_event",
        "registered_model",
    }
    assert rows(registry, "SELECT status, reviewed_by, review_comment FROM promotion_request") == [
        ("approved", "anna", "ok")
    ]
    assert rows(registry, "SELECT version FROM model_alias WHERE alias = 'production'") == [(4,)]
    assert rows(
        registry,
        "SELECT action, actor FROM alias_event WHERE alias = 'production' "
        "ORDER BY seq DESC LIMIT 1",
    ) == [("promote", "anna")]
    assert rows(registry, "SELECT version FROM deployment WHERE environment = 'production'") == [
        (4,)
    ]


def test_editor_cannot_approve(registry: Store) -> None:
    view = promote(registry)
    outcome = request(registry, "eddie", "approve_promotion", {"request_id": view["id"]})
    assert outcome.status == "denied"


def test_approval_goes_stale_when_alias_moves(registry: Store) -> None:
    from tests.test_registry_support import governor
    from tools.governance import Actor

    view = promote(registry)
    pending = request(registry, "anna", "approve_promotion", {"request_id": view["id"]})
    assert pending.confirmation is not None
    change(
        registry,
        "ada",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 3},
    )
    before = snapshot(registry)
    outcome = governor(registry).confirm(pending.confirmation.token, Actor("anna", "cli"))
    assert outcome.status == "error"
    assert "the store changed" in (outcome.error or "")
    assert snapshot(registry) == before


def test_reject_keeps_alias(registry: Store) -> None:
    view = promote(registry)
    outcome = change(
        registry, "paul", "reject_promotion", {"request_id": view["id"], "comment": "no card"}
    )
    assert outcome.status == "ok"
    assert rows(registry, "SELECT status, reviewed_by, review_comment FROM promotion_request") == [
        ("rejected", "paul", "no card")
    ]
    assert rows(registry, "SELECT version FROM model_alias WHERE alias = 'production'") == [(2,)]
    again = request(registry, "anna", "approve_promotion", {"request_id": view["id"]})
    assert again.status == "error"
    assert "is rejected, not pending" in (again.error or "")


def test_duplicate_pending_request_is_refused(registry: Store) -> None:
    view = promote(registry)
    outcome = request(
        registry, "eddie", "request_promotion", {"model": "fraud-detector", "version": 4}
    )
    assert outcome.status == "error"
    assert f"promotion request {view['id'][:8]}" in (outcome.error or "")


def test_policy_requires_model_card(registry: Store) -> None:
    write_policy("promotion:\n  required_checks: [model_card, lineage]\n")
    before = snapshot(registry)
    refused = request(
        registry, "eddie", "request_promotion", {"model": "fraud-detector", "version": 4}
    )
    assert refused.status == "error"
    assert refused.error == (
        "the workspace policy requires model_card for promotion, and fraud-detector v4 fails it "
        "(no model card; add a note of kind model_card); fix that or change "
        "promotion.required_checks in policy.yaml"
    )
    assert snapshot(registry) == before

    change(
        registry,
        "eddie",
        "add_note",
        {"entity": "fraud-detector v4", "text": "# Card\nTrained on v2.", "kind": "model_card"},
    )
    view = promote(registry)
    required = {item["name"] for item in view["checklist"] if item["required"]}
    assert required == {"model_card", "lineage"}
    assert all(item["passed"] for item in view["checklist"])


def test_policy_refuses_at_approval(registry: Store) -> None:
    view = promote(registry)
    write_policy("promotion:\n  required_checks: [model_card]\n")
    outcome = request(registry, "anna", "approve_promotion", {"request_id": view["id"]})
    assert outcome.status == "error"
    assert "requires model_card" in (outcome.error or "")


def test_invalid_policy_file(registry: Store) -> None:
    write_policy("promotion:\n  required_checks: [tests_pass]\n")
    outcome = request(
        registry, "eddie", "request_promotion", {"model": "fraud-detector", "version": 4}
    )
    assert outcome.status == "error"
    assert "unknown check 'tests_pass'" in (outcome.error or "")


def test_list_promotion_requests(registry: Store) -> None:
    view = promote(registry)
    outcome = request(registry, "vera", "list_promotion_requests", {"status": "pending"})
    assert outcome.result is not None
    assert [r["id"] for r in outcome.result["requests"]] == [view["id"]]
    assert outcome.result["requests"][0]["diff"]["baseline_version"] == 2


def test_broken_policy_file_fails_closed(registry: Store) -> None:
    write_policy("protected_aliases: [production\n")
    as_editor = request(
        registry, "eddie", "set_alias", {"model": "fraud-detector", "alias": "qa", "version": 3}
    )
    as_admin = request(
        registry, "ada", "set_alias", {"model": "fraud-detector", "alias": "qa", "version": 3}
    )
    assert as_editor.status == "denied"
    assert as_admin.status == "error"
    assert "invalid YAML" in (as_admin.error or "")
