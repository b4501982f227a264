"""Mutating registry and user tools under governance: roles, confirmation, tokens, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.test_registry_support import (
    audit_rows,
    change,
    changed_tables,
    governor,
    registry,
    registry_template,
    request,
    snapshot,
)
from tools.errors import ToolError
from tools.governance import Actor
from tools.registry_service import aliases as alias_service
from tools.store.db import Store
from tools.tool_registry import REGISTRY

__all__ = ["registry", "registry_template"]

# One user per role, lowest first.
ROLE_USERS = (("viewer", "vera"), ("editor", "eddie"), ("approver", "anna"), ("admin", "ada"))
ALIAS_TABLES = {"model_alias", "alias_event", "registered_model"}
DEPLOY_TABLES = ALIAS_TABLES | {"deployment", "deployment_event"}


@dataclass(frozen=True)
class Case:
    tool: str
    arguments: dict[str, Any]
    role: str
    tables: set[str]


CASES = {
    "register_model_version": Case(
        "register_model_version",
        {"run_id": "run-fraud-04-aaaaaaaa", "model": "fraud-detector"},
        "editor",
        {"model_version", "registered_model"},
    ),
    "set_alias_production": Case(
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 4},
        "approver",
        DEPLOY_TABLES,
    ),
    "set_alias_ordinary": Case(
        "set_alias",
        {"model": "fraud-detector", "alias": "challenger", "version": 3},
        "editor",
        ALIAS_TABLES,
    ),
    "remove_alias": Case(
        "remove_alias", {"model": "fraud-detector", "alias": "staging"}, "editor", ALIAS_TABLES
    ),
    "archive_model_version": Case(
        "archive_model_version",
        {"model": "fraud-detector", "version": 1},
        "editor",
        {"model_version"},
    ),
    "rollback_model": Case(
        "rollback_model", {"model": "fraud-detector"}, "approver", DEPLOY_TABLES
    ),
    "request_promotion": Case(
        "request_promotion",
        {"model": "fraud-detector", "version": 4},
        "editor",
        {"promotion_request"},
    ),
    "approve_promotion": Case(
        "approve_promotion", {}, "approver", DEPLOY_TABLES | {"promotion_request"}
    ),
    "reject_promotion": Case(
        "reject_promotion", {"comment": "needs a model card"}, "approver", {"promotion_request"}
    ),
    "add_note": Case(
        "add_note",
        {"entity": "fraud-detector v4", "text": "threshold tuned for recall"},
        "editor",
        {"note"},
    ),
    "add_user": Case("add_user", {"name": "nina", "role": "editor"}, "admin", {"app_user"}),
    "set_role": Case("set_role", {"name": "vera", "role": "editor"}, "admin", {"app_user"}),
}
RANK = {role: rank for rank, (role, _) in enumerate(ROLE_USERS)}


def pending_request(store: Store) -> str:
    """Have eddie request promotion of fraud-detector v4 and return the request id."""
    outcome = change(store, "eddie", "request_promotion", {"model": "fraud-detector", "version": 4})
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    request_id: str = outcome.result["request"]["id"]
    return request_id


def arguments_for(store: Store, case: Case) -> dict[str, Any]:
    if case.tool in ("approve_promotion", "reject_promotion"):
        return {**case.arguments, "request_id": pending_request(store)}
    return dict(case.arguments)


def test_every_mutating_tool_has_a_case() -> None:
    mutating = {tool.name for tool in REGISTRY.all() if tool.mutating}
    covered = {case.tool for case in CASES.values()}
    registry_tools = {
        t.name for t in REGISTRY.all() if t.mutating and t.category in ("registry", "governance")
    }
    assert registry_tools <= covered
    assert covered <= mutating


@pytest.mark.parametrize("name", sorted(CASES))
def test_role_matrix(registry: Store, name: str) -> None:
    case = CASES[name]
    arguments = arguments_for(registry, case)
    before = snapshot(registry)
    tokens: dict[str, str] = {}

    for role, user in ROLE_USERS:
        outcome = request(registry, user, case.tool, arguments)
        if RANK[role] < RANK[case.role]:
            assert outcome.status == "denied", (role, outcome)
            assert f"needs the {case.role} role" in (outcome.error or "")
        else:
            assert outcome.status == "needs_confirmation", (role, outcome.error)
            assert outcome.confirmation is not None
            tokens[user] = outcome.confirmation.token
    # Requests alone change nothing.
    assert snapshot(registry) == before

    lowest = next(user for role, user in ROLE_USERS if RANK[role] >= RANK[case.role])
    done = governor(registry).confirm(tokens[lowest], Actor(lowest, "cli"))
    assert done.status == "ok", done.error
    assert changed_tables(before, snapshot(registry)) == case.tables

    outcomes = [outcome for user, outcome, _ in audit_rows(registry, case.tool) if user == lowest]
    assert outcomes[-2:] == ["needs_confirmation", "ok"]
    denied = {user for user, outcome, _ in audit_rows(registry, case.tool) if outcome == "denied"}
    assert denied == {user for role, user in ROLE_USERS if RANK[role] < RANK[case.role]}


def test_unconfirmed_change_writes_nothing(registry: Store) -> None:
    before = snapshot(registry)
    outcome = request(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert outcome.status == "needs_confirmation"
    assert outcome.confirmation is not None
    assert outcome.confirmation.summary == "production: fraud-detector v2 → v3 (rollback)"
    assert snapshot(registry) == before


def test_reused_token_is_rejected(registry: Store) -> None:
    arguments = {"model": "fraud-detector", "alias": "challenger", "version": 3}
    requested = request(registry, "eddie", "set_alias", arguments)
    assert requested.confirmation is not None
    token = requested.confirmation.token
    first = governor(registry).confirm(token, Actor("eddie", "cli"))
    after_first = snapshot(registry)
    second = governor(registry).confirm(token, Actor("eddie", "cli"))
    assert first.status == "ok"
    assert second.status == "error"
    assert "already used" in (second.error or "")
    assert snapshot(registry) == after_first


def test_stale_token_is_rejected(registry: Store) -> None:
    requested = request(
        registry,
        "anna",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 4},
    )
    assert requested.confirmation is not None
    moved = change(
        registry,
        "ada",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 3},
    )
    assert moved.status == "ok"
    before = snapshot(registry)
    stale = governor(registry).confirm(requested.confirmation.token, Actor("anna", "cli"))
    assert stale.status == "error"
    assert "the store changed since this was requested" in (stale.error or "")
    assert snapshot(registry) == before


def test_token_of_another_user_is_rejected(registry: Store) -> None:
    requested = request(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert requested.confirmation is not None
    before = snapshot(registry)
    other = governor(registry).confirm(requested.confirmation.token, Actor("paul", "cli"))
    assert other.status == "error"
    assert "requested by anna" in (other.error or "")
    assert snapshot(registry) == before
    mine = governor(registry).confirm(requested.confirmation.token, Actor("anna", "cli"))
    assert mine.status == "ok"


def test_read_only_mode_hides_and_refuses(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    early = request(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert early.confirmation is not None
    monkeypatch.setenv("MODELPILOT_READ_ONLY", "1")
    before = snapshot(registry)
    visible = set(REGISTRY.names(read_only=True))

    for case in CASES.values():
        assert case.tool not in visible
        outcome = request(registry, "ada", case.tool, case.arguments)
        assert outcome.status == "error", case.tool
        assert "read-only" in (outcome.error or "")
    late = governor(registry).confirm(early.confirmation.token, Actor("anna", "cli"))
    assert late.status == "error"
    assert snapshot(registry) == before
    assert "list_models" in visible


def test_failed_mutation_leaves_no_rows(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_deployment(*args: Any, **kwargs: Any) -> None:
        raise ToolError("deployment service unavailable")

    requested = request(
        registry,
        "anna",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 4},
    )
    assert requested.confirmation is not None
    before = snapshot(registry)
    monkeypatch.setattr(alias_service, "record_deployment", broken_deployment)
    outcome = governor(registry).confirm(requested.confirmation.token, Actor("anna", "cli"))
    assert outcome.status == "error"
    assert "deployment service unavailable" in (outcome.error or "")
    assert snapshot(registry) == before
    assert audit_rows(registry, "set_alias")[-1] == ("anna", "error", True)


def test_crashing_mutation_leaves_no_rows(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    requested = request(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    assert requested.confirmation is not None
    before = snapshot(registry)
    monkeypatch.setattr(alias_service, "record_deployment", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        governor(registry).confirm(requested.confirmation.token, Actor("anna", "cli"))
    assert snapshot(registry) == before


def rows(store: Store, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params).fetchall()]


def test_set_production_deploys(registry: Store) -> None:
    outcome = change(
        registry,
        "anna",
        "set_alias",
        {"model": "fraud-detector", "alias": "Production", "version": 4, "reason": "better auc"},
    )
    assert outcome.status == "ok"
    assert outcome.result is not None
    assert outcome.result["summary"] == "production: fraud-detector v2 → v4"
    assert rows(
        registry, "SELECT version, assigned_by FROM model_alias WHERE alias='production'"
    ) == [(4, "anna")]
    assert rows(
        registry,
        "SELECT from_version, to_version, action, actor, reason FROM alias_event "
        "WHERE alias='production' ORDER BY seq DESC LIMIT 1",
    ) == [(2, 4, "move", "anna", "better auc")]
    assert rows(
        registry,
        "SELECT from_version, to_version, action, actor FROM deployment_event "
        "ORDER BY seq DESC LIMIT 1",
    ) == [(2, 4, "deploy", "anna")]
    assert rows(registry, "SELECT environment, version, status FROM deployment") == [
        ("production", 4, "active")
    ]


def test_set_staging_creates_staging_deployment(registry: Store) -> None:
    change(
        registry,
        "eddie",
        "set_alias",
        {"model": "fraud-detector", "alias": "staging", "version": 3},
    )
    assert rows(registry, "SELECT environment, version FROM deployment ORDER BY environment") == [
        ("production", 2),
        ("staging", 3),
    ]


def test_set_alias_to_same_version_is_refused(registry: Store) -> None:
    outcome = request(
        registry,
        "anna",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 2},
    )
    assert outcome.status == "error"
    assert outcome.error == "production already points at fraud-detector v2; nothing to change"


def test_protected_alias_needs_live_version(registry: Store) -> None:
    change(registry, "eddie", "archive_model_version", {"model": "fraud-detector", "version": 1})
    outcome = request(
        registry,
        "anna",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 1},
    )
    assert outcome.status == "error"
    assert "archived" in (outcome.error or "")


def test_policy_file_protects_more_aliases(registry: Store) -> None:
    from tools.settings import get_settings

    (get_settings().home / "policy.yaml").write_text("protected_aliases: [production, gold]\n")
    outcome = request(
        registry, "eddie", "set_alias", {"model": "fraud-detector", "alias": "gold", "version": 3}
    )
    assert outcome.status == "denied"


def test_remove_production_undeploys(registry: Store) -> None:
    outcome = change(
        registry, "anna", "remove_alias", {"model": "fraud-detector", "alias": "production"}
    )
    assert outcome.result is not None
    assert outcome.result["summary"] == "production: fraud-detector v2 → (removed)"
    assert rows(registry, "SELECT alias FROM model_alias WHERE model_name='fraud-detector'") == [
        ("staging",)
    ]
    assert rows(registry, "SELECT version, status FROM deployment") == [(None, "stopped")]
    assert rows(
        registry, "SELECT action, to_version FROM deployment_event ORDER BY seq DESC LIMIT 1"
    ) == [("undeploy", None)]


def test_archive_refuses_protected_alias(registry: Store) -> None:
    outcome = request(
        registry, "eddie", "archive_model_version", {"model": "fraud-detector", "version": 2}
    )
    assert outcome.status == "error"
    assert outcome.error == (
        "protected alias 'production' points at fraud-detector v2; "
        "move production to another version first"
    )


def test_archive_sets_status(registry: Store) -> None:
    outcome = change(
        registry, "eddie", "archive_model_version", {"model": "fraud-detector", "version": "v4"}
    )
    assert outcome.result is not None
    assert (
        outcome.result["summary"]
        == "archive fraud-detector v4 (READY → ARCHIVED); it keeps alias staging"
    )
    assert rows(registry, "SELECT status FROM model_version WHERE id='mv-fraud-4'") == [
        ("ARCHIVED",)
    ]


def test_register_copies_run_metadata(registry: Store) -> None:
    outcome = change(
        registry,
        "eddie",
        "register_model_version",
        {"run_id": "fraud-run-3", "model": "fraud-detector", "description": "retrain"},
    )
    assert outcome.result is not None
    assert outcome.result["version"]["version"] == 5
    assert outcome.result["created_model"] is False
    [(metrics, dependencies, created_by)] = rows(
        registry,
        "SELECT metrics, dependencies, created_by FROM model_version WHERE version = 5",
    )
    assert '"auc": 0.84' in metrics
    assert '"scikit-learn": "1.3.0"' in dependencies
    assert '"python": "3.11"' in dependencies
    assert created_by == "eddie"


def test_register_creates_new_model(registry: Store) -> None:
    outcome = change(
        registry, "eddie", "register_model_version", {"run_id": "churn-run-2", "model": "churn-v2"}
    )
    assert outcome.result is not None
    assert outcome.result["created_model"] is True
    assert outcome.result["version"]["version"] == 1
    assert rows(registry, "SELECT task, owner FROM registered_model WHERE name='churn-v2'") == [
        ("churn-prediction", "eddie")
    ]


def test_register_refuses_failed_run(registry: Store) -> None:
    outcome = request(
        registry,
        "eddie",
        "register_model_version",
        {"run_id": "churn-run-1", "model": "churn-model"},
    )
    assert outcome.status == "error"
    assert "ended FAILED" in (outcome.error or "")


def test_add_note_on_version_runs_hooks(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.registry_service import notes

    seen: list[str] = []
    monkeypatch.setattr(notes, "on_note_added", [lambda note: seen.append(note.body)])
    outcome = change(
        registry, "eddie", "add_note", {"entity": "fraud-detector v4", "text": "tuned for recall"}
    )
    assert outcome.result is not None
    assert outcome.result["entity"] == "fraud-detector v4"
    assert rows(registry, "SELECT entity_type, entity_id, kind, author FROM note") == [
        ("model_version", "mv-fraud-4", "note", "eddie")
    ]
    assert seen == ["tuned for recall"]


def test_add_note_entities(registry: Store) -> None:
    expected = {
        "fraud-detector@staging": ("model_version", "mv-fraud-4"),
        "Fraud Detector": ("registered_model", "rm-fraud"),
        "fraud-exp": ("experiment", "exp-fraud"),
        "transactions": ("dataset", "ds-tx"),
        "run-fraud-02": ("run", "run-fraud-02-aaaaaaaa"),
    }
    for entity, (kind, entity_id) in expected.items():
        outcome = change(registry, "eddie", "add_note", {"entity": entity, "text": f"on {entity}"})
        assert outcome.status == "ok", (entity, outcome.error)
        assert rows(
            registry, "SELECT entity_type, entity_id FROM note WHERE body = :b", b=f"on {entity}"
        ) == [(kind, entity_id)]


def test_add_note_unknown_version(registry: Store) -> None:
    outcome = request(registry, "eddie", "add_note", {"entity": "fraud-detector v9", "text": "x"})
    assert outcome.status == "error"
    assert "fraud-detector has no version 9" in (outcome.error or "")


def test_model_card_needs_a_version(registry: Store) -> None:
    outcome = request(
        registry,
        "eddie",
        "add_note",
        {"entity": "fraud-detector", "text": "card", "kind": "model_card"},
    )
    assert outcome.status == "error"
    assert "a model card belongs to a model version" in (outcome.error or "")


def test_failing_note_hook_keeps_note(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.registry_service import notes

    def broken_hook(note: Any) -> None:
        raise RuntimeError("index offline")

    monkeypatch.setattr(notes, "on_note_added", [broken_hook])
    outcome = change(registry, "eddie", "add_note", {"entity": "churn-model v2", "text": "kept"})
    assert outcome.status == "ok"
    assert rows(registry, "SELECT body FROM note") == [("kept",)]


def test_add_note_unknown_entity(registry: Store) -> None:
    outcome = request(registry, "eddie", "add_note", {"entity": "transactionz", "text": "x"})
    assert outcome.status == "error"
    assert outcome.error == (
        "no model version, registered model, experiment, dataset or run named 'transactionz'; "
        "did you mean 'transactions'?"
    )
