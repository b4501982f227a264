"""Model versions: register from a run, archive, list and describe."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from tools.clock import now
from tools.errors import InvalidInputError
from tools.registry_service.dependencies import dependencies_from_environment
from tools.registry_service.deployments import current_deployments
from tools.registry_service.fingerprint import fingerprint
from tools.registry_service.lineage import (
    dataset_refs,
    model_card_source,
    run_lineage,
    run_metrics,
)
from tools.registry_service.lookup import aliases_by_version, require_model, require_version
from tools.registry_service.policy import RegistryPolicy
from tools.registry_service.views import ModelVersionDetail, VersionSummary
from tools.resolve import match_name, resolve_run, suggest
from tools.store.schema import Deployment, Experiment, ModelVersion, RegisteredModel, Run

# How much of the training script a version description carries; the full length is reported.
SCRIPT_PREVIEW_CHARS = 2000
_FAILED_RUN_STATUSES = ("FAILED", "KILLED")


def summarise_version(version: ModelVersion, aliases: list[str]) -> VersionSummary:
    return VersionSummary(
        model=version.model_name,
        version=version.version,
        status=version.status,
        run_id=version.run_id,
        description=version.description,
        created_at=version.created_at,
        created_by=version.created_by,
        aliases=aliases,
        metrics=version.metrics or {},
    )


def list_versions(session: Session, model: str, status: str | None = None) -> list[VersionSummary]:
    """Return the versions of ``model``, newest first, optionally of one status."""
    query = select(ModelVersion).where(ModelVersion.model_name == model)
    if status is not None:
        query = query.where(ModelVersion.status == status.upper())
    aliases = aliases_by_version(session, model)
    rows = session.exec(query.order_by(col(ModelVersion.version).desc())).all()
    return [summarise_version(row, aliases.get(row.version, [])) for row in rows]


def describe_version(session: Session, version: ModelVersion) -> ModelVersionDetail:
    """Return everything known about one version, including lineage and deployment."""
    script = version.training_script or ""
    card_source = model_card_source(session, version)
    summary = summarise_version(
        version, aliases_by_version(session, version.model_name).get(version.version, [])
    )
    deployments = [
        d
        for d in current_deployments(session, model=version.model_name)
        if d.version == version.version
    ]
    return ModelVersionDetail(
        **summary.model_dump(),
        stage=version.stage,
        flavor=version.flavor,
        source_uri=version.source_uri,
        structure=version.structure,
        dependencies=version.dependencies or {},
        signature=version.signature,
        tags=version.tags or {},
        training_script=script[:SCRIPT_PREVIEW_CHARS] or None,
        training_script_length=len(script),
        training_script_truncated=len(script) > SCRIPT_PREVIEW_CHARS,
        model_card_present=card_source is not None,
        model_card_source=card_source,
        run=run_lineage(session, version.run_id),
        datasets=dataset_refs(session, version.run_id),
        deployments=deployments,
    )


@dataclass(frozen=True)
class Registration:
    """A planned new model version, and the registered model to create if it is new."""

    model: str
    version: int
    run_id: str
    run_name: str | None
    create_model: bool
    task: str | None
    similar_models: list[str] = field(default_factory=list)
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        run = f"run {self.run_name or self.run_id[:8]} ({self.run_id[:8]})"
        text = f"register {self.model} v{self.version} from {run}"
        if self.create_model:
            text += f"; creates registered model {self.model!r}"
        if self.similar_models:
            text += f" (existing models with similar names: {', '.join(self.similar_models)})"
        return text

    @property
    def fingerprint(self) -> str:
        return fingerprint("register", self.model, self.version, self.run_id, self.state)


def plan_registration(session: Session, run_reference: str, model: str) -> Registration:
    """Check the run and pick the next version number of ``model``."""
    run = resolve_run(session, run_reference)
    if run.status in _FAILED_RUN_STATUSES:
        raise InvalidInputError(
            f"run {run.name or run.id} ended {run.status}; register a run that finished"
        )
    names = list(session.exec(select(RegisteredModel.name)).all())
    existing = match_name(model, names)
    name = existing or _new_model_name(model)
    latest = session.exec(
        select(func.max(ModelVersion.version)).where(ModelVersion.model_name == name)
    ).one()
    experiment = session.get(Experiment, run.experiment_id)
    task = run.task or (experiment.task if experiment else None)
    return Registration(
        model=name,
        version=int(latest or 0) + 1,
        run_id=run.id,
        run_name=run.name,
        create_model=existing is None,
        task=task,
        similar_models=suggest(model, names) if existing is None else [],
        state=[existing, latest, run.status],
    )


def _new_model_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 128 or any(ch in name for ch in "\n\r\t/"):
        raise InvalidInputError(
            f"invalid registered model name {text!r}; use up to 128 characters without '/'"
        )
    return name


def apply_registration(
    session: Session, plan: Registration, actor: str, description: str | None
) -> ModelVersion:
    """Create the model version (and the registered model if new) with the run's metadata."""
    run = session.get(Run, plan.run_id)
    assert run is not None  # plan_registration found it in this transaction
    created_at = now()
    if plan.create_model:
        session.add(
            RegisteredModel(
                name=plan.model,
                task=plan.task,
                owner=actor,
                created_at=created_at,
                updated_at=created_at,
            )
        )
    else:
        model = require_model(session, plan.model)
        model.updated_at = created_at
        session.add(model)
    version = ModelVersion(
        model_name=plan.model,
        version=plan.version,
        run_id=run.id,
        description=description,
        source_uri=run.artifact_uri,
        metrics=run_metrics(session, run.id),
        dependencies=dependencies_from_environment(run.environment),
        created_by=actor,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(version)
    return version


@dataclass(frozen=True)
class Archival:
    model: str
    version: int
    kept_aliases: list[str]
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"archive {self.model} v{self.version} (READY → ARCHIVED)"
        if self.kept_aliases:
            text += f"; it keeps alias {', '.join(self.kept_aliases)}"
        return text

    @property
    def fingerprint(self) -> str:
        return fingerprint("archive", self.model, self.version, self.state)


def plan_archive(session: Session, policy: RegistryPolicy, model: str, version: int) -> Archival:
    """Check that the version may be archived: not already, no protected alias, not serving."""
    name = require_model(session, model).name
    row = require_version(session, name, version)
    if row.status == "ARCHIVED":
        raise InvalidInputError(f"{name} v{version} is already archived")
    aliases = aliases_by_version(session, name).get(version, [])
    protected = [alias for alias in aliases if policy.is_protected(alias)]
    if protected:
        raise InvalidInputError(
            f"protected alias {protected[0]!r} points at {name} v{version}; "
            f"move {protected[0]} to another version first"
        )
    serving = session.exec(
        select(Deployment.environment).where(
            Deployment.model_name == name,
            Deployment.version == version,
            Deployment.status == "active",
        )
    ).first()
    if serving is not None:
        raise InvalidInputError(
            f"{name} v{version} is deployed in {serving}; deploy another version there first"
        )
    return Archival(name, version, aliases, [row.id, row.status, row.updated_at, aliases])


def apply_archive(session: Session, plan: Archival) -> ModelVersion:
    row = require_version(session, plan.model, plan.version)
    row.status = "ARCHIVED"
    row.updated_at = now()
    session.add(row)
    return row
