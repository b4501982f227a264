"""The train step: call the pipeline's entry point and save the model it returns.

The entry point is ``module:function`` or a script (``train.py``, or ``train.py:fit`` for a
function other than ``train``). It is called with one ``TrainingContext`` and returns a
fitted scikit-learn style estimator (``fit``/``predict``, optionally ``predict_proba``).
Learning curves go through ``ctx.log_metric(key, value, step)``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import InvalidInputError, NotFoundError
from tools.pipelines.definition import is_script

# Packages whose versions every training run records, besides the estimator's own package.
RECORDED_PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "joblib")
_PACKAGE_OF_MODULE = {"sklearn": "scikit-learn"}


@dataclass(frozen=True)
class MetricRecord:
    key: str
    value: float
    step: int
    elapsed_s: float  # seconds after training started, to timestamp the point


@dataclass
class TrainingContext:
    """What an entry point gets: the data, the parameters and a metric logger.

    ``X_valid``/``y_valid`` are the held-out rows the evaluate step scores; curves logged on
    them show how the score moves per iteration, and must not be used to pick the model.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    params: dict[str, Any]
    random_state: int = 0
    history: list[MetricRecord] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        """Record one point of a metric's history (an epoch, a boosting stage, a CV fold)."""
        elapsed = time.monotonic() - self._started
        self.history.append(MetricRecord(key, float(value), int(step), elapsed))


@dataclass(frozen=True)
class CodeSnapshot:
    """The source of the entry point as it was when the run started."""

    entry_point: str
    path: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def split_entry_point(entry_point: str) -> tuple[str, str]:
    """Return (module or script path, function name)."""
    if is_script(entry_point):
        path, separator, function = entry_point.rpartition(":")
        if separator and function.isidentifier() and path.endswith(".py"):
            return path, function
        return entry_point, "train"
    module, _, function = entry_point.partition(":")
    return module, function


def resolve_script(entry_point: str, base: Path) -> str:
    """Return the entry point with a script path made absolute against ``base``."""
    if not is_script(entry_point):
        return entry_point
    path, function = split_entry_point(entry_point)
    absolute = Path(path) if Path(path).is_absolute() else (base / path).resolve()
    return f"{absolute}:{function}"


def snapshot_code(entry_point: str) -> CodeSnapshot:
    """Read the source file of the entry point without running it."""
    target, _ = split_entry_point(entry_point)
    if is_script(entry_point):
        path = Path(target)
    else:
        spec = importlib.util.find_spec(target)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            raise NotFoundError(
                f"entry point module {target!r} is not importable from this environment; "
                "install it or use a script path"
            )
        path = Path(spec.origin)
    if not path.is_file():
        raise NotFoundError(f"training script {path} does not exist; fix entry_point")
    return CodeSnapshot(entry_point, str(path), path.read_text(encoding="utf-8"))


def load_entry_point(entry_point: str) -> Callable[[TrainingContext], Any]:
    """Import the entry point's function."""
    target, function = split_entry_point(entry_point)
    if is_script(entry_point):
        digest = hashlib.sha256(target.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(f"modelpilot_script_{digest}", target)
        if spec is None or spec.loader is None:
            raise NotFoundError(f"cannot load training script {target}; check entry_point")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    found = getattr(module, function, None)
    if not callable(found):
        raise NotFoundError(f"{target} has no function {function!r}; fix entry_point")
    return found  # type: ignore[no-any-return]


def fit(entry_point: str, ctx: TrainingContext) -> Any:
    """Run the entry point and check that it returned a usable estimator."""
    estimator = load_entry_point(entry_point)(ctx)
    if estimator is None or not callable(getattr(estimator, "predict", None)):
        raise InvalidInputError(
            f"entry point {entry_point} returned {type(estimator).__name__}, not a fitted "
            "estimator with predict(); return the model from the function"
        )
    return estimator


def estimator_params(estimator: Any) -> dict[str, str]:
    """Return the estimator's own constructor params as text (nested estimators by class)."""
    get_params = getattr(estimator, "get_params", None)
    if not callable(get_params):
        return {}
    params: dict[str, str] = {}
    for key, value in get_params(deep=False).items():
        if hasattr(value, "get_params"):
            value = type(value).__name__
        params[key] = str(value)[:500]
    return params


def environment(estimator: Any) -> dict[str, Any]:
    """Return the Python version, platform and versions of the packages training used."""
    names = list(RECORDED_PACKAGES)
    module = type(estimator).__module__.split(".")[0]
    package = _PACKAGE_OF_MODULE.get(module, module)
    if package not in names:
        names.append(package)
    packages: dict[str, str] = {}
    for name in names:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "packages": packages,
    }
