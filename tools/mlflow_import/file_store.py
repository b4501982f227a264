"""Read an mlruns folder (MLflow's file store) straight from its files.

MLflow's client refuses file stores unless MLFLOW_ALLOW_FILE_STORE=true and raises on some
real folders (one malformed metric line fails the whole run), so this reader parses the layout
itself and records what it cannot read instead of stopping. The layout it reads:

    <root>/<experiment id>/meta.yaml, tags/             experiment (tags/ since MLflow 2)
    <root>/<experiment id>/<run id>/meta.yaml, params/, tags/, metrics/, artifacts/
    <root>/<experiment id>/models/m-<id>/meta.yaml, params/, tags/, metrics/, artifacts/
                                                        logged model (MLflow 3)
    <root>/.trash/<experiment id>/...                   deleted experiments
    <root>/models/<name>/meta.yaml, tags/, aliases/, version-<n>/meta.yaml, version-<n>/tags/
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.mlflow_import import fields
from tools.mlflow_import.artifacts import (
    MLMODEL,
    describe_mlmodel,
    read_model_folder,
    read_model_summary,
)
from tools.mlflow_import.files import (
    list_key_files,
    read_key_files,
    read_metric_file,
    read_text,
    read_yaml,
)
from tools.mlflow_import.paths import local_folder
from tools.mlflow_import.records import (
    ExperimentRecord,
    LoggedModelRecord,
    MetricRecord,
    ModelArtifacts,
    ModelVersionRecord,
    RegisteredModelRecord,
    RunRecord,
)
from tools.mlflow_import.sources import source_key
from tools.mlflow_import.summary import ImportSummary

# Folders inside an experiment folder that are not runs.
_EXPERIMENT_SUBFOLDERS = frozenset({"models", "tags", "traces", "datasets"})
_REGISTRY = "models"
_TRASH = ".trash"
# Folder depth below a run's artifacts/ searched for MLmodel files.
_MLMODEL_DEPTH = 3
_LOG_MODEL_HISTORY = "mlflow.log-model.history"


class FileStoreSource:
    """One mlruns folder on this machine."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._run_dirs: dict[str, Path] = {}
        self._logged_model_dirs: dict[str, Path] = {}

    @property
    def key(self) -> str:
        return source_key(self.root.as_posix())

    @property
    def location(self) -> str:
        return str(self.root)

    # --- experiments and runs -----------------------------------------------------------------

    def _experiment_dirs(self) -> list[Path]:
        folders = [self.root, self.root / _TRASH]
        found: list[Path] = []
        for folder in folders:
            if not folder.is_dir():
                continue
            for child in sorted(folder.iterdir()):
                if child.is_dir() and not child.name.startswith(".") and child.name != _REGISTRY:
                    found.append(child)
        return found

    def count_runs(self) -> int:
        count = 0
        for folder in self._experiment_dirs():
            count += sum(1 for child in folder.glob("*/meta.yaml") if _is_run_dir(child.parent))
        return count

    def experiments(self, summary: ImportSummary) -> Iterator[ExperimentRecord]:
        for folder in self._experiment_dirs():
            meta_path = folder / "meta.yaml"
            if not meta_path.is_file():
                if any(child.is_dir() for child in folder.iterdir()):
                    summary.skip("experiments", str(folder), "no meta.yaml in experiment folder")
                continue
            meta = read_yaml(meta_path, "experiments", summary)
            if meta is None:
                continue
            yield _experiment_record(meta, folder, summary)

    def runs(self, experiment: ExperimentRecord, summary: ImportSummary) -> Iterator[RunRecord]:
        folder = Path(experiment.location)
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.name in _EXPERIMENT_SUBFOLDERS:
                continue
            meta_path = child / "meta.yaml"
            if not meta_path.is_file():
                summary.skip("runs", str(child), "no meta.yaml in run folder")
                continue
            meta = read_yaml(meta_path, "runs", summary)
            if meta is None:
                continue
            if not _looks_like_run(meta):
                summary.skip(
                    "runs", str(meta_path), "meta.yaml has no run_id, status or start_time"
                )
                continue
            run = _run_record(meta, child, experiment.external_id, summary)
            self._run_dirs[run.run_id] = child
            yield run

    def load_metrics(self, run: RunRecord, summary: ImportSummary) -> list[MetricRecord]:
        points: list[MetricRecord] = []
        for key, path in list_key_files(Path(run.location) / "metrics").items():
            points.extend(read_metric_file(path, key, summary))
        return points

    def run_models(self, run: RunRecord, summary: ImportSummary) -> list[ModelArtifacts]:
        """Describe every MLmodel under the run's artifacts, falling back to the history tag."""
        artifacts_root = Path(run.location) / "artifacts"
        models: dict[str, ModelArtifacts] = {}
        if artifacts_root.is_dir():
            for path in _find_mlmodels(artifacts_root):
                artifact_path = path.parent.relative_to(artifacts_root).as_posix()
                location = f"runs:/{run.run_id}/{artifact_path}".removesuffix("/.")
                described = read_model_folder(path.parent, location, summary)
                if described is not None:
                    models[artifact_path] = described
        for entry in _log_model_history(run):
            artifact_path = str(entry.get("artifact_path") or "")
            if artifact_path in models or not isinstance(entry.get("flavors"), dict):
                continue
            summary.skip(
                "artifacts",
                str(artifacts_root / artifact_path),
                "MLmodel file missing; flavors taken from the mlflow.log-model.history tag",
            )
            models[artifact_path] = describe_mlmodel(entry, f"runs:/{run.run_id}/{artifact_path}")
        extra = read_model_summary(artifacts_root)
        for described in models.values():
            described.structure.update(extra)
        return list(models.values())

    # --- MLflow 3 logged models ---------------------------------------------------------------

    def logged_models(
        self, experiment: ExperimentRecord, summary: ImportSummary
    ) -> Iterator[LoggedModelRecord]:
        folder = Path(experiment.location) / "models"
        if not folder.is_dir():
            return
        for child in sorted(folder.iterdir()):
            if not child.is_dir():
                continue
            meta_path = child / "meta.yaml"
            if not meta_path.is_file():
                summary.skip("logged_models", str(child), "no meta.yaml in logged model folder")
                continue
            meta = read_yaml(meta_path, "logged_models", summary)
            if meta is None:
                continue
            record = self._logged_model_record(meta, child, experiment.external_id, summary)
            self._logged_model_dirs[record.model_id] = child
            yield record

    def _logged_model_record(
        self, meta: dict[str, Any], folder: Path, experiment_id: str, summary: ImportSummary
    ) -> LoggedModelRecord:
        model_id = str(meta.get("model_id") or folder.name)
        metrics: list[MetricRecord] = []
        for key, path in list_key_files(folder / "metrics").items():
            metrics.extend(read_metric_file(path, key, summary))
        record = LoggedModelRecord(
            model_id=model_id,
            experiment_external_id=experiment_id,
            name=fields.text_or_none(meta.get("name")),
            source_run_id=fields.text_or_none(meta.get("source_run_id")),
            status=fields.logged_model_status(meta.get("status")),
            model_type=fields.text_or_none(meta.get("model_type")),
            artifact_location=fields.text_or_none(meta.get("artifact_location")),
            created_at=fields.from_millis(meta.get("creation_timestamp")),
            params=read_key_files(folder / "params", "params", summary),
            tags=read_key_files(folder / "tags", "tags", summary),
            metrics=metrics,
            location=str(folder),
        )
        record.artifacts = self._logged_model_artifacts(record, folder, summary)
        return record

    def _logged_model_artifacts(
        self, record: LoggedModelRecord, folder: Path, summary: ImportSummary
    ) -> ModelArtifacts | None:
        described = read_model_folder(folder / "artifacts", f"models:/{record.model_id}", summary)
        if described is None:
            if record.status != "FAILED":
                summary.skip("artifacts", str(folder / "artifacts"), "no MLmodel file")
            return None
        run_dir = self._find_run_dir(record.source_run_id)
        if run_dir is not None:
            described.structure.update(read_model_summary(run_dir / "artifacts"))
        return described

    # --- model registry -----------------------------------------------------------------------

    def registered_models(self, summary: ImportSummary) -> Iterator[RegisteredModelRecord]:
        folder = self.root / _REGISTRY
        if not folder.is_dir():
            return
        for child in sorted(folder.iterdir()):
            if not child.is_dir():
                continue
            meta_path = child / "meta.yaml"
            if not meta_path.is_file():
                summary.skip("registered_models", str(child), "no meta.yaml in model folder")
                continue
            meta = read_yaml(meta_path, "registered_models", summary)
            if meta is None:
                continue
            yield _registered_model_record(meta, child, summary)

    def version_artifacts(
        self, version: ModelVersionRecord, summary: ImportSummary
    ) -> ModelArtifacts | None:
        folder = self._version_folder(version)
        if folder is None:
            summary.skip(
                "artifacts",
                version.location,
                f"model files not found on this machine for source {version.source_uri!r}",
            )
            return None
        described = read_model_folder(folder, version.source_uri or str(folder), summary)
        if described is None:
            summary.skip("artifacts", str(folder), "no MLmodel file in the model folder")
            return None
        if folder.parent.name == "artifacts":
            described.structure.update(read_model_summary(folder.parent))
        return described

    def _version_folder(self, version: ModelVersionRecord) -> Path | None:
        source = version.source_uri or ""
        model_id = version.model_id
        if source.startswith("models:/m-"):
            model_id = model_id or source.removeprefix("models:/").split("/", 1)[0]
        if model_id:
            logged = self._find_logged_model_dir(model_id)
            if logged is not None and (logged / "artifacts" / MLMODEL).is_file():
                return logged / "artifacts"
        if source.startswith("runs:/"):
            run_id, _, artifact_path = source.removeprefix("runs:/").partition("/")
            run_dir = self._find_run_dir(run_id)
            folder = run_dir / "artifacts" / artifact_path if run_dir is not None else None
            return folder if folder is not None and folder.is_dir() else None
        return local_folder(source, self.root)

    def _find_run_dir(self, run_id: str | None) -> Path | None:
        if not run_id:
            return None
        if run_id in self._run_dirs:
            return self._run_dirs[run_id]
        for folder in self._experiment_dirs():
            if (folder / run_id / "meta.yaml").is_file():
                return folder / run_id
        return None

    def _find_logged_model_dir(self, model_id: str) -> Path | None:
        if model_id in self._logged_model_dirs:
            return self._logged_model_dirs[model_id]
        for folder in self._experiment_dirs():
            if (folder / "models" / model_id / "meta.yaml").is_file():
                return folder / "models" / model_id
        return None


# --- records from meta.yaml ---------------------------------------------------------------------


def _experiment_record(
    meta: dict[str, Any], folder: Path, summary: ImportSummary
) -> ExperimentRecord:
    external_id = str(meta.get("experiment_id", folder.name))
    lifecycle = fields.text_or_none(meta.get("lifecycle_stage")) or "active"
    if folder.parent.name == _TRASH:
        lifecycle = "deleted"
    return ExperimentRecord(
        external_id=external_id,
        name=fields.text_or_none(meta.get("name")) or f"experiment {external_id}",
        lifecycle_stage=lifecycle,
        artifact_location=fields.text_or_none(meta.get("artifact_location")),
        tags=read_key_files(folder / "tags", "tags", summary),
        created_at=fields.from_millis(meta.get("creation_time")),
        updated_at=fields.from_millis(meta.get("last_update_time")),
        location=str(folder),
    )


def _looks_like_run(meta: dict[str, Any]) -> bool:
    return any(key in meta for key in ("run_id", "run_uuid", "status", "start_time"))


def _is_run_dir(folder: Path) -> bool:
    return folder.name not in _EXPERIMENT_SUBFOLDERS and (folder / "meta.yaml").is_file()


def _run_record(
    meta: dict[str, Any], folder: Path, experiment_id: str, summary: ImportSummary
) -> RunRecord:
    tags = read_key_files(folder / "tags", "tags", summary)
    run_id = fields.text_or_none(meta.get("run_id")) or fields.text_or_none(meta.get("run_uuid"))
    return RunRecord(
        run_id=run_id or folder.name,
        experiment_external_id=experiment_id,
        name=fields.text_or_none(meta.get("run_name")) or tags.get("mlflow.runName") or None,
        status=fields.run_status(meta.get("status")),
        start_time=fields.from_millis(meta.get("start_time")),
        end_time=fields.from_millis(meta.get("end_time")),
        user=fields.text_or_none(meta.get("user_id")) or tags.get("mlflow.user") or None,
        source_type=fields.source_type(tags.get("mlflow.source.type") or meta.get("source_type")),
        source_name=tags.get("mlflow.source.name") or fields.text_or_none(meta.get("source_name")),
        source_version=(
            tags.get("mlflow.source.git.commit") or fields.text_or_none(meta.get("source_version"))
        ),
        entry_point=(
            fields.text_or_none(meta.get("entry_point_name"))
            or tags.get("mlflow.project.entryPoint")
            or None
        ),
        artifact_uri=fields.text_or_none(meta.get("artifact_uri")),
        lifecycle_stage=fields.text_or_none(meta.get("lifecycle_stage")) or "active",
        params=read_key_files(folder / "params", "params", summary),
        tags=tags,
        metric_keys=sorted(list_key_files(folder / "metrics")),
        location=str(folder),
    )


def _find_mlmodels(artifacts_root: Path) -> list[Path]:
    found: list[Path] = []
    for depth in range(1, _MLMODEL_DEPTH + 1):
        pattern = "/".join(["*"] * depth) + f"/{MLMODEL}"
        found.extend(sorted(artifacts_root.glob(pattern)))
    if (artifacts_root / MLMODEL).is_file():
        found.insert(0, artifacts_root / MLMODEL)
    return found


def _log_model_history(run: RunRecord) -> list[dict[str, Any]]:
    """Parse the JSON list MLflow 1 and 2 keep in the mlflow.log-model.history tag."""
    raw = run.tags.get(_LOG_MODEL_HISTORY)
    if not raw:
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError:
        return []
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def _registered_model_record(
    meta: dict[str, Any], folder: Path, summary: ImportSummary
) -> RegisteredModelRecord:
    name = fields.text_or_none(meta.get("name")) or folder.name
    record = RegisteredModelRecord(
        name=name,
        description=fields.text_or_none(meta.get("description")),
        tags=read_key_files(folder / "tags", "tags", summary),
        aliases=_aliases(meta, folder, summary),
        created_at=fields.from_millis(meta.get("creation_timestamp")),
        updated_at=fields.from_millis(meta.get("last_updated_timestamp")),
        location=str(folder),
    )
    for child in sorted(folder.glob("version-*")):
        version = _version_record(child, name, summary)
        if version is not None:
            record.versions.append(version)
    record.versions.sort(key=lambda version: version.version)
    return record


def _aliases(meta: dict[str, Any], folder: Path, summary: ImportSummary) -> dict[str, int]:
    """Merge aliases from meta.yaml (MLflow 3) and the aliases/ folder (MLflow 2)."""
    aliases: dict[str, int] = {}
    raw = meta.get("aliases")
    if isinstance(raw, dict):
        for alias, value in raw.items():
            number = fields.version_number(value)
            if number is not None:
                aliases[str(alias)] = number
    alias_folder = folder / "aliases"
    if alias_folder.is_dir():
        for path in sorted(alias_folder.iterdir()):
            if not path.is_file():
                continue
            number = fields.version_number(read_text(path))
            if number is None:
                summary.skip("aliases", str(path), "alias file does not hold a version number")
                continue
            aliases.setdefault(path.name, number)
    return aliases


def _version_record(
    folder: Path, model_name: str, summary: ImportSummary
) -> ModelVersionRecord | None:
    meta_path = folder / "meta.yaml"
    if not meta_path.is_file():
        summary.skip("model_versions", str(folder), "no meta.yaml in version folder")
        return None
    meta = read_yaml(meta_path, "model_versions", summary)
    if meta is None:
        return None
    number = fields.version_number(meta.get("version"))
    if number is None:
        number = fields.version_number(folder.name.removeprefix("version-"))
    if number is None:
        summary.skip("model_versions", str(meta_path), "no version number")
        return None
    return ModelVersionRecord(
        model_name=model_name,
        version=number,
        run_id=fields.text_or_none(meta.get("run_id")),
        status=fields.text_or_none(meta.get("status")) or "READY",
        stage=fields.stage(meta.get("current_stage")),
        description=fields.text_or_none(meta.get("description")),
        source_uri=fields.text_or_none(meta.get("source"))
        or fields.text_or_none(meta.get("storage_location")),
        model_id=fields.text_or_none(meta.get("model_id")),
        user=fields.text_or_none(meta.get("user_id")),
        tags=read_key_files(folder / "tags", "tags", summary),
        created_at=fields.from_millis(meta.get("creation_timestamp")),
        updated_at=fields.from_millis(meta.get("last_updated_timestamp")),
        location=str(folder),
    )
