"""The steps after training: gate, register, deploy and notify.

They run in the runner, not in a step process: they read the store and change the registry
only through the governed tools, acting as the pipeline's owner on the ``pipeline``
channel, so the owner's role decides what the pipeline may do and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from tools.governance import Actor, Governor
from tools.notify import notify
from tools.pipelines.definition import PipelineDefinition
from tools.pipelines.gate import GateResult, parse_gate
from tools.pipelines.training import CodeSnapshot
from tools.store.db import Store
from tools.store.schema import (
    DeploymentEvent,
    LatestMetric,
    ModelAlias,
    ModelVersion,
    PipelineRun,
)

PRODUCTION_ALIAS = "production"


class StepFailed(Exception):
    """A release step could not do its work; the message is the step's error."""


@dataclass
class StepLog:
    """The lines a release step writes, stored as its log."""

    lines: list[str] = field(default_factory=list)

    def write(self, line: str) -> None:
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines)


def production_metrics(session: Session, model: str) -> tuple[int | None, dict[str, float] | None]:
    """Return the production version of ``model`` and its metrics, or (None, None)."""
    alias = session.get(ModelAlias, (model, PRODUCTION_ALIAS))
    if alias is None:
        return None, None
    version = session.exec(
        select(ModelVersion).where(
            ModelVersion.model_name == model, ModelVersion.version == alias.version
        )
    ).first()
    if version is None:
        return alias.version, None
    metrics = {k: float(v) for k, v in (version.metrics or {}).items()}
    if version.run_id:
        rows = session.exec(select(LatestMetric).where(LatestMetric.run_id == version.run_id))
        for row in rows.all():
            metrics.setdefault(row.key, float(row.value))
    return alias.version, metrics


def run_gate(
    store: Store, definition: PipelineDefinition, metrics: dict[str, float], out: StepLog
) -> tuple[GateResult, int | None]:
    """Decide the gate against the production version; return the result and that version."""
    assert definition.gate is not None
    gate = parse_gate(definition.gate)
    with store.session() as session:
        version, production = production_metrics(session, definition.model)
    if version is None:
        out.write(f"no production version of {definition.model} yet")
    else:
        out.write(f"production is {definition.model} v{version}")
    result = gate.evaluate(metrics, production)
    for clause in result.clauses:
        out.write(clause.detail)
    out.write("gate passed" if result.passed else "gate failed")
    return result, version


def governed_call(
    governor: Governor, tool: str, arguments: dict[str, Any], actor: Actor, out: StepLog
) -> dict[str, Any]:
    """Request and confirm a mutating tool call as ``actor``; raise ``StepFailed`` if refused."""
    outcome = governor.invoke(tool, arguments, actor)
    if outcome.status == "needs_confirmation" and outcome.confirmation is not None:
        out.write(f"{actor.user} requested: {outcome.confirmation.summary}")
        outcome = governor.confirm(outcome.confirmation.token, actor)
    if outcome.status != "ok" or outcome.result is None:
        raise StepFailed(outcome.error or f"{tool} returned {outcome.status}")
    out.write(f"{tool} done: {outcome.result.get('summary', 'ok')}")
    return outcome.result


def register(
    governor: Governor,
    definition: PipelineDefinition,
    training_run_id: str,
    pipeline_run_id: str,
    out: StepLog,
) -> int:
    """Register the training run's model as the next version; return its number."""
    description = f"trained by pipeline {definition.name} (run {pipeline_run_id[:8]})"
    result = governed_call(
        governor,
        "register_model_version",
        {"run_id": training_run_id, "model": definition.model, "description": description},
        Actor(definition.owner, "pipeline"),
        out,
    )
    return int(result["version"]["version"])


def describe_version(
    session: Session,
    definition: PipelineDefinition,
    version: int,
    snapshot: CodeSnapshot,
    structure: dict[str, Any],
    pipeline_run_id: str,
) -> None:
    """Add what only the pipeline knows to the new version: script, flavor, structure."""
    row = session.exec(
        select(ModelVersion).where(
            ModelVersion.model_name == definition.model, ModelVersion.version == version
        )
    ).one()
    row.training_script = row.training_script or snapshot.text
    row.flavor = row.flavor or "sklearn"
    row.structure = row.structure or structure
    row.tags = {
        **(row.tags or {}),
        "pipeline": definition.name,
        "pipeline_run_id": pipeline_run_id,
    }
    session.add(row)
    run = session.get(PipelineRun, pipeline_run_id)
    if run is not None:
        run.model_version = version
        session.add(run)


def deploy(
    governor: Governor,
    store: Store,
    definition: PipelineDefinition,
    version: int,
    pipeline_run_id: str,
    reason: str,
    out: StepLog,
) -> dict[str, Any]:
    """Move the pipeline's alias to ``version`` through the governed ``set_alias`` tool."""
    result = governed_call(
        governor,
        "set_alias",
        {
            "model": definition.model,
            "alias": definition.alias,
            "version": version,
            "reason": reason,
        },
        Actor(definition.owner, "pipeline"),
        out,
    )
    if result.get("environment"):
        _link_deployment(store, definition.model, version, pipeline_run_id)
    return result


def _link_deployment(store: Store, model: str, version: int, pipeline_run_id: str) -> None:
    """Record on the deployment event that this pipeline run caused it."""
    with store.session() as session:
        event = session.exec(
            select(DeploymentEvent)
            .where(
                DeploymentEvent.model_name == model,
                DeploymentEvent.to_version == version,
                col(DeploymentEvent.pipeline_run_id).is_(None),
            )
            .order_by(col(DeploymentEvent.seq).desc())
        ).first()
        if event is not None:
            event.pipeline_run_id = pipeline_run_id
            session.add(event)


def send_summary(settings: Any, text: str, out: StepLog) -> str | None:
    """Notify the alert channel of the run's outcome; None when no channel is configured."""
    sent_to = notify(settings, text)
    out.write(f"sent to {sent_to}: {text}" if sent_to else f"no channel configured: {text}")
    return sent_to
