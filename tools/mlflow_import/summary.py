"""The outcome of one import: counts per entity and every skipped item with its reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.clock import now

log = logging.getLogger(__name__)

# Entities in the order a summary lists them.
ENTITIES = (
    "experiments",
    "runs",
    "params",
    "tags",
    "metric_points",
    "latest_metrics",
    "logged_models",
    "registered_models",
    "model_versions",
    "aliases",
    "notes",
)
# Entities whose rows a reader finds; the others are rows written on their behalf.
TOP_LEVEL = ("experiments", "runs", "logged_models", "registered_models", "model_versions")
# An import record keeps at most this many skips so its JSON stays small; the count is exact.
MAX_STORED_SKIPS = 2000


@dataclass
class EntityCounts:
    """Rows new to the store, rows changed, rows already up to date, and items skipped."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    @property
    def read(self) -> int:
        return self.imported + self.updated + self.unchanged


@dataclass(frozen=True)
class Skip:
    """One item that could not be imported: what it was, where it lives and why."""

    entity: str
    path: str
    reason: str


@dataclass(frozen=True)
class ImportProgress:
    """A progress report: ``done`` of ``total`` runs (``total`` is None while unknown)."""

    stage: str  # "runs" or "registry"
    done: int
    total: int | None
    detail: str = ""


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class ImportSummary:
    source: str
    roots: list[str] = field(default_factory=list)
    counts: dict[str, EntityCounts] = field(
        default_factory=lambda: {name: EntityCounts() for name in ENTITIES}
    )
    skips: list[Skip] = field(default_factory=list)
    started_at: datetime = field(default_factory=now)
    ended_at: datetime | None = None

    def add(self, entity: str, outcome: str, count: int = 1) -> None:
        """Add ``count`` to one counter; ``outcome`` is imported, updated or unchanged."""
        counts = self.counts.setdefault(entity, EntityCounts())
        setattr(counts, outcome, getattr(counts, outcome) + count)

    def skip(self, entity: str, path: str, reason: str, count: int = 1) -> None:
        """Record ``count`` items at ``path`` that could not be imported, and log it at DEBUG."""
        self.counts.setdefault(entity, EntityCounts()).skipped += count
        self.skips.append(Skip(entity, path, reason))
        log.debug("skipped %s at %s: %s", entity, path, reason)

    @property
    def nothing_imported(self) -> bool:
        """True when no experiment, run or registry entry could be read at all."""
        return all(self.counts[name].read == 0 for name in TOP_LEVEL)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form stored in ``import_record.summary``."""
        return {
            "source": self.source,
            "roots": self.roots,
            "counts": {
                name: {
                    "imported": counts.imported,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "skipped": counts.skipped,
                }
                for name, counts in self.counts.items()
            },
            "skipped_total": len(self.skips),
            "skips": [
                {"entity": skip.entity, "path": skip.path, "reason": skip.reason}
                for skip in self.skips[:MAX_STORED_SKIPS]
            ],
        }

    def lines(self, max_skips: int = 50) -> list[str]:
        """Render the summary as plain text lines, for logs and non-terminal output."""
        lines = [f"imported from {self.source}"]
        for root in self.roots:
            lines.append(f"  store: {root}")
        for name in ENTITIES:
            counts = self.counts[name]
            lines.append(
                f"{name}: {counts.imported} imported, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.skipped} skipped"
            )
        lines.extend(skip_lines(self.skips, max_skips))
        return lines


def skip_lines(skips: list[Skip], max_skips: int) -> list[str]:
    """List up to ``max_skips`` skips, then the number of skips left out."""
    if not skips:
        return []
    lines = [f"skipped {len(skips)} item(s):"]
    for skip in skips[:max_skips]:
        lines.append(f"  {skip.entity} {skip.path}: {skip.reason}")
    if len(skips) > max_skips:
        lines.append(
            f"  ... and {len(skips) - max_skips} more; the import record in the store keeps "
            f"up to {MAX_STORED_SKIPS}"
        )
    return lines
