"""Import MLflow tracking stores (mlruns folders or tracking URIs) into the metadata store."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from tools.clock import now
from tools.errors import ImportFailedError, InvalidInputError
from tools.mlflow_import.records import (
    ExperimentRecord,
    LoggedModelRecord,
    ModelArtifacts,
    ModelVersionRecord,
    RunRecord,
)
from tools.mlflow_import.registry_writer import RegistryWriter
from tools.mlflow_import.sources import MlflowSource, Reader, display_source, open_sources
from tools.mlflow_import.summary import ImportProgress, ImportSummary, ProgressCallback
from tools.mlflow_import.tasks import TaskGuess, decide_task, majority
from tools.mlflow_import.writer import StoreWriter
from tools.store.db import Store

log = logging.getLogger(__name__)

# A batch of runs is written in one transaction. These limits keep each transaction to a few
# seconds on DuckDB, so other processes waiting on the file lock get their turn between batches.
RUN_BATCH = 500
METRIC_POINT_BATCH = 20_000


class NothingImportedError(ImportFailedError):
    """Every item of the source was skipped, and ``summary`` lists the reasons."""

    def __init__(self, message: str, summary: ImportSummary) -> None:
        super().__init__(message)
        self.summary = summary


def import_mlflow(
    source: str | Path,
    store: Store,
    *,
    progress: ProgressCallback | None = None,
    experiments: Sequence[str] | None = None,
    reader: Reader = "auto",
) -> ImportSummary:
    """Import experiments, runs, metric history, registry and logged models from MLflow.

    ``source`` is an mlruns folder, a folder with mlruns folders anywhere below it, or a
    tracking URI. ``experiments`` keeps only experiments with these names or MLflow ids.
    Importing the same source again updates the same rows. Raises ``ImportFailedError`` when
    the source does not exist or is not an MLflow store, and ``NothingImportedError`` (after
    storing the import record) when nothing in it could be read.
    """
    sources = open_sources(source, reader)
    shown = display_source(source)
    summary = ImportSummary(source=shown, roots=[item.location for item in sources])
    log.info("importing MLflow data from %s (%d store(s))", shown, len(sources))
    importer = _Importer(store, summary, progress, experiments)
    importer.run(sources)
    summary.ended_at = now()
    StoreWriter(store, summary).write_import_record()
    log.info(
        "MLflow import from %s finished: %d runs imported, %d updated, %d skipped item(s)",
        shown,
        summary.counts["runs"].imported,
        summary.counts["runs"].updated,
        len(summary.skips),
    )
    if summary.nothing_imported:
        first = summary.skips[0] if summary.skips else None
        detail = f"; first: {first.path}: {first.reason}" if first else ""
        raise NothingImportedError(
            f"nothing could be imported from {shown!r} ({len(summary.skips)} item(s) "
            f"skipped{detail}); check that it is an MLflow tracking folder or URI",
            summary,
        )
    return summary


class _Importer:
    def __init__(
        self,
        store: Store,
        summary: ImportSummary,
        progress: ProgressCallback | None,
        experiment_names: Sequence[str] | None,
    ) -> None:
        self.summary = summary
        self.store = store
        self.writer = StoreWriter(store, summary)
        self.registry = RegistryWriter(store, summary)
        self.progress = progress
        self.names = set(experiment_names or [])
        self.runs_done = 0
        self.runs_total: int | None = None
        self.run_ids: set[str] = set()
        self.run_models: dict[str, list[ModelArtifacts]] = {}
        self.logged_models: dict[str, LoggedModelRecord] = {}

    def run(self, sources: list[MlflowSource]) -> None:
        listed = [(source, list(source.experiments(self.summary))) for source in sources]
        self._check_names([experiment for _, found in listed for experiment in found])
        selected = [(source, [e for e in found if self._selected(e)]) for source, found in listed]
        self.runs_total = _total_runs(sources) if not self.names else None
        for source, found in selected:
            for experiment in found:
                self._import_experiment(source, experiment)
        for source, _ in selected:
            self._import_registry(source)

    # --- experiment selection -----------------------------------------------------------------

    def _selected(self, experiment: ExperimentRecord) -> bool:
        if not self.names:
            return True
        return experiment.name in self.names or experiment.external_id in self.names

    def _check_names(self, found: list[ExperimentRecord]) -> None:
        if not self.names:
            return
        known = {e.name for e in found} | {e.external_id for e in found}
        missing = sorted(self.names - known)
        if len(missing) == len(self.names):
            available = ", ".join(sorted({e.name for e in found})[:10]) or "none"
            raise InvalidInputError(
                f"no experiment named {', '.join(repr(n) for n in missing)} in "
                f"{self.summary.source!r}; experiments found: {available}"
            )
        for name in missing:
            self.summary.skip("experiments", name, "no experiment with this name or id")

    # --- experiments and runs -----------------------------------------------------------------

    def _import_experiment(self, source: MlflowSource, experiment: ExperimentRecord) -> None:
        runs = list(source.runs(experiment, self.summary))
        logged = self._logged_models(source, experiment, {run.run_id for run in runs})
        run_tasks = {
            run.run_id: decide_task([run.name or "", experiment.name], run.tags, run.params)
            for run in runs
        }
        task = _experiment_task(experiment, list(run_tasks.values()))
        experiment_id = self.writer.write_experiment(source.key, experiment, task)
        tasks = {run_id: guess.task for run_id, guess in run_tasks.items()}
        batch: list[RunRecord] = []
        points = 0
        for run in runs:
            run.metrics = source.load_metrics(run, self.summary)
            run.models = source.run_models(run, self.summary)
            run.logged_models = logged.get(run.run_id, [])
            self.run_ids.add(run.run_id)
            self.run_models[run.run_id] = run.models
            batch.append(run)
            points += len(run.metrics)
            if len(batch) >= RUN_BATCH or points >= METRIC_POINT_BATCH:
                self._flush(source, experiment_id, batch, tasks, experiment.name)
                batch, points = [], 0
        self._flush(source, experiment_id, batch, tasks, experiment.name)

    def _logged_models(
        self, source: MlflowSource, experiment: ExperimentRecord, run_ids: set[str]
    ) -> dict[str, list[LoggedModelRecord]]:
        """Group the experiment's logged models by source run; report the ones without one."""
        by_run: dict[str, list[LoggedModelRecord]] = defaultdict(list)
        for model in source.logged_models(experiment, self.summary):
            self.logged_models[model.model_id] = model
            if model.source_run_id in run_ids:
                by_run[model.source_run_id or ""].append(model)
            else:
                self.summary.skip(
                    "logged_models",
                    model.location,
                    f"source run {model.source_run_id!r} not found; only model versions that "
                    "register this model keep its details",
                )
        return by_run

    def _flush(
        self,
        source: MlflowSource,
        experiment_id: str,
        batch: list[RunRecord],
        tasks: dict[str, str | None],
        experiment_name: str,
    ) -> None:
        if not batch:
            return
        self.writer.write_runs(source.key, experiment_id, batch, tasks)
        # Let go of the DuckDB file while the next batch is read, so other processes get in.
        self.store.release()
        for run in batch:
            run.metrics = []  # written; free the history before the next batch is read
        self.runs_done += len(batch)
        self._report("runs", self.runs_done, self.runs_total, experiment_name)

    # --- registry -----------------------------------------------------------------------------

    def _import_registry(self, source: MlflowSource) -> None:
        written = 0
        for model in source.registered_models(self.summary):
            if self.names:
                model.versions = [v for v in model.versions if self._version_selected(v)]
                if not model.versions:
                    continue
            for version in model.versions:
                version.model_id = version.model_id or _model_id_of(version.source_uri)
                version.artifacts = self._version_artifacts(source, version)
            self.registry.write_model(source.key, model, self.logged_models)
            written += 1
            self._report("registry", written, None, model.name)

    def _version_selected(self, version: ModelVersionRecord) -> bool:
        model_id = version.model_id or _model_id_of(version.source_uri)
        return version.run_id in self.run_ids or (model_id or "") in self.logged_models

    def _version_artifacts(
        self, source: MlflowSource, version: ModelVersionRecord
    ) -> ModelArtifacts | None:
        """Prefer the logged model already read, then the version's own source folder, then
        the description of the run's model kept in its log-model history."""
        logged = self.logged_models.get(version.model_id or "")
        if logged is not None and logged.artifacts is not None:
            return logged.artifacts
        found = source.version_artifacts(version, self.summary)
        if found is not None:
            return found
        candidates = self.run_models.get(version.run_id or "", [])
        suffix = (version.source_uri or "").rstrip("/").rsplit("/", 1)[-1]
        matching = [model for model in candidates if model.location.endswith(f"/{suffix}")]
        if len(matching) == 1:
            return matching[0]
        return candidates[0] if len(candidates) == 1 else None

    def _report(self, stage: str, done: int, total: int | None, detail: str) -> None:
        if self.progress is not None:
            self.progress(ImportProgress(stage, done, total, detail))


def _experiment_task(experiment: ExperimentRecord, run_tasks: list[TaskGuess]) -> TaskGuess:
    """Choose a task tag, else a guess from the name and tags, else the runs' majority."""
    guess = decide_task([experiment.name], experiment.tags, {})
    if guess.task:
        return guess
    from_runs = majority(run_tasks)
    return TaskGuess(from_runs.task, "inferred") if from_runs.task else guess


def _model_id_of(source_uri: str | None) -> str | None:
    """Return the logged model id of a ``models:/m-...`` version source (MLflow 3)."""
    if source_uri and source_uri.startswith("models:/m-"):
        return source_uri.removeprefix("models:/").split("/", 1)[0]
    return None


def _total_runs(sources: list[MlflowSource]) -> int | None:
    total = 0
    for source in sources:
        count = source.count_runs()
        if count is None:
            return None
        total += count
    return total
