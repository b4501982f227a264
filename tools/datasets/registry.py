"""Registering dataset versions: content hash, schema, profile and quality findings.

A version is identified by the SHA-256 of its content. Registering content that the dataset
already has returns that version and changes nothing; new content becomes version N+1.
Reading and profiling happen before the store transaction opens, so the store is locked only
for the few inserts at the end.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from tools.clock import now
from tools.datasets.findings import SEVERITY_RANK, Finding
from tools.datasets.profile import profile_table, table_schema
from tools.datasets.quality import (
    Range,
    comparison_findings,
    profile_findings,
    range_findings,
    stored_text_findings,
)
from tools.datasets.readers import (
    DATA_TABLE,
    DatasetSource,
    content_hash,
    load_source,
    resolve_source,
)
from tools.errors import InvalidInputError
from tools.store.db import Store
from tools.store.schema import Dataset, DatasetVersion

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass
class PreparedDataset:
    """Everything computed from the files, before anything is written to the store."""

    source: DatasetSource
    content_hash: str
    columns: list[dict[str, str]]
    profile: dict[str, Any]
    findings: list[Finding]


@dataclass(frozen=True)
class Registration:
    """The outcome of a registration: the version, and whether it was created just now."""

    version: DatasetVersion
    created: bool
    previous_version: int | None = None

    @property
    def message(self) -> str:
        v = self.version
        if not self.created:
            return (
                f"dataset {v.dataset_name} already has this content as v{v.version}; "
                "nothing was registered"
            )
        return f"registered dataset {v.dataset_name} v{v.version} ({v.row_count} rows)"


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise InvalidInputError(
            f"invalid dataset name {name!r}; use letters, digits, '.', '_' or '-' "
            "(at most 100 characters), for example 'telco-churn'"
        )
    return name


def validate_split(split: str | None) -> str | None:
    if split is not None and split not in SPLITS:
        raise InvalidInputError(f"invalid split {split!r}; use one of {', '.join(SPLITS)}")
    return split


def prepare_dataset(
    source: DatasetSource, expected_ranges: dict[str, Range] | None = None
) -> PreparedDataset:
    """Read, type, profile and check the files of ``source``; the store is not touched."""
    digest = content_hash(source)
    loaded = load_source(source)
    try:
        conn = loaded.connection
        schema = table_schema(conn, DATA_TABLE)
        findings = list(loaded.findings)
        if source.format != "csv":
            text_columns = [c.name for c in schema if c.kind == "categorical"]
            findings.extend(stored_text_findings(conn, DATA_TABLE, text_columns))
        profile = profile_table(conn, DATA_TABLE, schema)
        findings.extend(profile_findings(profile))
        if expected_ranges:
            numeric = {c.name for c in schema if c.kind == "numeric"}
            findings.extend(range_findings(conn, DATA_TABLE, expected_ranges, numeric))
    finally:
        loaded.close()
    return PreparedDataset(source, digest, [c.to_dict() for c in schema], profile, findings)


def latest_version(session: Session, name: str) -> DatasetVersion | None:
    statement = (
        select(DatasetVersion)
        .where(DatasetVersion.dataset_name == name)
        .order_by(col(DatasetVersion.version).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def version_with_hash(session: Session, name: str, digest: str) -> DatasetVersion | None:
    statement = select(DatasetVersion).where(
        DatasetVersion.dataset_name == name, DatasetVersion.content_hash == digest
    )
    return session.exec(statement).first()


def record_version(
    session: Session,
    prepared: PreparedDataset,
    name: str,
    *,
    split: str | None = None,
    source: str | None = None,
    tags: dict[str, str] | None = None,
    actor: str | None = None,
) -> Registration:
    """Write the prepared version in ``session``, or return the version with the same content."""
    existing = version_with_hash(session, name, prepared.content_hash)
    if existing is not None:
        return Registration(existing, created=False, previous_version=existing.version)

    previous = latest_version(session, name)
    findings = list(prepared.findings)
    if previous is not None:
        findings.extend(
            comparison_findings(
                previous.version,
                previous.columns or [],
                previous.profile or {},
                prepared.columns,
                prepared.profile,
            )
        )
    if session.exec(select(Dataset).where(Dataset.name == name)).first() is None:
        session.add(Dataset(name=name, owner=actor))

    number = (previous.version if previous else 0) + 1
    version = DatasetVersion(
        dataset_name=name,
        version=number,
        content_hash=prepared.content_hash,
        path=prepared.source.spec,
        format=prepared.source.format,
        split=split,
        source=source,
        tags=dict(tags or {}),
        columns=prepared.columns,
        row_count=int(prepared.profile["rows"]),
        size_bytes=prepared.source.size_bytes,
        profile=prepared.profile,
        quality=[f.to_dict() for f in findings],
        created_by=actor,
        created_at=now(),
    )
    session.add(version)
    session.flush()
    return Registration(
        version, created=True, previous_version=previous.version if previous else None
    )


def register(
    store: Store,
    path: str | Path,
    name: str,
    *,
    split: str | None = None,
    source: str | None = None,
    tags: dict[str, str] | None = None,
    actor: str | None = None,
    expected_ranges: dict[str, Range] | None = None,
) -> Registration:
    """Register the file or folder at ``path`` as a version of dataset ``name``."""
    validate_name(name)
    validate_split(split)
    data_source = resolve_source(path)

    # A cheap look-up first: identical content needs no reading or profiling at all.
    digest = content_hash(data_source)
    with store.session() as session:
        existing = version_with_hash(session, name, digest)
        if existing is not None:
            log.info(
                "dataset %s already has content %s as v%d", name, digest[:12], existing.version
            )
            return Registration(existing, created=False, previous_version=existing.version)

    prepared = prepare_dataset(data_source, expected_ranges)
    with store.session() as session:
        registration = record_version(
            session, prepared, name, split=split, source=source, tags=tags, actor=actor
        )
    if registration.created:
        worst = max(
            (SEVERITY_RANK[f["severity"]] for f in registration.version.quality or []), default=0
        )
        log.info(
            "%s; %d quality findings (worst: %s)",
            registration.message,
            len(registration.version.quality or []),
            ("info", "warning", "critical")[worst],
        )
    return registration


def register_dataset(
    store: Store,
    path: str | Path,
    name: str,
    split: str | None = None,
    source: str | None = None,
    tags: dict[str, str] | None = None,
    actor: str | None = None,
) -> DatasetVersion:
    """Register ``path`` as dataset ``name``; identical content returns the existing version."""
    return register(store, path, name, split=split, source=source, tags=tags, actor=actor).version
