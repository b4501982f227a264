"""Tools over datasets: versions with profiles and quality findings, comparison, lineage, and
registration of new versions."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from annotated_types import Ge
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from tools.datasets.compare import compare_versions
from tools.datasets.findings import SEVERITY_RANK
from tools.datasets.lineage import dataset_lineage as lineage_of
from tools.datasets.readers import content_hash, resolve_source
from tools.datasets.registry import (
    latest_version,
    prepare_dataset,
    record_version,
    validate_name,
    validate_split,
    version_with_hash,
)
from tools.errors import InvalidInputError, NotFoundError, ToolError
from tools.resolve import resolve_dataset_name
from tools.store.schema import Dataset, DatasetVersion
from tools.tool_registry import ChangePlan, ToolContext, tool

SHOWN_TOP_VALUES = 5


def _version_text(value: object) -> object:
    # Users and models write "v2" as often as 2.
    if isinstance(value, str):
        return value.strip().removeprefix("v").removeprefix("V")
    return value


VersionNumber = Annotated[int, Ge(1), BeforeValidator(_version_text)]
DATASET_FIELD = Field(description="Dataset name, e.g. telco-churn.")


def find_dataset_version(session: Session, dataset: str, version: int | None) -> DatasetVersion:
    """Return the given version of the dataset, or its latest version."""
    name = resolve_dataset_name(session, dataset)
    if version is None:
        found = latest_version(session, name)
    else:
        found = session.exec(
            select(DatasetVersion).where(
                DatasetVersion.dataset_name == name, DatasetVersion.version == version
            )
        ).first()
    if found is None:
        numbers = session.exec(
            select(DatasetVersion.version).where(DatasetVersion.dataset_name == name)
        ).all()
        listed = ", ".join(f"v{n}" for n in sorted(numbers)) or "none"
        raise NotFoundError(f"dataset {name} has no version {version}; its versions: {listed}")
    return found


# --- views -----------------------------------------------------------------------------------


class FindingView(BaseModel):
    check: str
    severity: str
    column: str | None
    message: str
    value: Any = None


class DatasetSummary(BaseModel):
    name: str
    versions: int
    latest_version: int
    rows: int | None
    columns: int
    size_bytes: int | None
    format: str | None
    split: str | None
    source: str | None
    created_at: datetime
    warnings: int = Field(
        description="Warning and critical quality findings of the latest version."
    )


class ColumnView(BaseModel):
    name: str
    type: str
    kind: str
    missing_rate: float
    distinct: int
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    std: float | None = None
    top_values: list[dict[str, Any]] = Field(default_factory=list)


class DatasetVersionDetail(BaseModel):
    dataset: str
    version: int
    id: str
    content_hash: str
    path: str | None
    format: str | None
    split: str | None
    source: str | None
    tags: dict[str, str]
    rows: int | None
    duplicate_rows: int
    size_bytes: int | None
    created_at: datetime
    created_by: str | None
    columns: list[ColumnView]
    quality: list[FindingView]
    quality_summary: dict[str, int]


def _findings(version: DatasetVersion) -> list[FindingView]:
    findings = [
        FindingView(
            check=f["check"],
            severity=f["severity"],
            column=f.get("column"),
            message=f["message"],
            value=f.get("value"),
        )
        for f in version.quality or []
    ]
    return sorted(findings, key=lambda f: -SEVERITY_RANK.get(f.severity, 0))


def _column_view(name: str, sql_type: str, profile: dict[str, Any]) -> ColumnView:
    return ColumnView(
        name=name,
        type=sql_type,
        kind=str(profile.get("kind", "other")),
        missing_rate=float(profile.get("missing_rate", 0.0)),
        distinct=int(profile.get("distinct", 0)),
        min=profile.get("min"),
        max=profile.get("max"),
        mean=profile.get("mean"),
        std=profile.get("std"),
        top_values=list(profile.get("top_values", []))[:SHOWN_TOP_VALUES],
    )


def version_detail(version: DatasetVersion) -> DatasetVersionDetail:
    profile = version.profile or {}
    columns = profile.get("columns", {})
    findings = _findings(version)
    summary: dict[str, int] = {}
    for finding in findings:
        summary[finding.severity] = summary.get(finding.severity, 0) + 1
    return DatasetVersionDetail(
        dataset=version.dataset_name,
        version=version.version,
        id=version.id,
        content_hash=version.content_hash,
        path=version.path,
        format=version.format,
        split=version.split,
        source=version.source,
        tags=dict(version.tags or {}),
        rows=version.row_count,
        duplicate_rows=int(profile.get("duplicate_rows", 0)),
        size_bytes=version.size_bytes,
        created_at=version.created_at,
        created_by=version.created_by,
        columns=[
            _column_view(c["name"], c["type"], columns.get(c["name"], {}))
            for c in version.columns or []
        ],
        quality=findings,
        quality_summary=summary,
    )


# --- read-only tools -------------------------------------------------------------------------


class ListDatasetsArgs(BaseModel):
    query: str | None = Field(default=None, description="Text to look for in dataset names.")


class ListDatasetsResult(BaseModel):
    datasets: list[DatasetSummary]


@tool(category="datasets", examples=("which datasets do we have?", "list datasets"))
def list_datasets(ctx: ToolContext, args: ListDatasetsArgs) -> ListDatasetsResult:
    """List registered datasets with their number of versions and their latest version.

    Use it for "which datasets are registered", or to find a dataset's exact name before
    calling get_dataset_version, compare_dataset_versions or dataset_lineage.
    """
    with ctx.store.session() as session:
        counts = dict(
            session.exec(
                select(DatasetVersion.dataset_name, func.count()).group_by(
                    col(DatasetVersion.dataset_name)
                )
            ).all()
        )
        names = sorted(session.exec(select(Dataset.name)).all())
        summaries = []
        for name in names:
            if args.query and args.query.casefold() not in name.casefold():
                continue
            latest = latest_version(session, name)
            if latest is None:
                continue
            warnings = sum(
                1 for f in latest.quality or [] if f.get("severity") in ("warning", "critical")
            )
            summaries.append(
                DatasetSummary(
                    name=name,
                    versions=int(counts.get(name, 0)),
                    latest_version=latest.version,
                    rows=latest.row_count,
                    columns=len(latest.columns or []),
                    size_bytes=latest.size_bytes,
                    format=latest.format,
                    split=latest.split,
                    source=latest.source,
                    created_at=latest.created_at,
                    warnings=warnings,
                )
            )
    return ListDatasetsResult(datasets=summaries)


class GetDatasetVersionArgs(BaseModel):
    dataset: str = DATASET_FIELD
    version: VersionNumber | None = Field(
        default=None, description="Version number, e.g. 2; the latest version when omitted."
    )


@tool(
    category="datasets",
    examples=("show the profile of telco-churn", "any quality problems in fraud-data v2?"),
)
def get_dataset_version(ctx: ToolContext, args: GetDatasetVersionArgs) -> DatasetVersionDetail:
    """Show one dataset version: schema, row count, per-column profile and quality findings.

    Quality findings cover missing values, duplicate rows, constant columns, numbers stored as
    text or mixed with text, Excel-style numbers, unusual line endings or encodings, index
    columns, out-of-range values and schema changes against the previous version.
    """
    with ctx.store.session() as session:
        version = find_dataset_version(session, args.dataset, args.version)
        return version_detail(version)


class CompareDatasetVersionsArgs(BaseModel):
    dataset: str = DATASET_FIELD
    from_version: VersionNumber | None = Field(
        default=None, description="Older version; the one before to_version when omitted."
    )
    to_version: VersionNumber | None = Field(
        default=None, description="Newer version; the latest when omitted."
    )


class ColumnChangeView(BaseModel):
    column: str
    kind: str
    changed: bool
    missing_rate_from: float
    missing_rate_to: float
    distinct_from: int
    distinct_to: int
    mean_from: float | None
    mean_to: float | None
    mean_shift_sd: float | None = Field(description="Mean change in standard deviations of from.")
    psi: float | None
    psi_estimated: bool
    l_infinity: float | None
    new_categories: list[str]


class CompareDatasetVersionsResult(BaseModel):
    dataset: str
    from_version: int
    to_version: int
    rows_from: int
    rows_to: int
    schema_changes: list[dict[str, Any]]
    changed_columns: list[str]
    columns: list[ColumnChangeView]


@tool(
    category="datasets",
    examples=("what changed between telco-churn v1 and v2?", "compare the last two versions"),
)
def compare_dataset_versions(
    ctx: ToolContext, args: CompareDatasetVersionsArgs
) -> CompareDatasetVersionsResult:
    """Compare two versions of a dataset: schema changes and per-column distribution changes.

    For each shared column it reports the missing-rate change, the mean shift (in standard
    deviations of the older version) and PSI for numeric columns, and the largest change of a
    category's share (L-infinity) for categorical columns. PSI >= 0.2 marks a column changed.
    """
    with ctx.store.session() as session:
        new = find_dataset_version(session, args.dataset, args.to_version)
        old_number = args.from_version or new.version - 1
        if old_number < 1 or old_number == new.version:
            raise InvalidInputError(
                f"dataset {new.dataset_name} v{new.version} has no earlier version to compare "
                "with; give from_version"
            )
        old = find_dataset_version(session, new.dataset_name, old_number)
    comparison = compare_versions(old, new)
    return CompareDatasetVersionsResult(
        dataset=comparison.dataset,
        from_version=comparison.from_version,
        to_version=comparison.to_version,
        rows_from=comparison.rows_from,
        rows_to=comparison.rows_to,
        schema_changes=comparison.schema_changes,
        changed_columns=comparison.changed_columns,
        columns=[ColumnChangeView(**vars(c)) for c in comparison.columns],
    )


class DatasetLineageArgs(BaseModel):
    dataset: str = DATASET_FIELD
    version: VersionNumber | None = Field(
        default=None, description="One version; all versions when omitted."
    )


class RunUseView(BaseModel):
    run_id: str
    run_name: str | None
    experiment_id: str | None
    status: str | None
    start_time: datetime | None
    context: str
    dataset_version: int


class ModelUseView(BaseModel):
    model: str
    version: int
    run_id: str | None
    status: str
    dataset_version: int


class PipelineUseView(BaseModel):
    pipeline_run_id: str
    pipeline: str
    status: str
    dataset_version: int


class DatasetLineageResult(BaseModel):
    dataset: str
    versions: list[int]
    runs: list[RunUseView]
    model_versions: list[ModelUseView]
    pipeline_runs: list[PipelineUseView]
    models: list[str] = Field(description="Models with at least one version trained on it.")


@tool(
    category="datasets",
    examples=("which models were trained on telco-churn?", "lineage of fraud-data v2"),
)
def dataset_lineage(ctx: ToolContext, args: DatasetLineageArgs) -> DatasetLineageResult:
    """List the runs, model versions and pipeline runs that used a dataset (or one version).

    Use it for "which models were trained on this dataset?" and, before changing a dataset,
    to see what depends on it.
    """
    with ctx.store.session() as session:
        if args.version is not None:
            versions = [find_dataset_version(session, args.dataset, args.version)]
        else:
            name = resolve_dataset_name(session, args.dataset)
            versions = list(
                session.exec(select(DatasetVersion).where(DatasetVersion.dataset_name == name))
            )
        lineage = lineage_of(session, versions)
    return DatasetLineageResult(
        dataset=lineage.dataset,
        versions=lineage.versions,
        runs=[RunUseView(**vars(r)) for r in lineage.runs],
        model_versions=[
            ModelUseView(
                model=m.model_name,
                version=m.version,
                run_id=m.run_id,
                status=m.status,
                dataset_version=m.dataset_version,
            )
            for m in lineage.model_versions
        ],
        pipeline_runs=[
            PipelineUseView(
                pipeline_run_id=p.pipeline_run_id,
                pipeline=p.pipeline_name,
                status=p.status,
                dataset_version=p.dataset_version,
            )
            for p in lineage.pipeline_runs
        ],
        models=sorted({m.model_name for m in lineage.model_versions}),
    )


# --- register_dataset (mutating) -------------------------------------------------------------


class RegisterDatasetArgs(BaseModel):
    path: str = Field(
        description="A CSV, Parquet or HDF5 file, or a folder of them; FILE.h5#KEY picks one "
        "table of an HDF5 file."
    )
    name: str = Field(description="Dataset name, e.g. telco-churn.")
    split: str | None = Field(default=None, description="train, validation or test.")
    source: str | None = Field(
        default=None, description="Where the data comes from, e.g. internal or third-party."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Free key-value tags.")


class RegisterDatasetResult(BaseModel):
    summary: str
    dataset: str
    version: int
    created: bool
    rows: int | None
    columns: int
    quality: list[FindingView]


def _registration_state(ctx: ToolContext, args: RegisterDatasetArgs) -> tuple[str, str, int | None]:
    """Return (content hash, summary, existing version number if the content is known)."""
    if ctx.session is None:
        raise ToolError("register_dataset changes the store; run it through the governor")
    validate_name(args.name)
    validate_split(args.split)
    source = resolve_source(args.path)
    digest = content_hash(source)
    existing = version_with_hash(ctx.session, args.name, digest)
    if existing is not None:
        summary = (
            f"dataset {args.name} already has this content as v{existing.version}; "
            "nothing will change"
        )
        return digest, summary, existing.version
    latest = latest_version(ctx.session, args.name)
    number = (latest.version if latest else 0) + 1
    return digest, f"register dataset {args.name} v{number} from {source.spec}", None


def plan_register_dataset(ctx: ToolContext, args: RegisterDatasetArgs) -> ChangePlan:
    digest, summary, existing = _registration_state(ctx, args)
    assert ctx.session is not None
    latest = latest_version(ctx.session, args.name)
    state = f"{args.name}|{latest.id if latest else ''}|{digest}"
    return ChangePlan(
        summary=summary,
        fingerprint=hashlib.sha256(state.encode()).hexdigest(),
        details={"content_hash": digest, "existing_version": existing},
    )


@tool(category="datasets", mutating=True, role="editor", plan=plan_register_dataset)
def register_dataset(ctx: ToolContext, args: RegisterDatasetArgs) -> RegisterDatasetResult:
    """Register a CSV, Parquet or HDF5 file (or a folder of them) as a new dataset version.

    The version is identified by a hash of the content: registering content the dataset
    already has changes nothing. Reading profiles every column and runs the quality checks.
    """
    if ctx.session is None:
        raise ToolError("register_dataset changes the store; run it through the governor")
    # NOTE: the file is read and profiled inside the governance transaction, which keeps the
    # store locked meanwhile. Register large files with the Python API, which reads them first.
    prepared = prepare_dataset(resolve_source(args.path))
    registration = record_version(
        ctx.session,
        prepared,
        args.name,
        split=args.split,
        source=args.source,
        tags=args.tags,
        actor=ctx.user,
    )
    version = registration.version
    return RegisterDatasetResult(
        summary=registration.message,
        dataset=version.dataset_name,
        version=version.version,
        created=registration.created,
        rows=version.row_count,
        columns=len(version.columns or []),
        quality=_findings(version),
    )
