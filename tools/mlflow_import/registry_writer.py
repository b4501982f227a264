"""Write registered models, their versions and aliases, one transaction per model.

A registered model name is unique in the store. A name already owned by another source (or
created inside ModelPilot) is skipped rather than merged, because two registries' version 1
are different models.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from tools.clock import now
from tools.mlflow_import import identity, rows
from tools.mlflow_import.records import (
    LoggedModelRecord,
    ModelVersionRecord,
    RegisteredModelRecord,
    latest_points,
)
from tools.mlflow_import.summary import ImportSummary
from tools.mlflow_import.tasks import TaskGuess, decide_task, majority
from tools.mlflow_import.writer import (
    changed_columns,
    fetch_all,
    fetch_one,
    table,
    update_rows,
    upsert_notes,
)
from tools.store.db import Store
from tools.store.schema import (
    AliasEvent,
    LatestMetric,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    Run,
)

_MODEL_COLUMNS = ("description", "task", "tags", "source", "updated_at")
_VERSION_COLUMNS = (
    "run_id",
    "status",
    "stage",
    "description",
    "source_uri",
    "flavor",
    "metrics",
    "structure",
    "dependencies",
    "training_script",
    "signature",
    "tags",
    "created_by",
    "updated_at",
)


class RegistryWriter:
    def __init__(self, store: Store, summary: ImportSummary) -> None:
        self.store = store
        self.summary = summary

    def write_model(
        self,
        source_key: str,
        record: RegisteredModelRecord,
        logged_models: Mapping[str, LoggedModelRecord],
    ) -> None:
        """Insert or update one registered model with its versions, aliases and notes."""
        with self.store.connection() as connection:
            models = table(RegisteredModel)
            existing = fetch_one(connection, select(models).where(models.c.name == record.name))
            if existing is not None and existing["source"] != source_key:
                owner = existing["source"] or "ModelPilot itself"
                self.summary.skip(
                    "registered_models",
                    record.location,
                    f"a registered model named {record.name!r} already exists from {owner}",
                )
                self.summary.skip(
                    "model_versions", record.location, "its model was skipped", len(record.versions)
                )
                return
            facts = _RunFacts.load(connection, [v.run_id for v in record.versions if v.run_id])
            model_id = (
                existing["id"]
                if existing is not None
                else identity.registered_model_id(source_key, record.name)
            )
            row = _model_row(source_key, record, _model_task(record, facts))
            self._upsert(
                connection,
                RegisteredModel,
                "registered_models",
                existing,
                {"id": model_id, **row},
                _MODEL_COLUMNS,
                record.created_at,
            )
            version_ids = self._write_versions(connection, source_key, record, facts, logged_models)
            self._write_aliases(connection, source_key, record)
            self._write_notes(connection, model_id, record, version_ids)

    def _upsert(
        self,
        connection: Connection,
        model: type[Any],
        entity: str,
        existing: Mapping[str, Any] | None,
        row: dict[str, Any],
        columns: tuple[str, ...],
        created_at: Any,
    ) -> None:
        if existing is None:
            self.store.insert_rows(connection, model, [{**row, "created_at": created_at or now()}])
            self.summary.add(entity, "imported")
        elif changed_columns(existing, row, columns):
            update_rows(connection, model, "id", [row], columns)
            self.summary.add(entity, "updated")
        else:
            self.summary.add(entity, "unchanged")

    def _write_versions(
        self,
        connection: Connection,
        source_key: str,
        record: RegisteredModelRecord,
        facts: _RunFacts,
        logged_models: Mapping[str, LoggedModelRecord],
    ) -> dict[int, str]:
        versions = table(ModelVersion)
        existing = {
            row["version"]: row
            for row in fetch_all(
                connection, select(versions).where(versions.c.model_name == record.name)
            )
        }
        ids: dict[int, str] = {}
        for version in record.versions:
            stored = existing.get(version.version)
            version_id = (
                stored["id"]
                if stored is not None
                else identity.model_version_id(source_key, record.name, version.version)
            )
            row = {"id": version_id, **_version_row(version, facts, logged_models)}
            self._upsert(
                connection,
                ModelVersion,
                "model_versions",
                stored,
                row,
                _VERSION_COLUMNS,
                version.created_at,
            )
            ids[version.version] = version_id
        return ids

    def _write_aliases(
        self, connection: Connection, source_key: str, record: RegisteredModelRecord
    ) -> None:
        """Mirror MLflow's aliases and log each new or moved one as an "import" alias event.

        NOTE: an alias that exists here but no longer in MLflow is kept, because it may have
        been set inside ModelPilot after the last import.
        """
        aliases = table(ModelAlias)
        stored = {
            row["alias"]: row["version"]
            for row in fetch_all(
                connection, select(aliases).where(aliases.c.model_name == record.name)
            )
        }
        moment = now()
        new_rows: list[dict[str, Any]] = []
        moved_rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for alias, version in sorted(record.aliases.items()):
            previous = stored.get(alias)
            if previous == version:
                self.summary.add("aliases", "unchanged")
                continue
            target = new_rows if previous is None else moved_rows
            target.append(
                {
                    "model_name": record.name,
                    "alias": alias,
                    "version": version,
                    "assigned_at": moment,
                    "assigned_by": None,
                }
            )
            events.append(
                {
                    "id": uuid.uuid4().hex,
                    "model_name": record.name,
                    "alias": alias,
                    "from_version": previous,
                    "to_version": version,
                    "action": "import",
                    "actor": None,
                    "reason": f"imported from {source_key}",
                    "occurred_at": moment,
                }
            )
            self.summary.add("aliases", "imported" if previous is None else "updated")
        self.store.insert_rows(connection, ModelAlias, new_rows)
        for row in moved_rows:
            connection.execute(
                aliases.update()
                .where(aliases.c.model_name == row["model_name"], aliases.c.alias == row["alias"])
                .values(version=row["version"], assigned_at=row["assigned_at"])
            )
        self.store.insert_rows(connection, AliasEvent, events)

    def _write_notes(
        self,
        connection: Connection,
        model_id: str,
        record: RegisteredModelRecord,
        version_ids: dict[int, str],
    ) -> None:
        note_ids = [identity.note_id("registered_model", model_id, "description")]
        notes: list[dict[str, Any]] = []
        if record.description and record.description.strip():
            notes.append(
                rows.note_row(
                    "registered_model",
                    model_id,
                    "description",
                    record.description.strip(),
                    title=f"Description of model {record.name}",
                    author=None,
                    source_path=record.location,
                    created_at=record.created_at,
                )
            )
        for version in record.versions:
            version_id = version_ids[version.version]
            note_ids.append(identity.note_id("model_version", version_id, "description"))
            if version.description and version.description.strip():
                notes.append(
                    rows.note_row(
                        "model_version",
                        version_id,
                        "description",
                        version.description.strip(),
                        title=f"Description of {record.name} version {version.version}",
                        author=version.user,
                        source_path=version.location,
                        created_at=version.created_at,
                    )
                )
        upsert_notes(self.store, connection, self.summary, note_ids, notes)


class _RunFacts:
    """Task, script, user and latest metrics of the runs a model's versions came from."""

    def __init__(self) -> None:
        self.runs: dict[str, Mapping[str, Any]] = {}
        self.metrics: dict[str, dict[str, float]] = defaultdict(dict)

    @classmethod
    def load(cls, connection: Connection, run_ids: list[str]) -> _RunFacts:
        facts = cls()
        if not run_ids:
            return facts
        run = table(Run)
        query = select(run.c.id, run.c.task, run.c.source_name, run.c.user).where(
            run.c.id.in_(run_ids)
        )
        for row in fetch_all(connection, query):
            facts.runs[row["id"]] = row
        latest = table(LatestMetric)
        query = select(latest.c.run_id, latest.c.key, latest.c.value).where(
            latest.c.run_id.in_(run_ids)
        )
        for run_id, key, value in connection.execute(query):
            if math.isfinite(value):
                facts.metrics[run_id][key] = value
        return facts

    def get(self, run_id: str | None, column: str) -> Any:
        row = self.runs.get(run_id or "")
        return None if row is None else row[column]


def _model_task(record: RegisteredModelRecord, facts: _RunFacts) -> TaskGuess:
    """Choose a task tag, else a guess from the name and tags, else the source runs' majority."""
    guess = decide_task([record.name], record.tags, {})
    if guess.task:
        return guess
    return majority(
        TaskGuess(task, "inferred")
        for task in (facts.get(version.run_id, "task") for version in record.versions)
        if task
    )


def _model_row(source_key: str, record: RegisteredModelRecord, task: TaskGuess) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "task": task.task,
        "tags": record.tags,
        "source": source_key,
        "updated_at": record.updated_at,
    }


def _version_metrics(
    version: ModelVersionRecord, facts: _RunFacts, logged_models: Mapping[str, LoggedModelRecord]
) -> dict[str, float]:
    """Return the logged model's own metrics (MLflow 3), else the source run's latest ones."""
    logged = logged_models.get(version.model_id or "")
    if logged is not None and logged.metrics:
        return {
            key: point.value
            for key, point in latest_points(logged.metrics).items()
            if math.isfinite(point.value)
        }
    return dict(facts.metrics.get(version.run_id or "", {}))


def _version_row(
    version: ModelVersionRecord, facts: _RunFacts, logged_models: Mapping[str, LoggedModelRecord]
) -> dict[str, Any]:
    columns = rows.artifacts_columns(version.artifacts)
    if version.model_id and columns["structure"] is not None:
        columns["structure"].setdefault("model_id", version.model_id)
    return {
        "model_name": version.model_name,
        "version": version.version,
        "run_id": version.run_id,
        "status": version.status,
        "stage": version.stage,
        "description": version.description,
        "source_uri": version.source_uri,
        **columns,
        "metrics": _version_metrics(version, facts, logged_models),
        "training_script": facts.get(version.run_id, "source_name"),
        "tags": version.tags,
        "created_by": version.user or facts.get(version.run_id, "user"),
        "updated_at": version.updated_at,
    }
