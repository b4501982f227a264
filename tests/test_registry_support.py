"""A registry built with the store directly, shared by the registry and governance tests.

fraud-detector has versions 1-4 from four runs of experiment fraud-exp. Its production alias
went v1 (10 Jan) → v3 (1 Feb) → v2 (5 Mar), so a rollback must return to v3, not v1.
staging points at v4. churn-model has versions 1-2 and no aliases. "Now" is 20 March 2026.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tools.governance import Actor, Governor, ToolOutcome
from tools.settings import get_settings
from tools.store.db import Store, open_store
from tools.store.schema import (
    AliasEvent,
    Dataset,
    DatasetVersion,
    Deployment,
    DeploymentEvent,
    Experiment,
    LatestMetric,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    Run,
    RunDataset,
    RunParam,
    User,
)

NOW = "2026-03-20T12:00:00Z"
USERS = {
    "vera": "viewer",
    "eddie": "editor",
    "anna": "approver",
    "paul": "approver",
    "ada": "admin",
}
# The tables a registry change may touch; audit entries and tokens are checked separately.
STATE_TABLES = (
    "registered_model",
    "model_version",
    "model_alias",
    "alias_event",
    "deployment",
    "deployment_event",
    "promotion_request",
    "note",
    "app_user",
)

RUN_METRICS = {
    1: {"auc": 0.81, "f1": 0.60, "val_loss": 0.52},
    2: {"auc": 0.86, "f1": 0.66, "val_loss": 0.41},
    3: {"auc": 0.84, "f1": 0.70, "val_loss": 0.45},
    4: {"auc": 0.90, "f1": 0.72, "val_loss": 0.38},
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _runs(session: Any) -> None:
    session.add(Experiment(id="exp-fraud", name="fraud-exp", task="fraud-detection"))
    session.add(Experiment(id="exp-churn", name="churn-exp", task="churn-prediction"))
    for n in range(1, 5):
        session.add(
            Run(
                id=f"run-fraud-{n:02d}-aaaaaaaa",
                experiment_id="exp-fraud",
                name=f"fraud-run-{n}",
                start_time=at(f"2026-01-0{n}T09:00:00"),
                environment={
                    "python": "3.11",
                    "dependencies": [f"scikit-learn==1.{n}.0", "numpy==1.26.4"],
                },
            )
        )
        session.add(RunParam(run_id=f"run-fraud-{n:02d}-aaaaaaaa", key="max_depth", value=str(n)))
        session.add(RunParam(run_id=f"run-fraud-{n:02d}-aaaaaaaa", key="seed", value="42"))
        for key, value in RUN_METRICS[n].items():
            session.add(LatestMetric(run_id=f"run-fraud-{n:02d}-aaaaaaaa", key=key, value=value))
    session.add(
        Run(
            id="run-churn-01-bbbbbbbb",
            experiment_id="exp-churn",
            name="churn-run-1",
            status="FAILED",
        )
    )
    session.add(Run(id="run-churn-02-bbbbbbbb", experiment_id="exp-churn", name="churn-run-2"))
    session.add(LatestMetric(run_id="run-churn-02-bbbbbbbb", key="accuracy", value=0.77))


def _datasets(session: Any) -> None:
    session.add(Dataset(id="ds-tx", name="transactions"))
    for n in (1, 2):
        session.add(
            DatasetVersion(
                id=f"dsv-tx-{n}",
                dataset_name="transactions",
                version=n,
                content_hash=f"hash{n}",
                row_count=1000 * n,
            )
        )
    for n in range(1, 5):
        version = 1 if n < 3 else 2
        session.add(
            RunDataset(run_id=f"run-fraud-{n:02d}-aaaaaaaa", dataset_version_id=f"dsv-tx-{version}")
        )


def _versions(session: Any) -> None:
    session.add(
        RegisteredModel(
            id="rm-fraud",
            name="fraud-detector",
            task="fraud-detection",
            created_at=at("2026-01-05T10:00:00"),
            updated_at=at("2026-03-05T10:00:00"),
        )
    )
    session.add(
        RegisteredModel(
            id="rm-churn",
            name="churn-model",
            task="churn-prediction",
            created_at=at("2026-01-06T10:00:00"),
            updated_at=at("2026-01-07T10:00:00"),
        )
    )
    for n in range(1, 5):
        session.add(
            ModelVersion(
                id=f"mv-fraud-{n}",
                model_name="fraud-detector",
                version=n,
                run_id=f"run-fraud-{n:02d}-aaaaaaaa",
                metrics=RUN_METRICS[n],
                dependencies={"python": "3.11", "scikit-learn": f"1.{n}.0", "numpy": "1.26.4"},
                training_script="import sklearn\n" + "# tuning\n" * 400,
                model_card="# Fraud detector v2\nTrained on transactions v1." if n == 2 else None,
                created_at=at(f"2026-01-0{n + 5}T10:00:00"),
            )
        )
    for n in (1, 2):
        session.add(
            ModelVersion(
                id=f"mv-churn-{n}",
                model_name="churn-model",
                version=n,
                run_id="run-churn-02-bbbbbbbb" if n == 2 else None,
                metrics={"accuracy": 0.7 + n / 100},
                created_at=at(f"2026-01-0{n + 6}T10:00:00"),
            )
        )


def _history(session: Any) -> None:
    moves = [
        (None, 1, "2026-01-10T10:00:00", "set"),
        (1, 3, "2026-02-01T10:00:00", "move"),
        (3, 2, "2026-03-05T10:00:00", "move"),
    ]
    for old, new, when, action in moves:
        session.add(
            AliasEvent(
                model_name="fraud-detector",
                alias="production",
                from_version=old,
                to_version=new,
                action=action,
                actor="anna",
                occurred_at=at(when),
            )
        )
        session.add(
            DeploymentEvent(
                model_name="fraud-detector",
                environment="production",
                from_version=old,
                to_version=new,
                action="deploy",
                actor="anna",
                occurred_at=at(when),
            )
        )
    session.add(
        ModelAlias(
            model_name="fraud-detector",
            alias="production",
            version=2,
            assigned_at=at("2026-03-05T10:00:00"),
            assigned_by="anna",
        )
    )
    session.add(
        Deployment(
            id="dep-fraud-prod",
            model_name="fraud-detector",
            environment="production",
            version=2,
            updated_at=at("2026-03-05T10:00:00"),
        )
    )
    session.add(
        AliasEvent(
            model_name="fraud-detector",
            alias="staging",
            to_version=4,
            action="set",
            actor="eddie",
            occurred_at=at("2026-03-10T10:00:00"),
        )
    )
    session.add(
        ModelAlias(
            model_name="fraud-detector",
            alias="staging",
            version=4,
            assigned_at=at("2026-03-10T10:00:00"),
        )
    )


def build_registry(store: Store, users: dict[str, str] | None = None) -> None:
    """Write the registry described in the module docstring into ``store``."""
    with store.session() as session:
        _runs(session)
        _datasets(session)
        _versions(session)
        _history(session)
        for name, role in (USERS if users is None else users).items():
            session.add(User(name=name, role=role))


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the registry, built once and copied for each test."""
    path = tmp_path_factory.mktemp("registry") / "store.duckdb"
    store = Store(f"duckdb:///{path}")
    build_registry(store)
    with store.connection() as connection:
        connection.execute(text("CHECKPOINT"))
    store.engine.dispose()
    return path


@pytest.fixture
def registry(registry_template: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store holding the registry above, with "now" pinned to 20 March 2026."""
    monkeypatch.setenv("MODELPILOT_NOW", NOW)
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(registry_template, settings.home / "store.duckdb")
    return open_store(settings)


def governor(store: Store) -> Governor:
    return Governor(store, get_settings())


def request(store: Store, user: str, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
    return governor(store).invoke(tool, arguments, Actor(user, "cli"))


def change(store: Store, user: str, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
    """Request a change and confirm it as the same user; return the confirm outcome."""
    requested = request(store, user, tool, arguments)
    assert requested.status == "needs_confirmation", requested.error
    assert requested.confirmation is not None
    return governor(store).confirm(requested.confirmation.token, Actor(user, "cli"))


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the registry tables, sorted, to compare before and after."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with store.connection() as connection:
        for table in STATE_TABLES:
            found = connection.execute(text(f"SELECT * FROM {table}")).fetchall()
            rows[table] = sorted((tuple(row) for row in found), key=repr)
    return rows


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> set[str]:
    return {table for table in STATE_TABLES if before[table] != after[table]}


def audit_rows(store: Store, tool: str) -> list[tuple[str, str, bool]]:
    """Return (user, outcome, mutating) of the audit entries for ``tool``, oldest first."""
    with store.connection() as connection:
        found = connection.execute(
            text(
                'SELECT "user", outcome, mutating FROM audit_entry WHERE tool = :tool ORDER BY id'
            ),
            {"tool": tool},
        ).fetchall()
    return [(row[0], row[1], bool(row[2])) for row in found]


def test_fixture_builds_production_history(registry: Store) -> None:
    with registry.connection() as connection:
        holders = connection.execute(
            text(
                "SELECT to_version FROM alias_event WHERE alias = 'production' "
                "ORDER BY occurred_at, seq"
            )
        ).fetchall()
        current = connection.execute(
            text("SELECT version FROM model_alias WHERE alias = 'production'")
        ).scalar_one()
    assert [row[0] for row in holders] == [1, 3, 2]
    assert current == 2
