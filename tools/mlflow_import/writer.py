"""Write experiments and runs into the store in bulk, one short transaction per batch.

Re-importing is idempotent. A run whose row, params, tags or metric history differ from
what the store contains is replaced wholesale, and an identical run is left alone. MLflow only
appends to a metric's history, so comparing each key's point count and latest timestamp
detects every change MLflow can make to a metric without reading the stored points back.
Runs, versions and aliases that were deleted from the source stay in the store.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, select, update

from tools.clock import now
from tools.mlflow_import import identity, rows
from tools.mlflow_import.records import ExperimentRecord, RunRecord
from tools.mlflow_import.summary import ImportSummary
from tools.mlflow_import.tasks import TaskGuess
from tools.store.db import Store
from tools.store.schema import (
    Experiment,
    ImportRecord,
    LatestMetric,
    MetricPoint,
    Note,
    Run,
    RunParam,
    RunTag,
)

_EXPERIMENT_COLUMNS = (
    "name",
    "task",
    "task_source",
    "lifecycle_stage",
    "artifact_location",
    "tags",
    "source",
    "external_id",
    "updated_at",
)
_RUN_COLUMNS = (
    "experiment_id",
    "name",
    "status",
    "start_time",
    "end_time",
    "user",
    "source_type",
    "source_name",
    "source_version",
    "entry_point",
    "artifact_uri",
    "lifecycle_stage",
    "task",
    "note",
    "environment",
)
_JSON_COLUMNS = frozenset(
    {"tags", "environment", "metrics", "structure", "signature", "dependencies"}
)
_NOTE_COLUMNS = ("entity_type", "entity_id", "kind", "title", "body", "author", "source_path")
_RUN_CHILD_TABLES = (RunParam, RunTag, MetricPoint, LatestMetric)


def table(model: type[Any]) -> Any:
    return model.__table__


def fetch_one(connection: Connection, query: Select[Any]) -> dict[str, Any] | None:
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def fetch_all(connection: Connection, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in connection.execute(query).mappings()]


def changed_columns(
    existing: Mapping[str, Any], row: Mapping[str, Any], columns: Sequence[str]
) -> bool:
    """Tell whether any of ``columns`` differs between a stored row and a new one."""
    for column in columns:
        old, new = existing.get(column), row.get(column)
        if column in _JSON_COLUMNS:
            if not rows.same_json(old or None, new or None):
                return True
        elif old != new:
            return True
    return False


def update_rows(
    connection: Connection,
    model: type[Any],
    key: str,
    rows_: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
) -> None:
    """Update ``columns`` of many rows, matched on ``key``, with one executemany."""
    if not rows_:
        return
    target = table(model)
    statement = (
        update(target)
        .where(target.c[key] == bindparam("match_key"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    parameters = [
        {"match_key": row[key], **{f"new_{column}": row[column] for column in columns}}
        for row in rows_
    ]
    connection.execute(statement, parameters)


def upsert_notes(
    store: Store,
    connection: Connection,
    summary: ImportSummary,
    ids: Sequence[str],
    notes: list[dict[str, Any]],
) -> None:
    """Make the imported notes with ``ids`` equal ``notes``; a note gone from MLflow is deleted."""
    if not ids:
        return
    target = table(Note)
    stored = {
        row["id"]: row
        for row in fetch_all(connection, select(target).where(target.c.id.in_(list(ids))))
    }
    written = [
        note
        for note in notes
        if note["id"] not in stored or changed_columns(stored[note["id"]], note, _NOTE_COLUMNS)
    ]
    kept = {note["id"] for note in notes}
    removed = [note_id for note_id in stored if note_id not in kept]
    replaced = [note["id"] for note in written if note["id"] in stored]
    if removed or replaced:
        connection.execute(delete(target).where(target.c.id.in_(removed + replaced)))
    store.insert_rows(connection, Note, written)
    summary.add("notes", "imported", len(written) - len(replaced))
    summary.add("notes", "updated", len(replaced))
    summary.add("notes", "unchanged", len(notes) - len(written))


class StoreWriter:
    """Bulk writes of one import into one store."""

    def __init__(self, store: Store, summary: ImportSummary) -> None:
        self.store = store
        self.summary = summary

    # --- experiments --------------------------------------------------------------------------

    def write_experiment(self, source_key: str, record: ExperimentRecord, task: TaskGuess) -> str:
        """Insert or update one experiment and its MLflow note; return our experiment id."""
        row = rows.experiment_row(source_key, record, task)
        with self.store.connection() as connection:
            experiment = table(Experiment)
            existing = fetch_one(connection, select(experiment).where(experiment.c.id == row["id"]))
            if existing is None:
                self.store.insert_rows(
                    connection, Experiment, [{**row, "created_at": record.created_at or now()}]
                )
                self.summary.add("experiments", "imported")
            elif changed_columns(existing, row, _EXPERIMENT_COLUMNS):
                update_rows(connection, Experiment, "id", [row], _EXPERIMENT_COLUMNS)
                self.summary.add("experiments", "updated")
            else:
                self.summary.add("experiments", "unchanged")
                return str(row["id"])
            self._write_experiment_note(connection, row["id"], record)
        return str(row["id"])

    def _write_experiment_note(
        self, connection: Connection, experiment_id: str, record: ExperimentRecord
    ) -> None:
        body = record.tags.get(rows.NOTE_TAG, "").strip()
        note_id = identity.note_id("experiment", experiment_id, "description")
        notes = []
        if body:
            notes.append(
                rows.note_row(
                    "experiment",
                    experiment_id,
                    "description",
                    body,
                    title=f"Description of experiment {record.name}",
                    author=None,
                    source_path=record.location,
                    created_at=record.created_at,
                )
            )
        upsert_notes(self.store, connection, self.summary, [note_id], notes)

    # --- runs ---------------------------------------------------------------------------------

    def write_runs(
        self,
        source_key: str,
        experiment_id: str,
        runs: Sequence[RunRecord],
        tasks: Mapping[str, str | None],
    ) -> None:
        """Insert new runs, replace changed ones, and leave identical ones alone."""
        if not runs:
            return
        with self.store.connection() as connection:
            stored = _StoredRuns.load(connection, [run.run_id for run in runs])
            fresh: list[tuple[RunRecord, dict[str, Any]]] = []
            changed: list[tuple[RunRecord, dict[str, Any]]] = []
            seen: set[str] = set()
            for run in runs:
                if run.run_id in seen:
                    self.summary.skip("runs", run.location, f"run id {run.run_id} appears twice")
                    continue
                seen.add(run.run_id)
                row = rows.run_row(source_key, experiment_id, run, tasks.get(run.run_id))
                outcome = stored.compare(run, row, source_key)
                if outcome == "foreign":
                    self.summary.skip(
                        "runs",
                        run.location,
                        f"run id {run.run_id} already exists in the store from "
                        f"{stored.source_of(run.run_id) or 'ModelPilot itself'}",
                    )
                elif outcome == "new":
                    fresh.append((run, row))
                elif outcome == "changed":
                    changed.append((run, row))
                else:
                    self._count_run(run, "unchanged")
            self._replace(connection, changed)
            self._insert(connection, fresh)

    def _replace(
        self, connection: Connection, changed: list[tuple[RunRecord, dict[str, Any]]]
    ) -> None:
        if not changed:
            return
        ids = [run.run_id for run, _ in changed]
        for model in _RUN_CHILD_TABLES:
            connection.execute(delete(table(model)).where(table(model).c.run_id.in_(ids)))
        update_rows(connection, Run, "id", [row for _, row in changed], _RUN_COLUMNS)
        self._insert_children(connection, changed)
        for run, _ in changed:
            self._count_run(run, "updated")

    def _insert(
        self, connection: Connection, fresh: list[tuple[RunRecord, dict[str, Any]]]
    ) -> None:
        if not fresh:
            return
        self.store.insert_rows(
            connection,
            Run,
            [{**row, "created_at": run.start_time or now()} for run, row in fresh],
        )
        self._insert_children(connection, fresh)
        for run, _ in fresh:
            self._count_run(run, "imported")

    def _insert_children(
        self, connection: Connection, written: list[tuple[RunRecord, dict[str, Any]]]
    ) -> None:
        params: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        points: list[dict[str, Any]] = []
        latest: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        for run, _ in written:
            params.extend(rows.key_value_rows(run.run_id, run.params))
            tags.extend(rows.key_value_rows(run.run_id, run.tags))
            points.extend(rows.metric_rows(run.run_id, run.metrics))
            latest.extend(rows.latest_metric_rows(run.run_id, run.metrics))
            if run.note:
                notes.append(_run_note(run))
        self.store.insert_rows(connection, RunParam, params)
        self.store.insert_rows(connection, RunTag, tags)
        self.store.insert_rows(connection, MetricPoint, points)
        self.store.insert_rows(connection, LatestMetric, latest)
        note_ids = [identity.note_id("run", run.run_id, "run_note") for run, _ in written]
        upsert_notes(self.store, connection, self.summary, note_ids, notes)

    def _count_run(self, run: RunRecord, outcome: str) -> None:
        """Count the run and its rows; rows of an unchanged run were not written again."""
        self.summary.add("runs", outcome)
        self.summary.add("logged_models", outcome, len(run.logged_models))
        if outcome == "unchanged":
            return
        self.summary.add("params", outcome, len(run.params))
        self.summary.add("tags", outcome, len(run.tags))
        self.summary.add("metric_points", outcome, len(run.metrics))
        self.summary.add("latest_metrics", outcome, len({point.key for point in run.metrics}))

    # --- import record ------------------------------------------------------------------------

    def write_import_record(self) -> None:
        with self.store.connection() as connection:
            self.store.insert_rows(
                connection,
                ImportRecord,
                [
                    {
                        "id": uuid.uuid4().hex,
                        "source": self.summary.source,
                        "kind": "mlflow",
                        "summary": self.summary.to_dict(),
                        "started_at": self.summary.started_at,
                        "ended_at": self.summary.ended_at or now(),
                    }
                ],
            )


def _run_note(run: RunRecord) -> dict[str, Any]:
    return rows.note_row(
        "run",
        run.run_id,
        "run_note",
        run.note or "",
        title=f"Note on run {run.name or run.run_id}",
        author=run.user,
        source_path=run.location,
        created_at=run.start_time,
    )


class _StoredRuns:
    """Stored rows, params, tags and metric statistics of a batch of runs, read in four queries."""

    def __init__(self) -> None:
        self.rows: dict[str, Mapping[str, Any]] = {}
        self.params: dict[str, dict[str, str | None]] = defaultdict(dict)
        self.tags: dict[str, dict[str, str | None]] = defaultdict(dict)
        self.metrics: dict[str, dict[str, tuple[int, datetime | None]]] = defaultdict(dict)

    @classmethod
    def load(cls, connection: Connection, run_ids: list[str]) -> _StoredRuns:
        stored = cls()
        run = table(Run)
        for row in fetch_all(connection, select(run).where(run.c.id.in_(run_ids))):
            stored.rows[row["id"]] = row
        known = list(stored.rows)
        if not known:
            return stored
        for model, target in ((RunParam, stored.params), (RunTag, stored.tags)):
            source = table(model)
            query = select(source.c.run_id, source.c.key, source.c.value).where(
                source.c.run_id.in_(known)
            )
            for run_id, key, value in connection.execute(query):
                target[run_id][key] = value
        points = table(MetricPoint)
        query = (
            select(points.c.run_id, points.c.key, func.count(), func.max(points.c.timestamp))
            .where(points.c.run_id.in_(known))
            .group_by(points.c.run_id, points.c.key)
        )
        for run_id, key, count, latest in connection.execute(query):
            stored.metrics[run_id][key] = (count, latest)
        return stored

    def source_of(self, run_id: str) -> str | None:
        row = self.rows.get(run_id)
        return None if row is None else row["source"]

    def compare(self, run: RunRecord, row: Mapping[str, Any], source_key: str) -> str:
        """Return "new", "foreign" (another source owns the id), "changed" or "same"."""
        existing = self.rows.get(run.run_id)
        if existing is None:
            return "new"
        if existing["source"] != source_key:
            return "foreign"
        if changed_columns(existing, row, _RUN_COLUMNS):
            return "changed"
        if (
            self.params.get(run.run_id, {}) != run.params
            or self.tags.get(run.run_id, {}) != run.tags
        ):
            return "changed"
        if self.metrics.get(run.run_id, {}) != rows.metric_stats(run.metrics):
            return "changed"
        return "same"
