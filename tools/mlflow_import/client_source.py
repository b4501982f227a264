"""Read a tracking server or database through MLflow's own client (``mlflow-skinny``).

Used for ``sqlite:///``, ``postgresql://``, ``http(s)://`` and other tracking URIs, and for
folders when the client reader is requested. Database URIs need SQLAlchemy and alembic next
to mlflow-skinny, because MLflow creates or migrates its tables on first use.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tools.errors import ImportFailedError
from tools.mlflow_import import fields
from tools.mlflow_import.artifacts import ENVIRONMENT_FILES, MLMODEL, read_model_folder
from tools.mlflow_import.paths import local_folder, uri_path
from tools.mlflow_import.records import (
    ExperimentRecord,
    LoggedModelRecord,
    MetricRecord,
    ModelArtifacts,
    ModelVersionRecord,
    RegisteredModelRecord,
    RunRecord,
)
from tools.mlflow_import.sources import source_key, strip_credentials
from tools.mlflow_import.summary import ImportSummary

log = logging.getLogger(__name__)

_PAGE_SIZE = 1000


class ClientSource:
    """One tracking URI, read with ``mlflow.MlflowClient``."""

    def __init__(self, uri: str) -> None:
        self.uri = _absolute_uri(uri)
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise ImportFailedError(
                f"reading {strip_credentials(uri)!r} needs the MLflow client; install mlflow-skinny"
            ) from exc
        try:
            self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        except Exception as exc:  # MLflow raises its own and driver exceptions alike
            hint = " (set MLFLOW_ALLOW_FILE_STORE=true, or drop --reader client)"
            raise ImportFailedError(
                f"MLflow's client cannot open {self.location!r}: {_first_line(exc).split('. ')[0]}"
                f"{hint if self.uri.startswith('file:') else ''}"
            ) from exc
        # For a file store, artifact URIs written on another machine are rebased onto it.
        self._root = Path(uri_path(self.uri) or ".") if self.uri.startswith("file:") else None
        self._run_artifact_uris: dict[str, str] = {}
        self._logged_model_locations: dict[str, str] = {}

    @property
    def key(self) -> str:
        if self.uri.startswith("file:"):
            # The same key as the folder reader, so both readers map to the same rows.
            return source_key(Path(uri_path(self.uri) or self.uri).resolve().as_posix())
        return source_key(strip_credentials(self.uri))

    @property
    def location(self) -> str:
        return strip_credentials(self.uri)

    def count_runs(self) -> int | None:
        return None  # unknown until every experiment has been searched

    def experiments(self, summary: ImportSummary) -> Iterator[ExperimentRecord]:
        from mlflow.entities import ViewType

        try:
            found = _all_pages(
                lambda token: self.client.search_experiments(
                    view_type=ViewType.ALL, max_results=_PAGE_SIZE, page_token=token
                )
            )
        except Exception as exc:  # the client raises many types; none is worth a traceback here
            raise ImportFailedError(
                f"cannot list experiments at {self.location!r}: {_first_line(exc)}; check the "
                "URI (and MLFLOW_ALLOW_FILE_STORE=true for folders)"
            ) from exc
        for experiment in found:
            yield ExperimentRecord(
                external_id=str(experiment.experiment_id),
                name=experiment.name,
                lifecycle_stage=experiment.lifecycle_stage or "active",
                artifact_location=experiment.artifact_location,
                tags=dict(experiment.tags or {}),
                created_at=fields.from_millis(experiment.creation_time),
                updated_at=fields.from_millis(experiment.last_update_time),
                location=f"{self.location}#experiment/{experiment.experiment_id}",
            )

    def runs(self, experiment: ExperimentRecord, summary: ImportSummary) -> Iterator[RunRecord]:
        from mlflow.entities import ViewType

        try:
            found = _all_pages(
                lambda token: self.client.search_runs(
                    [experiment.external_id],
                    run_view_type=ViewType.ALL,
                    max_results=_PAGE_SIZE,
                    page_token=token,
                )
            )
        except Exception as exc:
            summary.skip("runs", experiment.location, f"cannot search runs: {_first_line(exc)}")
            return
        for run in found:
            if run.info.artifact_uri:
                self._run_artifact_uris[run.info.run_id] = run.info.artifact_uri
            yield self._run_record(run, experiment.external_id)

    def _run_record(self, run: Any, experiment_id: str) -> RunRecord:
        info, data = run.info, run.data
        tags = dict(data.tags or {})
        return RunRecord(
            run_id=info.run_id,
            experiment_external_id=experiment_id,
            name=info.run_name or tags.get("mlflow.runName") or None,
            status=fields.run_status(info.status),
            start_time=fields.from_millis(info.start_time),
            end_time=fields.from_millis(info.end_time),
            user=info.user_id or tags.get("mlflow.user") or None,
            source_type=fields.source_type(tags.get("mlflow.source.type")),
            source_name=tags.get("mlflow.source.name") or None,
            source_version=tags.get("mlflow.source.git.commit") or None,
            entry_point=tags.get("mlflow.project.entryPoint") or None,
            artifact_uri=info.artifact_uri,
            lifecycle_stage=info.lifecycle_stage or "active",
            params=dict(data.params or {}),
            tags=tags,
            metric_keys=sorted(data.metrics or {}),
            location=f"runs:/{info.run_id}",
        )

    def load_metrics(self, run: RunRecord, summary: ImportSummary) -> list[MetricRecord]:
        points: list[MetricRecord] = []
        for key in run.metric_keys:
            try:
                history = self.client.get_metric_history(run.run_id, key)
            except Exception as exc:
                summary.skip("metric_points", f"{run.location}#{key}", _first_line(exc))
                continue
            points.extend(_metric(key, metric) for metric in history)
        return points

    def run_models(self, run: RunRecord, summary: ImportSummary) -> list[ModelArtifacts]:
        """Describe the models named in the run's mlflow.log-model.history tag.

        NOTE: a model logged without that tag is found only when it is an MLflow 3 logged
        model. Artifact folders are not listed, because that costs a request per folder on a
        tracking server.
        """
        try:
            entries = json.loads(run.tags.get("mlflow.log-model.history") or "[]")
        except json.JSONDecodeError:
            return []
        models: list[ModelArtifacts] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not entry.get("artifact_path"):
                continue
            uri = f"runs:/{run.run_id}/{entry['artifact_path']}"
            described = self._read_model(uri, summary)
            if described is None:
                from tools.mlflow_import.artifacts import describe_mlmodel

                described = describe_mlmodel(entry, uri)
            models.append(described)
        return models

    def logged_models(
        self, experiment: ExperimentRecord, summary: ImportSummary
    ) -> Iterator[LoggedModelRecord]:
        search = getattr(self.client, "search_logged_models", None)
        if search is None:
            return  # an MLflow 2 client has no logged models
        try:
            found = _all_pages(
                lambda token: search(
                    experiment_ids=[experiment.external_id],
                    max_results=_PAGE_SIZE,
                    page_token=token,
                )
            )
        except Exception as exc:
            summary.skip("logged_models", experiment.location, f"cannot search: {_first_line(exc)}")
            return
        for model in found:
            record = LoggedModelRecord(
                model_id=model.model_id,
                experiment_external_id=experiment.external_id,
                name=model.name,
                source_run_id=model.source_run_id,
                status=fields.logged_model_status(str(model.status)),
                model_type=model.model_type,
                artifact_location=model.artifact_location,
                created_at=fields.from_millis(model.creation_timestamp),
                params=dict(model.params or {}),
                tags=dict(model.tags or {}),
                metrics=[_metric(metric.key, metric) for metric in model.metrics or []],
                location=f"models:/{model.model_id}",
            )
            if model.artifact_location:
                self._logged_model_locations[model.model_id] = model.artifact_location
            if record.status != "FAILED" and model.artifact_location:
                record.artifacts = self._read_model(record.location, summary)
            yield record

    def registered_models(self, summary: ImportSummary) -> Iterator[RegisteredModelRecord]:
        try:
            found = _all_pages(
                lambda token: self.client.search_registered_models(
                    max_results=_PAGE_SIZE, page_token=token
                )
            )
        except Exception as exc:
            summary.skip("registered_models", self.location, f"cannot search: {_first_line(exc)}")
            return
        for model in found:
            record = RegisteredModelRecord(
                name=model.name,
                description=model.description or None,
                tags=dict(model.tags or {}),
                aliases=_aliases(getattr(model, "aliases", None)),
                created_at=fields.from_millis(model.creation_timestamp),
                updated_at=fields.from_millis(model.last_updated_timestamp),
                location=f"{self.location}#models/{model.name}",
            )
            record.versions = self._versions(record, summary)
            yield record

    def _versions(
        self, model: RegisteredModelRecord, summary: ImportSummary
    ) -> list[ModelVersionRecord]:
        quoted = model.name.replace("'", "\\'")
        try:
            found = _all_pages(
                lambda token: self.client.search_model_versions(
                    filter_string=f"name = '{quoted}'", max_results=_PAGE_SIZE, page_token=token
                )
            )
        except Exception as exc:
            summary.skip("model_versions", model.location, f"cannot search: {_first_line(exc)}")
            return []
        versions: list[ModelVersionRecord] = []
        for version in found:
            number = fields.version_number(version.version)
            location = f"models:/{model.name}/{version.version}"
            if number is None:
                summary.skip("model_versions", location, "no version number")
                continue
            versions.append(
                ModelVersionRecord(
                    model_name=model.name,
                    version=number,
                    run_id=version.run_id or None,
                    status=str(version.status or "READY"),
                    stage=fields.stage(version.current_stage),
                    description=version.description or None,
                    source_uri=version.source,
                    model_id=getattr(version, "model_id", None),
                    user=version.user_id or None,
                    tags=dict(version.tags or {}),
                    created_at=fields.from_millis(version.creation_timestamp),
                    updated_at=fields.from_millis(version.last_updated_timestamp),
                    location=location,
                )
            )
        return sorted(versions, key=lambda version: version.version)

    def version_artifacts(
        self, version: ModelVersionRecord, summary: ImportSummary
    ) -> ModelArtifacts | None:
        uri = f"models:/{version.model_id}" if version.model_id else version.source_uri
        if not uri:
            return None
        described = self._read_model(uri, summary)
        if described is None:
            summary.skip("artifacts", version.location, f"no MLmodel file at {uri!r}")
        return described

    def _read_model(self, uri: str, summary: ImportSummary) -> ModelArtifacts | None:
        """Describe the model at ``uri`` from a folder on this machine, else download it."""
        folder = local_folder(self._artifact_location(uri), self._root)
        if folder is not None:
            return read_model_folder(folder, uri, summary)
        return self._download_model(uri, summary)

    def _artifact_location(self, uri: str) -> str | None:
        """Resolve ``runs:/`` and ``models:/m-`` URIs to the artifact location behind them."""
        if uri.startswith("runs:/"):
            run_id, _, path = uri.removeprefix("runs:/").partition("/")
            base = self._run_artifact_uris.get(run_id)
            if base is None:
                return None
            return f"{base.rstrip('/')}/{path}" if path else base
        if uri.startswith("models:/m-"):
            return self._logged_model_locations.get(uri.removeprefix("models:/").split("/")[0])
        return uri

    def _download_model(self, uri: str, summary: ImportSummary) -> ModelArtifacts | None:
        """Fetch MLmodel and the environment files of one model folder; never the weights."""
        from mlflow.artifacts import download_artifacts

        # MLflow draws a progress bar per downloaded file unless this variable is false.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        with tempfile.TemporaryDirectory(prefix="modelpilot-mlmodel-") as folder:
            for name in (MLMODEL, *ENVIRONMENT_FILES):
                try:
                    download_artifacts(
                        artifact_uri=f"{uri.rstrip('/')}/{name}",
                        dst_path=folder,
                        tracking_uri=self.uri,
                        registry_uri=self.uri,
                    )
                except Exception as exc:
                    if name == MLMODEL:
                        log.debug("no MLmodel at %s: %s", uri, _first_line(exc))
                        return None
            return read_model_folder(Path(folder), uri, summary)


def _absolute_uri(uri: str) -> str:
    """Resolve a relative sqlite or file path so the source key names one store."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        path = uri.removeprefix("sqlite:///")
        if path and path != ":memory:":
            return f"sqlite:///{Path(path).resolve().as_posix()}"
    if uri.startswith("file:"):
        file_path = uri_path(uri)
        if file_path:
            return f"file:{Path(file_path).resolve().as_posix()}"
    return uri


def _all_pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    """Collect every page of a paged MLflow search."""
    items: list[Any] = []
    token: str | None = None
    while True:
        page = fetch(token)
        items.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return items


def _metric(key: str, metric: Any) -> MetricRecord:
    return MetricRecord(
        key=key,
        value=float(metric.value),
        step=int(metric.step or 0),
        timestamp=fields.from_millis(metric.timestamp),
    )


def _aliases(raw: Any) -> dict[str, int]:
    aliases: dict[str, int] = {}
    if isinstance(raw, dict):
        for alias, version in raw.items():
            number = fields.version_number(version)
            if number is not None:
                aliases[str(alias)] = number
    return aliases


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
