"""Data sources of pipelines: a scikit-learn loader or a registered dataset version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from tools.errors import NotFoundError
from tools.pipelines.definition import DatasetSpec
from tools.resolve import resolve_dataset_name
from tools.settings import Settings
from tools.store.schema import DatasetVersion


@dataclass(frozen=True)
class DataSource:
    """The location of a pipeline's data, as resolved by the runner from the dataset registry."""

    kind: Literal["sklearn", "file"]
    name: str
    label: str
    path: str | None = None
    format: str | None = None
    target: str = "target"
    drop: tuple[str, ...] = ()


def resolve_source(
    session: Session, settings: Settings, spec: DatasetSpec
) -> tuple[DataSource, str | None]:
    """Return where the data comes from and, for a registered dataset, its version id."""
    if spec.loader is not None:
        return DataSource("sklearn", spec.loader, spec.name), None
    name = resolve_dataset_name(session, spec.name)
    query = select(DatasetVersion).where(DatasetVersion.dataset_name == name)
    if spec.version is not None:
        query = query.where(DatasetVersion.version == spec.version)
    row = session.exec(query.order_by(col(DatasetVersion.version).desc())).first()
    if row is None:
        wanted = f"version {spec.version}" if spec.version else "any version"
        raise NotFoundError(f"dataset {name!r} has no {wanted}; register one first")
    if not row.path:
        raise NotFoundError(f"dataset {name} v{row.version} has no file path; register it again")
    path = Path(row.path)
    if not path.is_absolute():
        path = settings.home / path
    source = DataSource(
        kind="file",
        name=name,
        label=f"{name} v{row.version}",
        path=str(path),
        format=row.format,
        target=spec.target,
        drop=tuple(spec.drop),
    )
    return source, row.id
