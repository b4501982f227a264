"""The interface of the importer's readers, and the choice of readers for a SOURCE argument."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from tools.errors import ImportFailedError
from tools.mlflow_import.paths import uri_path
from tools.mlflow_import.records import (
    ExperimentRecord,
    LoggedModelRecord,
    MetricRecord,
    ModelArtifacts,
    ModelVersionRecord,
    RegisteredModelRecord,
    RunRecord,
)
from tools.mlflow_import.summary import ImportSummary

Reader = Literal["auto", "files", "client"]
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class MlflowSource(Protocol):
    """One MLflow tracking store, read one entity kind at a time."""

    @property
    def key(self) -> str:
        """The text stored in ``source`` columns; the same store always gives the same key."""
        ...

    @property
    def location(self) -> str:
        """The folder or URI shown to users."""
        ...

    def count_runs(self) -> int | None: ...

    def experiments(self, summary: ImportSummary) -> Iterator[ExperimentRecord]: ...

    def runs(self, experiment: ExperimentRecord, summary: ImportSummary) -> Iterator[RunRecord]:
        """Yield the runs of an experiment with params and tags, but without metric history."""
        ...

    def load_metrics(self, run: RunRecord, summary: ImportSummary) -> list[MetricRecord]: ...

    def run_models(self, run: RunRecord, summary: ImportSummary) -> list[ModelArtifacts]:
        """Describe the models logged as artifacts of a run (MLflow 1 and 2 layout)."""
        ...

    def logged_models(
        self, experiment: ExperimentRecord, summary: ImportSummary
    ) -> Iterator[LoggedModelRecord]:
        """Yield the MLflow 3 logged models of an experiment, with metrics and artifacts."""
        ...

    def registered_models(self, summary: ImportSummary) -> Iterator[RegisteredModelRecord]: ...

    def version_artifacts(
        self, version: ModelVersionRecord, summary: ImportSummary
    ) -> ModelArtifacts | None: ...


def source_key(location: str) -> str:
    """Build the ``source`` column value: ``mlflow:`` and the store's path or URI."""
    return f"mlflow:{location}"


def strip_credentials(uri: str) -> str:
    """Drop a password from a URI so it never lands in the store or in a log line."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def display_source(source: str | Path) -> str:
    """Return SOURCE as shown and stored: a folder made absolute, a URI without its password."""
    text = str(source)
    if isinstance(source, str) and is_uri(text):
        return strip_credentials(text)
    return str(Path(text).expanduser().resolve())


def is_uri(source: str) -> bool:
    """Tell a tracking URI (``sqlite:///...``, ``http://...``, ``file:...``) from a path."""
    return bool(_URI.match(source)) and not _DRIVE.match(source)


def open_sources(source: str | Path, reader: Reader = "auto") -> list[MlflowSource]:
    """Pick the readers for a SOURCE argument.

    A folder, or a ``file:`` URI of one, is read from its files unless ``reader`` is
    "client"; every other URI goes through MLflow's client.
    """
    text = str(source)
    if isinstance(source, str) and is_uri(text) and not text.startswith("file:"):
        if reader == "files":
            raise ImportFailedError(
                f"the files reader only reads folders, not {text!r}; drop --reader or pass a "
                "path to an mlruns folder"
            )
        return [_client_source(text)]
    folder = Path(uri_path(text) or text) if text.startswith("file:") else Path(text)
    folder = folder.expanduser()
    if not folder.exists():
        raise ImportFailedError(
            f"no such folder {text!r}; pass an mlruns folder, a folder that contains one, or a "
            "tracking URI such as sqlite:///mlflow.db"
        )
    if not folder.is_dir():
        raise ImportFailedError(
            f"{text!r} is a file, not an MLflow tracking folder; pass its mlruns folder or a "
            "tracking URI"
        )
    if reader == "client":
        return [_client_source(f"file:{folder.resolve().as_posix()}")]
    return _file_sources(folder, text)


def _file_sources(folder: Path, text: str) -> list[MlflowSource]:
    from tools.mlflow_import.discovery import find_tracking_roots
    from tools.mlflow_import.file_store import FileStoreSource

    roots = find_tracking_roots(folder.resolve())
    if not roots:
        raise ImportFailedError(
            f"{text!r} is not an MLflow tracking folder and contains none (no mlruns folder or "
            "experiment meta.yaml found); pass the folder that holds mlruns/"
        )
    return [FileStoreSource(root) for root in roots]


def _client_source(uri: str) -> MlflowSource:
    from tools.mlflow_import.client_source import ClientSource

    return ClientSource(uri)
