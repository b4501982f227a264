"""Comparing two versions of a dataset from their stored profiles: schema and distributions.

The comparison needs no access to the files. For a numeric column, the PSI uses the older
version's decile bins. The newer version's share of each bin is exact when it stored value
counts (columns with at most 20 distinct values). Otherwise it is estimated from the stored
percentiles by linear interpolation, which can be off by a few points of share per bin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.datasets.quality import schema_change_findings
from tools.monitoring.drift import (
    bin_counts_of_values,
    estimated_bin_shares,
    l_infinity,
    psi,
)
from tools.store.schema import DatasetVersion

# A column counts as changed past any of these; PSI 0.2 is the usual "significant shift" band.
CHANGED_PSI = 0.2
CHANGED_MEAN_SHIFT_SD = 0.5
CHANGED_MISSING_RATE = 0.05
CHANGED_L_INFINITY = 0.1


@dataclass
class ColumnComparison:
    column: str
    kind: str
    missing_rate_from: float
    missing_rate_to: float
    distinct_from: int
    distinct_to: int
    mean_from: float | None = None
    mean_to: float | None = None
    mean_shift_sd: float | None = None
    std_from: float | None = None
    std_to: float | None = None
    psi: float | None = None
    psi_estimated: bool = False
    l_infinity: float | None = None
    new_categories: list[str] = field(default_factory=list)
    changed: bool = False


@dataclass
class VersionComparison:
    dataset: str
    from_version: int
    to_version: int
    rows_from: int
    rows_to: int
    schema_changes: list[dict[str, Any]]
    columns: list[ColumnComparison]

    @property
    def changed_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.changed]


def compare_versions(old: DatasetVersion, new: DatasetVersion) -> VersionComparison:
    changes = schema_change_findings(old.version, old.columns or [], new.columns or [])
    old_columns = (old.profile or {}).get("columns", {})
    new_columns = (new.profile or {}).get("columns", {})
    compared = [
        compare_column(name, old_columns[name], new_columns[name])
        for name in [c["name"] for c in new.columns or []]
        if name in old_columns and name in new_columns
    ]
    return VersionComparison(
        dataset=new.dataset_name,
        from_version=old.version,
        to_version=new.version,
        rows_from=old.row_count or 0,
        rows_to=new.row_count or 0,
        schema_changes=[
            {"column": f.column, "change": f.value, "message": f.message} for f in changes
        ],
        columns=compared,
    )


def compare_column(name: str, old: dict[str, Any], new: dict[str, Any]) -> ColumnComparison:
    result = ColumnComparison(
        column=name,
        kind=str(new.get("kind")),
        missing_rate_from=float(old.get("missing_rate", 0.0)),
        missing_rate_to=float(new.get("missing_rate", 0.0)),
        distinct_from=int(old.get("distinct", 0)),
        distinct_to=int(new.get("distinct", 0)),
    )
    if old.get("kind") == "numeric" and new.get("kind") == "numeric":
        _compare_numeric(result, old, new)
    elif "top_values" in old and "top_values" in new:
        _compare_categories(result, old, new)

    missing_change = abs(result.missing_rate_to - result.missing_rate_from)
    result.changed = (
        missing_change >= CHANGED_MISSING_RATE
        or (result.psi is not None and result.psi >= CHANGED_PSI)
        or (result.mean_shift_sd is not None and abs(result.mean_shift_sd) >= CHANGED_MEAN_SHIFT_SD)
        or (result.l_infinity is not None and result.l_infinity >= CHANGED_L_INFINITY)
    )
    return result


def _compare_numeric(result: ColumnComparison, old: dict[str, Any], new: dict[str, Any]) -> None:
    result.mean_from, result.mean_to = old.get("mean"), new.get("mean")
    result.std_from, result.std_to = old.get("std"), new.get("std")
    if result.mean_from is not None and result.mean_to is not None and result.std_from:
        result.mean_shift_sd = (result.mean_to - result.mean_from) / result.std_from
    histogram = old.get("histogram")
    if not histogram:
        return
    edges, reference = histogram["edges"], histogram["counts"]
    exact = _exact_values(new)
    if exact is not None:
        result.psi = psi(reference, bin_counts_of_values(exact, edges))
    elif len(new.get("percentiles") or []) == 21 and None not in new["percentiles"]:
        result.psi = psi(reference, estimated_bin_shares(new["percentiles"], edges))
        result.psi_estimated = True


def _exact_values(profile: dict[str, Any]) -> dict[float, int] | None:
    """Return every value with its count when the profile stored all of them."""
    if "top_values" not in profile or profile.get("other_count", 1) != 0:
        return None
    return {float(t["value"]): int(t["count"]) for t in profile["top_values"]}


def _compare_categories(result: ColumnComparison, old: dict[str, Any], new: dict[str, Any]) -> None:
    old_counts = {t["value"]: t["count"] for t in old["top_values"]}
    new_counts = {t["value"]: t["count"] for t in new["top_values"]}
    categories = sorted(old_counts.keys() | new_counts.keys())
    reference = [old_counts.get(c, 0) for c in categories] + [old.get("other_count", 0)]
    current = [new_counts.get(c, 0) for c in categories] + [new.get("other_count", 0)]
    result.l_infinity = l_infinity(reference, current)
    result.new_categories = [c for c in categories if c not in old_counts][:10]
