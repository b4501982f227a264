"""The audit_log tool: "who rolled back the fraud model last week?"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_registry_support import change, registry, registry_template, request
from tools.store.db import Store

__all__ = ["registry", "registry_template"]


def audit(store: Store, **arguments: Any) -> list[dict[str, Any]]:
    outcome = request(store, "vera", "audit_log", arguments)
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    entries: list[dict[str, Any]] = outcome.result["entries"]
    return entries


def test_who_rolled_back_last_week(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPILOT_NOW", "2026-03-11T09:00:00Z")
    change(registry, "anna", "rollback_model", {"model": "fraud-detector"})
    change(
        registry,
        "eddie",
        "register_model_version",
        {"run_id": "churn-run-2", "model": "fraud-detector-v2"},
    )
    change(registry, "paul", "rollback_model", {"model": "fraud-detector"})
    monkeypatch.setenv("MODELPILOT_NOW", "2026-03-20T12:00:00Z")

    found = audit(
        registry, tool="rollback", model="the fraud-detector", period="last week", outcome="ok"
    )
    assert found == []
    found = audit(
        registry, tool="rollback", model="fraud detector", period="last week", outcome="ok"
    )
    assert [(e["user"], e["tool"]) for e in found] == [
        ("paul", "rollback_model"),
        ("anna", "rollback_model"),
    ]
    assert found[0]["detail"] == "production: fraud-detector v3 → v1 (rollback)"


def test_model_filter_matches_whole_names(registry: Store) -> None:
    change(
        registry,
        "eddie",
        "register_model_version",
        {"run_id": "churn-run-2", "model": "fraud-detector-v2"},
    )
    change(
        registry,
        "eddie",
        "set_alias",
        {"model": "fraud-detector-v2", "alias": "challenger", "version": 1},
    )
    assert audit(registry, model="fraud-detector", tool="set_alias") == []
    found = audit(registry, model="fraud-detector-v2", tool="set_alias", outcome="ok")
    assert [e["detail"] for e in found] == ["challenger: fraud-detector-v2 (unset) → v1"]


def test_reads_only_when_asked(registry: Store) -> None:
    request(registry, "anna", "list_models", {})
    assert audit(registry, user="anna") == []
    reads = audit(registry, user="anna", mutating_only=False)
    assert [(e["tool"], e["mutating"]) for e in reads] == [("list_models", False)]


def test_denied_calls_are_logged(registry: Store) -> None:
    request(
        registry,
        "vera",
        "set_alias",
        {"model": "fraud-detector", "alias": "production", "version": 4},
    )
    found = audit(registry, user="vera", outcome="denied")
    assert [(e["tool"], e["arguments"]["version"]) for e in found] == [("set_alias", 4)]


def test_audit_limit_is_checked(registry: Store) -> None:
    outcome = request(registry, "vera", "audit_log", {"limit": 0})
    assert outcome.status == "error"
