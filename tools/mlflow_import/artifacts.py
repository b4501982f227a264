"""Describe a logged model from the files MLflow writes next to it.

An MLflow model folder contains an ``MLmodel`` file (flavors, signature, versions) and the
environment files ``requirements.txt``, ``conda.yaml`` and ``python_env.yaml``. The model
weights themselves are never read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tools.mlflow_import.files import read_text, read_yaml
from tools.mlflow_import.records import ModelArtifacts
from tools.mlflow_import.summary import ImportSummary

MLMODEL = "MLmodel"
ENVIRONMENT_FILES = ("requirements.txt", "conda.yaml", "python_env.yaml")
# The Keras/TensorFlow autologger writes the layer table here, next to the run's model folder.
MODEL_SUMMARY_FILE = "model_summary.txt"
_MODEL_SUMMARY_MAX_CHARS = 4000

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")
_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")
_TOTAL_PARAMS = re.compile(r"Total params:\s*([\d,]+)")
# MLmodel keys copied into the structure summary when present.
_TOP_LEVEL_KEYS = ("mlflow_version", "model_size_bytes", "utc_time_created", "model_id")
_FLAVOR_KEYS = (
    "model_class",
    "model_type",
    "model_format",
    "serialization_format",
    "save_format",
    "keras_version",
    "sklearn_version",
    "xgb_version",
    "lgb_version",
    "pytorch_version",
    "transformers_version",
    "loader_module",
    "python_version",
)


def read_model_folder(folder: Path, location: str, summary: ImportSummary) -> ModelArtifacts | None:
    """Describe the model in ``folder``, or return None when it has no readable MLmodel file.

    ``location`` is the model's URI in MLflow (``runs:/...``, ``models:/...``), kept
    instead of the folder because a path on this machine means little in the store.
    """
    path = folder / MLMODEL
    if not path.is_file():
        return None
    mlmodel = read_yaml(path, "artifacts", summary)
    if mlmodel is None:
        return None
    artifacts = describe_mlmodel(mlmodel, location)
    artifacts.dependencies = read_dependencies(folder, summary)
    return artifacts


def describe_mlmodel(mlmodel: dict[str, Any], location: str) -> ModelArtifacts:
    """Turn a parsed MLmodel mapping into flavor, structure summary and signature."""
    flavors = mlmodel.get("flavors")
    flavor_map: dict[str, Any] = flavors if isinstance(flavors, dict) else {}
    names = [str(name) for name in flavor_map]
    return ModelArtifacts(
        location=location,
        flavor=_main_flavor(names),
        flavors=names,
        structure=_structure(mlmodel, flavor_map),
        signature=_signature(mlmodel.get("signature")),
    )


def _main_flavor(names: list[str]) -> str | None:
    """Prefer the framework flavor (sklearn, xgboost...) over the generic python_function."""
    specific = [name for name in names if name != "python_function"]
    if specific:
        return specific[0]
    return names[0] if names else None


def _structure(mlmodel: dict[str, Any], flavors: dict[str, Any]) -> dict[str, Any]:
    structure: dict[str, Any] = {"flavors": list(flavors)}
    for key in _TOP_LEVEL_KEYS:
        if mlmodel.get(key) is not None:
            structure[key] = mlmodel[key]
    for config in flavors.values():
        if not isinstance(config, dict):
            continue
        for key in _FLAVOR_KEYS:
            if config.get(key) is not None and key not in structure:
                structure[key] = config[key]
    return structure


def _signature(raw: Any) -> dict[str, Any] | None:
    """Decode the signature's JSON-in-YAML fields; keep a field as text when it is not JSON."""
    if not isinstance(raw, dict):
        return None
    signature: dict[str, Any] = {}
    for part in ("inputs", "outputs", "params"):
        value = raw.get(part)
        if value is None:
            continue
        try:
            signature[part] = json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            signature[part] = value
    return signature or None


def read_dependencies(folder: Path, summary: ImportSummary) -> dict[str, str]:
    """Merge requirements.txt, conda.yaml and python_env.yaml into package -> version."""
    dependencies: dict[str, str] = {}
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        try:
            _add_requirements(dependencies, read_text(requirements).splitlines())
        except OSError as exc:
            summary.skip("artifacts", str(requirements), f"cannot read the file: {exc}")
    conda = _read_optional_yaml(folder / "conda.yaml", summary)
    if conda is not None:
        _add_conda(dependencies, conda)
    python_env = _read_optional_yaml(folder / "python_env.yaml", summary)
    if python_env is not None and python_env.get("python"):
        # python_env.yaml pins the exact interpreter; conda's "python=3.10" only a prefix.
        dependencies["python"] = str(python_env["python"])
    return dependencies


def _pin(spec: str) -> str:
    """Write an exact pin as the bare version, as the rest of ModelPilot does ("1.26.4").

    pip pins with "==" and conda with a single "="; ranges such as ">=2.2,<3" stay as written.
    """
    if spec.startswith("==") and not spec.startswith("==="):
        return spec.removeprefix("==")
    if spec.startswith("=") and not spec.startswith("=="):
        return spec.removeprefix("=")
    return spec


def _read_optional_yaml(path: Path, summary: ImportSummary) -> dict[str, Any] | None:
    return read_yaml(path, "artifacts", summary) if path.is_file() else None


def _add_requirements(dependencies: dict[str, str], lines: list[str]) -> None:
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = _REQUIREMENT.match(line)
        if match is None:
            continue
        # A name listed twice with different environment markers keeps its first entry.
        dependencies.setdefault(match.group(1), _pin(match.group(3)))


def _add_conda(dependencies: dict[str, str], conda: dict[str, Any]) -> None:
    entries = conda.get("dependencies")
    if not isinstance(entries, list):
        return
    for entry in entries:
        if isinstance(entry, dict):
            pip_lines = entry.get("pip")
            if isinstance(pip_lines, list):
                _add_requirements(dependencies, [str(line) for line in pip_lines])
        elif isinstance(entry, str):
            match = _CONDA_SPEC.match(entry)
            if match is not None:
                dependencies.setdefault(match.group(1), _pin(match.group(2)))


def read_model_summary(artifacts_root: Path) -> dict[str, Any]:
    """Read the Keras layer table a run logged, with its parameter count when stated."""
    path = artifacts_root / MODEL_SUMMARY_FILE
    if not path.is_file():
        return {}
    try:
        text = read_text(path)
    except OSError:
        return {}
    described: dict[str, Any] = {"summary": text[:_MODEL_SUMMARY_MAX_CHARS]}
    match = _TOTAL_PARAMS.search(text)
    if match is not None:
        described["total_params"] = int(match.group(1).replace(",", ""))
    return described
