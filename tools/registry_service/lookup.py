"""Finding registered models, model versions and aliases, with did-you-mean errors."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlmodel import Session, col, select

from tools.errors import InvalidInputError, NotFoundError
from tools.resolve import resolve_model_name
from tools.store.schema import ModelAlias, ModelVersion, RegisteredModel

# MLflow reserves "latest" and "v<N>" because they would read as version references.
_ALIAS_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$")


def normalise_alias(alias: str) -> str:
    """Return the alias in lower case, or raise when it is not a usable alias name."""
    name = alias.strip().casefold()
    if not _ALIAS_PATTERN.match(name):
        raise InvalidInputError(
            f"invalid alias {alias!r}; use letters, digits, '-' or '_' (at most 64 characters)"
        )
    if _RESERVED_ALIAS.match(name):
        raise InvalidInputError(
            f"alias {alias!r} is reserved because it reads as a version reference; pick another"
        )
    return name


def require_model(session: Session, name: str) -> RegisteredModel:
    """Return the registered model named (or nearly named) ``name``."""
    exact = resolve_model_name(session, name)
    model = session.exec(select(RegisteredModel).where(RegisteredModel.name == exact)).one()
    return model


def version_numbers(session: Session, model: str) -> list[int]:
    query = select(col(ModelVersion.version)).where(ModelVersion.model_name == model)
    return sorted(int(v) for v in session.exec(query).all())


def require_version(session: Session, model: str, version: int) -> ModelVersion:
    row = session.exec(
        select(ModelVersion).where(
            ModelVersion.model_name == model, ModelVersion.version == version
        )
    ).first()
    if row is None:
        known = ", ".join(f"v{v}" for v in version_numbers(session, model)) or "none"
        raise NotFoundError(f"{model} has no version {version}; its versions: {known}")
    return row


def latest_version(session: Session, model: str) -> ModelVersion | None:
    query = (
        select(ModelVersion)
        .where(ModelVersion.model_name == model)
        .order_by(col(ModelVersion.version).desc())
    )
    return session.exec(query).first()


def alias_row(session: Session, model: str, alias: str) -> ModelAlias | None:
    return session.get(ModelAlias, (model, alias))


def require_alias(session: Session, model: str, alias: str) -> ModelAlias:
    row = alias_row(session, model, alias)
    if row is None:
        known = ", ".join(sorted(aliases_of_model(session, model))) or "none"
        raise NotFoundError(f"{model} has no alias {alias!r}; its aliases: {known}")
    return row


def aliases_of_model(session: Session, model: str) -> dict[str, int]:
    rows = session.exec(select(ModelAlias).where(ModelAlias.model_name == model)).all()
    return {row.alias: row.version for row in rows}


def aliases_by_version(session: Session, model: str) -> dict[int, list[str]]:
    by_version: dict[int, list[str]] = defaultdict(list)
    for alias, version in sorted(aliases_of_model(session, model).items()):
        by_version[version].append(alias)
    return by_version


def find_version(
    session: Session, model: str, version: int | None = None, alias: str | None = None
) -> ModelVersion:
    """Return the version by number, by alias, or the latest one when neither is given."""
    if version is not None and alias is not None:
        raise InvalidInputError(
            f"give either version ({version}) or alias ({alias!r}) of {model}, not both"
        )
    if alias is not None:
        row = require_alias(session, model, normalise_alias(alias))
        return require_version(session, model, row.version)
    if version is not None:
        return require_version(session, model, version)
    latest = latest_version(session, model)
    if latest is None:
        raise NotFoundError(f"{model} has no versions yet; register one from a run first")
    return latest
