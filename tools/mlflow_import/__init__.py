"""Import MLflow tracking data: mlruns folders read from their files, or tracking URIs.

``import_mlflow(source, store)`` reads experiments, runs with their full metric history,
the model registry (versions, aliases) and MLflow 3 logged models, and returns an
``ImportSummary`` of what was imported, updated and skipped.
"""

from tools.mlflow_import.importer import NothingImportedError, import_mlflow
from tools.mlflow_import.summary import ImportProgress, ImportSummary, ProgressCallback, Skip

__all__ = [
    "ImportProgress",
    "ImportSummary",
    "NothingImportedError",
    "ProgressCallback",
    "Skip",
    "import_mlflow",
]
