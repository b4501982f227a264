"""Users and roles: bootstrap of the first admin, add_user, set_role, get_user and the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import ui.cli
from tests.test_registry_support import change, registry, registry_template, request
from tools.governance import Actor, Governor
from tools.settings import get_settings
from tools.store.db import Store, open_store
from ui.commands import _confirm

__all__ = ["registry", "registry_template"]


def users(store: Store) -> list[tuple[Any, ...]]:
    with store.connection() as connection:
        found = connection.execute(
            text("SELECT name, role, slack_user_id FROM app_user ORDER BY name")
        ).fetchall()
    return [tuple(row) for row in found]


@pytest.fixture
def fresh_store() -> Store:
    """A workspace whose store has never been opened: no tables, no users."""
    return open_store(get_settings())


def test_first_user_bootstrap_on_fresh_store(fresh_store: Store) -> None:
    outcome = change(fresh_store, "alice", "add_user", {"name": "alice", "role": "admin"})
    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    assert outcome.result["summary"] == "add user alice (admin); first user of this workspace"
    assert users(fresh_store) == [("alice", "admin", None)]


def test_first_user_must_be_admin(fresh_store: Store) -> None:
    outcome = request(fresh_store, "alice", "add_user", {"name": "alice", "role": "editor"})
    assert outcome.status == "denied"
    assert users(fresh_store) == []


def test_after_bootstrap_adding_needs_admin(fresh_store: Store) -> None:
    change(fresh_store, "alice", "add_user", {"name": "alice", "role": "admin"})
    second_admin = request(fresh_store, "mallory", "add_user", {"name": "mallory", "role": "admin"})
    editor = request(fresh_store, "mallory", "add_user", {"name": "mallory", "role": "editor"})
    allowed = change(fresh_store, "alice", "add_user", {"name": "bob", "role": "editor"})
    assert second_admin.status == "denied"
    assert second_admin.error == (
        "add_user needs the admin role, not viewer; ask an admin to add mallory"
    )
    assert editor.status == "denied"
    assert allowed.status == "ok"
    assert users(fresh_store) == [("alice", "admin", None), ("bob", "editor", None)]


def test_bootstrap_token_goes_stale(fresh_store: Store) -> None:
    first = request(fresh_store, "alice", "add_user", {"name": "alice", "role": "admin"})
    second = request(fresh_store, "bob", "add_user", {"name": "bob", "role": "admin"})
    assert first.confirmation is not None
    assert second.confirmation is not None
    Governor(fresh_store).confirm(first.confirmation.token, Actor("alice"))
    late = Governor(fresh_store).confirm(second.confirmation.token, Actor("bob"))
    assert late.status == "error"
    assert users(fresh_store) == [("alice", "admin", None)]


def test_add_user_with_slack_id(registry: Store) -> None:
    outcome = change(
        registry, "ada", "add_user", {"name": "nina", "role": "approver", "slack_user_id": "U123"}
    )
    assert outcome.status == "ok"
    assert ("nina", "approver", "U123") in users(registry)
    clash = request(
        registry, "ada", "add_user", {"name": "nora", "role": "viewer", "slack_user_id": "U123"}
    )
    assert clash.status == "error"
    assert clash.error == "Slack id 'U123' already belongs to nina"


def test_add_existing_user_is_refused(registry: Store) -> None:
    outcome = request(registry, "ada", "add_user", {"name": "eddie", "role": "admin"})
    assert outcome.status == "error"
    assert outcome.error == "user 'eddie' already exists (editor); change the role with set_role"


def test_add_user_rejects_bad_role(registry: Store) -> None:
    outcome = request(registry, "ada", "add_user", {"name": "nina", "role": "owner"})
    assert outcome.status == "error"
    assert "role" in (outcome.error or "")


def test_set_role_changes_role(registry: Store) -> None:
    outcome = change(registry, "ada", "set_role", {"name": "eddie", "role": "approver"})
    assert outcome.result is not None
    assert outcome.result["summary"] == "role of eddie: editor → approver"
    assert ("eddie", "approver", None) in users(registry)


def test_last_admin_cannot_be_demoted(registry: Store) -> None:
    outcome = request(registry, "ada", "set_role", {"name": "ada", "role": "viewer"})
    assert outcome.status == "error"
    assert "ada is the only admin" in (outcome.error or "")


def test_set_role_unknown_user(registry: Store) -> None:
    outcome = request(registry, "ada", "set_role", {"name": "edie", "role": "viewer"})
    assert outcome.status == "error"
    assert "did you mean 'eddie'" in (outcome.error or "")


def test_get_user_whoami_and_unknown(registry: Store) -> None:
    me = request(registry, "anna", "get_user", {})
    stranger = request(registry, "anna", "get_user", {"name": "zed"})
    assert me.result is not None
    assert stranger.result is not None
    assert (me.result["name"], me.result["role"], me.result["known"]) == ("anna", "approver", True)
    assert (stranger.result["role"], stranger.result["known"]) == ("viewer", False)


runner = CliRunner()


def test_cli_bootstrap_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "alice")
    added = runner.invoke(ui.cli.app, ["users", "add", "alice", "--role", "admin", "--yes"])
    second = runner.invoke(
        ui.cli.app, ["users", "add", "bob", "--role", "editor", "--slack-id", "U9", "--yes"]
    )
    listed = runner.invoke(ui.cli.app, ["users", "list"])
    assert added.exit_code == 0, added.output
    assert "done: add user alice (admin); first user of this workspace" in added.output
    assert second.exit_code == 0, second.output
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ["alice  admin     -", "bob    editor    U9"]


def test_cli_yes_does_not_bypass_role(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "eddie")
    result = runner.invoke(ui.cli.app, ["users", "add", "nina", "--role", "admin", "--yes"])
    assert result.exit_code == 1
    assert "needs the admin role" in str(result.exception)
    assert all(row[0] != "nina" for row in users(registry))


def test_cli_without_terminal_prints_token(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "ada")
    result = runner.invoke(ui.cli.app, ["users", "add", "nina", "--role", "editor"])
    assert result.exit_code == 0, result.output
    assert "change: add user nina (editor)" in result.output
    token_line = next(
        line for line in result.output.splitlines() if line.startswith("confirmation")
    )
    token = token_line.split(": ", 1)[1]
    assert f"modelpilot confirm {token}" in result.output
    assert all(row[0] != "nina" for row in users(registry))

    done = _confirm.confirm_token(token)
    assert done.status == "ok"
    assert ("nina", "editor", None) in users(registry)


def test_cli_prompt_accepts_and_declines(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "ada")
    monkeypatch.setattr(_confirm, "stdin_is_interactive", lambda: True)
    declined = runner.invoke(ui.cli.app, ["users", "add", "nina", "--role", "editor"], input="n\n")
    assert declined.exit_code == 0
    assert "cancelled; nothing changed" in declined.output
    assert all(row[0] != "nina" for row in users(registry))

    accepted = runner.invoke(
        ui.cli.app, ["users", "set-role", "vera", "--role", "editor"], input="y\n"
    )
    assert accepted.exit_code == 0, accepted.output
    assert "done: role of vera: viewer → editor" in accepted.output
    assert ("vera", "editor", None) in users(registry)


def test_cli_confirm_by_other_user_fails(registry: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "ada")
    result = runner.invoke(ui.cli.app, ["users", "add", "nina", "--role", "editor"])
    token = result.output.split("modelpilot confirm ", 1)[1].strip()
    with pytest.raises(Exception, match="requested by ada"):
        _confirm.confirm_token(token, user="eddie")
    assert all(row[0] != "nina" for row in users(registry))
