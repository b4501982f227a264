"""Pipeline definitions: the small YAML file in ``<home>/pipelines/NAME.yaml``.

Example::

    name: fraud-retrain
    model: fraud-detector
    owner: bob
    dataset: {name: fraud-transactions, version: 2, target: is_fraud}
    entry_point: tools.pipelines.trainers:gradient_boosting
    params: {n_estimators: 120, learning_rate: 0.1}
    steps: [preprocess, train, evaluate, gate, register, deploy, notify]
    gate: "roc_auc >= 0.9 and f1 >= production.f1 - 0.02"
    alias: production

``dataset`` is a registered dataset (``name``, optional ``version``, ``target`` column) or a
scikit-learn loader written ``sklearn:digits``. ``entry_point`` is ``module:function`` or a
script path (``scripts/train.py`` or ``scripts/train.py:fit``; relative paths start at the
folder of the YAML file).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tools.errors import InvalidInputError, NotFoundError

StepKind = Literal["preprocess", "train", "evaluate", "gate", "register", "deploy", "notify"]
STEP_ORDER: tuple[StepKind, ...] = (
    "preprocess",
    "train",
    "evaluate",
    "gate",
    "register",
    "deploy",
    "notify",
)
# Steps that run user code (data loading, the training entry point) in a separate process.
COMPUTE_STEPS: tuple[StepKind, ...] = ("preprocess", "train", "evaluate")
# Each step needs the output of the step named here.
STEP_NEEDS: dict[str, str] = {
    "train": "preprocess",
    "evaluate": "train",
    "gate": "evaluate",
    "register": "train",
    "deploy": "register",
}
Orchestrator = Literal["local", "ray"]
ORCHESTRATORS: tuple[str, ...] = ("local", "ray")
SKLEARN_LOADERS: tuple[str, ...] = ("digits", "iris", "wine", "breast_cancer")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class DatasetSpec(BaseModel):
    """The data a pipeline trains on: a registered dataset version or a scikit-learn loader."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Registered dataset name, or sklearn:<loader>.")
    version: int | None = Field(default=None, ge=1, description="Dataset version; None: latest.")
    target: str = Field(default="target", description="Label column of a tabular dataset.")
    drop: list[str] = Field(default_factory=list, description="Columns that are not features.")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # "sklearn:digits", "fraud-transactions" and "fraud-transactions@2" are all accepted.
        if not isinstance(value, str):
            return value
        name, _, version = value.partition("@")
        return {"name": name.strip(), "version": int(version) if version else None}

    @field_validator("name")
    @classmethod
    def _check_loader(cls, name: str) -> str:
        loader = sklearn_loader(name)
        if loader is not None and loader not in SKLEARN_LOADERS:
            raise ValueError(
                f"unknown scikit-learn loader {name!r}; use one of "
                + ", ".join(f"sklearn:{n}" for n in SKLEARN_LOADERS)
            )
        return name

    @property
    def loader(self) -> str | None:
        return sklearn_loader(self.name)

    def label(self) -> str:
        """Return the label used in messages: ``fraud-transactions v2`` or ``sklearn:iris``."""
        if self.loader is not None or self.version is None:
            return self.name
        return f"{self.name} v{self.version}"


def sklearn_loader(name: str) -> str | None:
    """Return ``digits`` for ``sklearn:digits``, None for a registered dataset name."""
    prefix, separator, loader = name.partition(":")
    return loader.strip() if separator and prefix.strip() == "sklearn" else None


class PipelineDefinition(BaseModel):
    """One pipeline: what it trains, on which data, with which gate, and who owns it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Pipeline name, e.g. fraud-retrain.")
    model: str = Field(description="Registered model the pipeline produces versions of.")
    owner: str = Field(description="User the pipeline acts as and alerts go to.")
    description: str | None = None
    task: str | None = Field(default=None, description="Model task, e.g. image-classification.")
    dataset: DatasetSpec
    entry_point: str = Field(description="module:function or a script path.")
    params: dict[str, Any] = Field(default_factory=dict, description="Training parameters.")
    steps: list[StepKind] = Field(
        default_factory=lambda: list(STEP_ORDER),
        description="Steps in order; default: all of them, without gate when there is no gate.",
    )
    gate: str | None = Field(default=None, description="Condition for register and deploy.")
    alias: str = Field(default="production", description="Alias the deploy step moves.")
    orchestrator: Orchestrator = "local"
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    random_state: int = 0
    step_timeout_s: float = Field(default=900.0, gt=0.0, description="Seconds per step.")
    threads: int = Field(
        default=1,
        ge=1,
        description=(
            "BLAS and OpenMP threads per compute step. One keeps a busy machine responsive; "
            "raise it for large models on an otherwise idle machine."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _default_steps(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" not in data and not data.get("gate"):
            return {**data, "steps": [step for step in STEP_ORDER if step != "gate"]}
        return data

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                f"invalid pipeline name {name!r}; use letters, digits, '-', '_' or '.'"
            )
        return name

    @field_validator("entry_point")
    @classmethod
    def _check_entry_point(cls, entry_point: str) -> str:
        if is_script(entry_point):
            return entry_point
        module, separator, function = entry_point.partition(":")
        if not separator or not module or not function.isidentifier():
            raise ValueError(
                f"invalid entry point {entry_point!r}; write module:function "
                "or a script path such as scripts/train.py"
            )
        return entry_point

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, steps: list[StepKind]) -> list[StepKind]:
        if not steps:
            raise ValueError("a pipeline needs at least one step")
        if len(set(steps)) != len(steps):
            raise ValueError(f"steps {steps} list a step twice")
        positions = [STEP_ORDER.index(step) for step in steps]
        if positions != sorted(positions):
            raise ValueError(f"steps {steps} are out of order; keep the order {list(STEP_ORDER)}")
        for step in steps:
            needed = STEP_NEEDS.get(step)
            if needed is not None and needed not in steps:
                raise ValueError(f"step {step!r} needs step {needed!r} before it")
        return steps

    @field_validator("gate")
    @classmethod
    def _check_gate(cls, gate: str | None) -> str | None:
        if gate is None or not gate.strip():
            return None
        from tools.pipelines.gate import parse_gate

        parse_gate(gate)
        return gate.strip()

    @model_validator(mode="after")
    def _gate_needs_step(self) -> PipelineDefinition:
        if "gate" in self.steps and self.gate is None:
            raise ValueError("the steps include 'gate' but no gate expression is given")
        return self

    def effective_params(self, overrides: dict[str, Any] | None) -> dict[str, Any]:
        """Return the definition's params with the trigger's overrides applied."""
        return {**self.params, **(overrides or {})}


def is_script(entry_point: str) -> bool:
    """Return whether the entry point names a script file rather than ``module:function``."""
    path = entry_point.rsplit(":", 1)[0] if entry_point.count(":") == 1 else entry_point
    return path.endswith(".py") or "/" in path


def parse_definition(data: Any, source: str) -> PipelineDefinition:
    """Validate a parsed YAML mapping; the error names ``source`` and each invalid field."""
    if not isinstance(data, dict):
        raise InvalidInputError(f"{source} must contain a mapping of pipeline settings")
    try:
        return PipelineDefinition.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'pipeline'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidInputError(f"invalid pipeline file {source}: {problems}") from exc


def load_definition(path: Path) -> PipelineDefinition:
    """Read and validate one pipeline YAML file."""
    if not path.is_file():
        raise NotFoundError(f"no pipeline file at {path}; check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"invalid YAML in {path}: {exc}; fix the file") from exc
    return parse_definition(data, str(path))
