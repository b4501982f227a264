"""Store fingerprints (to count unintended writes) and the end-state checks of mutation items.

Each table's fingerprint is its row count and the sum of its rows' hashes, so any insert,
update or delete changes it. The audit log and confirmation requests are bookkeeping that
every call writes, so they are left out: a read that writes elsewhere is an unintended write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from tools.store.db import Store

BOOKKEEPING_TABLES = frozenset({"audit_entry", "confirmation_request"})

Fingerprint = dict[str, tuple[int, int]]


def fingerprint(store: Store) -> Fingerprint:
    """Return (row count, sum of row hashes) for every table but the bookkeeping ones."""
    result: Fingerprint = {}
    with store.connection() as connection:
        for table in _tables(connection):
            if table in BOOKKEEPING_TABLES:
                continue
            row = connection.execute(
                text(f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{table}" t')
            ).one()
            result[table] = (int(row[0]), int(row[1]))
    return result


def _tables(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    )
    return [str(row[0]) for row in rows]


def changed_tables(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Names of the tables whose contents differ between two fingerprints."""
    names = sorted(set(before) | set(after))
    return [name for name in names if before.get(name) != after.get(name)]


@dataclass(frozen=True)
class ChangeCheck:
    """One expected end state: ``name`` and its values, e.g. alias [model, alias, version]."""

    name: str
    values: list[Any]
    ok: bool
    found: Any


def _one(connection: Connection, sql: str, **params: Any) -> Any:
    row = connection.execute(text(sql), params).first()
    return None if row is None else row[0]


def _alias(connection: Connection, model: str, alias: str, version: int | None) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT version FROM model_alias WHERE model_name = :m AND alias = :a",
        m=model,
        a=alias,
    )
    return found == version, found


def _version_status(
    connection: Connection, model: str, version: int, status: str
) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT status FROM model_version WHERE model_name = :m AND version = :v",
        m=model,
        v=version,
    )
    return str(found).casefold() == status.casefold(), found


def _role(connection: Connection, user: str, role: str | None) -> tuple[bool, Any]:
    found = _one(connection, "SELECT role FROM app_user WHERE name = :u", u=user)
    return found == role, found


def _note(connection: Connection, entity_type: str, body: str) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT count(*) FROM note WHERE entity_type = :t AND body ILIKE :b",
        t=entity_type,
        b=f"%{body}%",
    )
    return bool(found), found


def _promotion(
    connection: Connection, model: str, version: int, alias: str, status: str
) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT status FROM promotion_request WHERE model_name = :m AND version = :v "
        "AND target_alias = :a ORDER BY created_at DESC LIMIT 1",
        m=model,
        v=version,
        a=alias,
    )
    return str(found).casefold() == status.casefold(), found


def _model_version(
    connection: Connection, model: str, version: int, run_id: str
) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT run_id FROM model_version WHERE model_name = :m AND version = :v",
        m=model,
        v=version,
    )
    return found == run_id, found


def _alert_status(connection: Connection, model: str, kind: str, status: str) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT status FROM alert WHERE model_name = :m AND kind = :k "
        "ORDER BY created_at DESC LIMIT 1",
        m=model,
        k=kind,
    )
    return found == status, found


def _policy(connection: Connection, model: str, column: str, value: Any) -> tuple[bool, Any]:
    if not column.isidentifier():
        return False, f"invalid column {column!r}"
    found = _one(
        connection, f'SELECT "{column}" FROM monitoring_policy WHERE model_name = :m', m=model
    )
    if isinstance(value, int | float) and isinstance(found, int | float):
        return abs(float(found) - float(value)) < 1e-9, found
    return found == value, found


def _deployment(
    connection: Connection, model: str, environment: str, version: int | None
) -> tuple[bool, Any]:
    found = _one(
        connection,
        "SELECT version FROM deployment WHERE model_name = :m AND environment = :e "
        "AND status = 'active' ORDER BY updated_at DESC LIMIT 1",
        m=model,
        e=environment,
    )
    return found == version, found


CHECKS: dict[str, Callable[..., tuple[bool, Any]]] = {
    "alias": _alias,
    "version_status": _version_status,
    "role": _role,
    "note": _note,
    "promotion_request": _promotion,
    "model_version": _model_version,
    "alert_status": _alert_status,
    "policy": _policy,
    "deployment": _deployment,
}


def check_store_change(store: Store, expected: dict[str, list[Any]]) -> list[ChangeCheck]:
    """Check each expected end state; an unknown check name fails with a reason.

    A check's values may be one list, or a list of lists to check several rows of one kind.
    """
    checks: list[ChangeCheck] = []
    with store.connection() as connection:
        for name, values in expected.items():
            check = CHECKS.get(name)
            rows = values if values and isinstance(values[0], list) else [values]
            for row in rows:
                if check is None:
                    checks.append(ChangeCheck(name, row, False, f"unknown check {name!r}"))
                    continue
                ok, found = check(connection, *row)
                checks.append(ChangeCheck(name, row, ok, found))
    return checks


def all_ok(checks: Sequence[ChangeCheck]) -> bool:
    return all(check.ok for check in checks)
