"""Monitoring policies: per-model alert thresholds, with documented defaults.

Defaults, and why:

- Numeric drift is measured with PSI on the reference's decile bins; a feature has drifted at
  PSI >= 0.2. The credit-scoring convention reads PSI < 0.1 as stable, 0.1-0.2 as a moderate
  shift worth watching and >= 0.2 as a significant shift (as CapyMOA's ``PSI`` drift detector
  documents it, with 0.2 as its default threshold). Evidently flags drift at PSI >= 0.1
  (``default_threshold=0.1`` of its ``psi`` stat test in
  ``src/evidently/legacy/calculations/stattests/psi.py``, evidentlyai/evidently at commit
  2841e3e), which is the "moderate" band: reports show it as ``watch``, but only 0.2 raises
  an alert, because a model is checked every evaluation and a 0.1 alert on a few hundred
  requests would fire on sampling noise.
- The Jensen-Shannon distance (natural logarithm, as ``scipy.spatial.distance.jensenshannon``)
  is reported for every numeric feature and is the rule when ``numeric_drift_method`` is
  ``jensen_shannon``; drift at >= 0.1, Evidently's default for its ``jensenshannon`` stat test
  (same repository, ``stattests/jensenshannon.py``, ``default_threshold=0.1``).
- Categorical drift is measured with the L-infinity distance (the largest change of one
  category's share); drift at >= 0.1, a ten-point move of one category. Vertex AI Model
  Monitoring also uses L-infinity for categorical features, with a backend default threshold of
  0.3 for every feature when none is set ("If None is passed, all feature will be monitored
  using alert threshold 0.3 (Backend default)", ``SkewDetectionConfig`` in
  ``google/cloud/aiplatform/model_monitoring/objective.py`` of googleapis/python-aiplatform).
  We alert earlier than Vertex because 0.3 only catches a category that grew or shrank by 30
  points, which is a broken feed rather than drift. The chi-squared test is available as
  ``categorical_drift_method=chi_squared`` with drift at p < 0.05 (Evidently's default for
  p-value tests: ``StatTest.default_threshold=0.05`` in ``stattests/registry.py``); it is not
  the default because on a day of traffic any tiny change is significant.
- No drift is computed on fewer than 100 current values, so a quiet hour cannot alert.
- Latency: p95 above ``latency_p95_ms`` when it is set. Without a target, p95 above 1.5 times
  the p95 of the baseline window, so a model still alerts when it gets much slower.
- Error rate: more than 5 % of requests failed in the window.
- Confidence: the mean prediction confidence fell by more than 0.1 against the baseline window.
- Windows: the current window is the last 24 hours; the baseline window is the 7 days before
  it (a whole weekly cycle of traffic).
- Retraining after an alert waits ``cooldown_hours`` (24) after the previous trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from tools.clock import now
from tools.errors import InvalidInputError
from tools.store.schema import MonitoringPolicy

NumericMethod = Literal["psi", "jensen_shannon"]
CategoricalMethod = Literal["l_infinity", "chi_squared"]
NUMERIC_METHODS: tuple[NumericMethod, ...] = ("psi", "jensen_shannon")
CATEGORICAL_METHODS: tuple[CategoricalMethod, ...] = ("l_infinity", "chi_squared")
ON_ALERT = ("notify", "retrain")

DEFAULT_DRIFT_PSI = 0.2
PSI_WATCH = 0.1
DEFAULT_DRIFT_JS = 0.1
DEFAULT_DRIFT_LINF = 0.1
DEFAULT_DRIFT_PVALUE = 0.05
DEFAULT_LATENCY_RATIO = 1.5
DEFAULT_ERROR_RATE = 0.05
DEFAULT_CONFIDENCE_DROP = 0.1
DEFAULT_WINDOW_HOURS = 24.0
DEFAULT_BASELINE_HOURS = 168.0
DEFAULT_COOLDOWN_HOURS = 24.0
MIN_DRIFT_SAMPLES = 100
MIN_BASELINE_REQUESTS = 100


@dataclass(frozen=True)
class EffectivePolicy:
    """A model's policy with every default filled in."""

    model: str
    numeric_method: NumericMethod
    categorical_method: CategoricalMethod
    drift_psi: float
    drift_js: float
    drift_linf: float
    drift_pvalue: float
    latency_p95_ms: float | None
    error_rate: float
    confidence_drop: float
    accuracy_min: float | None
    window_hours: float
    baseline_hours: float
    on_alert: str
    retrain_pipeline: str | None
    cooldown_hours: float
    last_retrain_at: datetime | None
    baseline_dataset_version_id: str | None
    configured: bool

    def numeric_threshold(self) -> float:
        return self.drift_psi if self.numeric_method == "psi" else self.drift_js

    def categorical_threshold(self) -> float:
        return self.drift_linf if self.categorical_method == "l_infinity" else self.drift_pvalue


def _pick(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def effective_policy(model: str, row: MonitoringPolicy | None) -> EffectivePolicy:
    numeric = (row.numeric_drift_method if row else None) or "psi"
    categorical = (row.categorical_drift_method if row else None) or "l_infinity"
    return EffectivePolicy(
        model=model,
        numeric_method=numeric if numeric in NUMERIC_METHODS else "psi",  # type: ignore[arg-type]
        categorical_method=(
            categorical if categorical in CATEGORICAL_METHODS else "l_infinity"  # type: ignore[arg-type]
        ),
        drift_psi=_pick(row.drift_psi if row else None, DEFAULT_DRIFT_PSI),
        drift_js=_pick(row.drift_js if row else None, DEFAULT_DRIFT_JS),
        drift_linf=_pick(row.drift_linf if row else None, DEFAULT_DRIFT_LINF),
        drift_pvalue=_pick(row.drift_pvalue if row else None, DEFAULT_DRIFT_PVALUE),
        latency_p95_ms=row.latency_p95_ms if row else None,
        error_rate=_pick(row.error_rate if row else None, DEFAULT_ERROR_RATE),
        confidence_drop=_pick(row.confidence_drop if row else None, DEFAULT_CONFIDENCE_DROP),
        accuracy_min=row.accuracy_min if row else None,
        window_hours=_pick(row.window_hours if row else None, DEFAULT_WINDOW_HOURS),
        baseline_hours=_pick(row.baseline_hours if row else None, DEFAULT_BASELINE_HOURS),
        on_alert=row.on_alert if row else "notify",
        retrain_pipeline=row.retrain_pipeline if row else None,
        cooldown_hours=row.cooldown_hours if row else DEFAULT_COOLDOWN_HOURS,
        last_retrain_at=row.last_retrain_at if row else None,
        baseline_dataset_version_id=row.baseline_dataset_version_id if row else None,
        configured=row is not None,
    )


def get_policy(session: Session, model: str) -> EffectivePolicy:
    return effective_policy(model, session.get(MonitoringPolicy, model))


# The fields set_policy may change, and the check each value must pass.
_POSITIVE = (
    "latency_p95_ms",
    "drift_psi",
    "drift_js",
    "drift_linf",
    "confidence_drop",
    "window_hours",
    "baseline_hours",
)
_FRACTIONS = ("drift_pvalue", "error_rate", "accuracy_min", "drift_linf", "confidence_drop")
_TEXT = ("numeric_drift_method", "categorical_drift_method", "on_alert", "retrain_pipeline")
SETTABLE = (*_POSITIVE, "drift_pvalue", "error_rate", "accuracy_min", "cooldown_hours", *_TEXT)


def validate_changes(changes: dict[str, object]) -> dict[str, object]:
    """Check the values of a policy change; raise with the first invalid one."""
    for field_name, value in changes.items():
        if field_name not in SETTABLE:
            raise InvalidInputError(
                f"unknown policy setting {field_name!r}; use one of {', '.join(SETTABLE)}"
            )
        if value is None or field_name in _TEXT:
            continue
        number = float(value)  # type: ignore[arg-type]
        if field_name in _POSITIVE and number <= 0:
            raise InvalidInputError(f"{field_name} must be greater than 0, not {value!r}")
        if field_name in _FRACTIONS and not 0 <= number <= 1:
            raise InvalidInputError(f"{field_name} must be between 0 and 1, not {value!r}")
        if field_name == "cooldown_hours" and number < 0:
            raise InvalidInputError(f"cooldown_hours must be 0 or more, not {value!r}")
    _check_choice(changes, "numeric_drift_method", NUMERIC_METHODS)
    _check_choice(changes, "categorical_drift_method", CATEGORICAL_METHODS)
    _check_choice(changes, "on_alert", ON_ALERT)
    return changes


def _check_choice(changes: dict[str, object], field_name: str, choices: tuple[str, ...]) -> None:
    value = changes.get(field_name)
    if value is not None and value not in choices:
        raise InvalidInputError(f"invalid {field_name} {value!r}; use one of {', '.join(choices)}")


def set_policy(
    session: Session, model: str, changes: dict[str, object], actor: str | None = None
) -> MonitoringPolicy:
    """Apply ``changes`` (only the given fields) to the model's policy, creating it if needed."""
    validate_changes(changes)
    row = session.get(MonitoringPolicy, model) or MonitoringPolicy(model_name=model)
    for field_name, value in changes.items():
        setattr(row, field_name, value)
    if row.on_alert == "retrain" and not row.retrain_pipeline:
        raise InvalidInputError(
            f"on_alert='retrain' needs a retrain_pipeline for {model!r}; name the pipeline "
            "that retrains it"
        )
    row.updated_by = actor
    row.updated_at = now()
    session.add(row)
    session.flush()
    return row
