"""Deployments: what serves in each environment now, and the history of changes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from tools.clock import now
from tools.registry_service.views import DeploymentEventView, DeploymentView
from tools.store.schema import Deployment, DeploymentEvent


def deployment_row(session: Session, model: str, environment: str) -> Deployment | None:
    query = select(Deployment).where(
        Deployment.model_name == model, Deployment.environment == environment
    )
    return session.exec(query.order_by(col(Deployment.updated_at).desc())).first()


def deployment_state(session: Session, model: str, environment: str) -> list[object]:
    """Return the deployment row's values that a planned change depends on."""
    row = deployment_row(session, model, environment)
    if row is None:
        return [None]
    return [row.id, row.version, row.status, row.updated_at]


def record_deployment(
    session: Session,
    *,
    model: str,
    environment: str,
    from_version: int | None,
    to_version: int | None,
    action: str,
    actor: str,
    note: str | None = None,
) -> None:
    """Point the environment's deployment row at ``to_version`` and log the event.

    ``to_version`` None means the model no longer serves there: an active row is kept with
    status "stopped" so the environment still shows up in listings. When nothing serves
    there, an undeploy writes nothing.
    """
    occurred_at = now()
    row = deployment_row(session, model, environment)
    if to_version is None and (row is None or row.status != "active"):
        return
    if row is None:
        row = Deployment(model_name=model, environment=environment)
    row.version = to_version
    row.status = "active" if to_version is not None else "stopped"
    row.updated_at = occurred_at
    session.add(row)
    session.add(
        DeploymentEvent(
            model_name=model,
            environment=environment,
            from_version=from_version,
            to_version=to_version,
            action=action,
            actor=actor,
            note=note,
            occurred_at=occurred_at,
        )
    )


def view_deployment(row: Deployment) -> DeploymentView:
    return DeploymentView(
        model=row.model_name,
        environment=row.environment,
        version=row.version,
        status=row.status,
        endpoint=row.endpoint,
        updated_at=row.updated_at,
    )


def current_deployments(
    session: Session, model: str | None = None, environment: str | None = None
) -> list[DeploymentView]:
    query = select(Deployment)
    if model is not None:
        query = query.where(Deployment.model_name == model)
    if environment is not None:
        query = query.where(Deployment.environment == environment)
    rows = session.exec(
        query.order_by(col(Deployment.model_name), col(Deployment.environment))
    ).all()
    return [view_deployment(row) for row in rows]


def deployment_events(
    session: Session,
    model: str | None = None,
    environment: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
) -> list[DeploymentEventView]:
    """Return deployment events, newest first, within the optional window."""
    query = select(DeploymentEvent)
    if model is not None:
        query = query.where(DeploymentEvent.model_name == model)
    if environment is not None:
        query = query.where(DeploymentEvent.environment == environment)
    if start is not None:
        query = query.where(col(DeploymentEvent.occurred_at) >= start)
    if end is not None:
        query = query.where(col(DeploymentEvent.occurred_at) < end)
    query = query.order_by(
        col(DeploymentEvent.occurred_at).desc(), col(DeploymentEvent.seq).desc()
    ).limit(limit)
    return [
        DeploymentEventView(
            model=row.model_name,
            environment=row.environment,
            from_version=row.from_version,
            to_version=row.to_version,
            action=row.action,
            actor=row.actor,
            note=row.note,
            pipeline_run_id=row.pipeline_run_id,
            occurred_at=row.occurred_at,
        )
        for row in session.exec(query).all()
    ]
