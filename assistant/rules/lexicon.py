"""The names that exist in the workspace, as the planner sees them through one tool."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


def _loose(name: str) -> str:
    """Lower-case a name and read '-', '_' and '.' as spaces."""
    return re.sub(r"[\s_\-.]+", " ", name.casefold()).strip()


@dataclass
class Lexicon:
    models: dict[str, str | None] = field(default_factory=dict)  # name -> task
    model_aliases: dict[str, dict[str, int]] = field(default_factory=dict)
    latest_versions: dict[str, int | None] = field(default_factory=dict)
    experiments: list[str] = field(default_factory=list)
    experiment_tasks: dict[str, str] = field(default_factory=dict)
    datasets: list[str] = field(default_factory=list)
    pipelines: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)

    @classmethod
    def from_overview(cls, overview: dict[str, Any]) -> Lexicon:
        models = overview.get("models", [])
        return cls(
            models={m["name"]: m.get("task") for m in models},
            model_aliases={m["name"]: m.get("aliases", {}) for m in models},
            latest_versions={m["name"]: m.get("latest_version") for m in models},
            experiments=list(overview.get("experiments", [])),
            experiment_tasks=dict(overview.get("experiment_tasks", {})),
            datasets=list(overview.get("datasets", [])),
            pipelines=list(overview.get("pipelines", [])),
            metrics=list(overview.get("metrics", [])),
            tasks=list(overview.get("tasks", [])),
        )

    def models_for_task(self, task: str) -> list[str]:
        return sorted(name for name, model_task in self.models.items() if model_task == task)

    def pipelines_for_model(self, model: str) -> list[str]:
        loose_model = _loose(model)
        return [p for p in self.pipelines if _loose(p).startswith(loose_model.split(" ")[0])]


def find_names(text: str, names: list[str]) -> list[str]:
    """Return the names mentioned in ``text``, longest first, without overlapping mentions."""
    loose_text = f" {_loose(text)} "
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for name in sorted(names, key=len, reverse=True):
        needle = f" {_loose(name)} " if name.isascii() else _loose(name)
        if not needle.strip():
            continue
        start = loose_text.find(needle)
        if start < 0 and name.isascii():
            # CJK text has no spaces around Latin names: "把fraud-detector回滚".
            start = loose_text.find(_loose(name))
            if start >= 0 and not _cjk_bounded(loose_text, start, len(_loose(name))):
                start = -1
            needle = _loose(name)
        if start < 0:
            continue
        span = (start, start + len(needle))
        if any(span[0] < end and start_taken < span[1] for start_taken, end in taken):
            continue
        taken.append(span)
        found.append(name)
    return found


def _cjk_bounded(text: str, start: int, length: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[start + length] if start + length < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
