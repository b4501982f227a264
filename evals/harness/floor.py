"""The lowest accuracy CI accepts from the rules planner, per workspace (evals/floor.json).

The floor only moves up: ``modelpilot eval --planner rules --record-floor`` writes the run's
accuracy for each workspace it ran when that is higher than the recorded floor.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.harness.scoring import Summary
from tools.errors import InvalidInputError

FLOOR_FILE = Path(__file__).resolve().parent.parent / "floor.json"


def load_floor(path: Path = FLOOR_FILE) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def floor_accuracy(workspace: str, path: Path = FLOOR_FILE) -> float | None:
    """Return the recorded floor of the rules planner's accuracy on ``workspace``."""
    entry = load_floor(path).get(workspace)
    return float(entry["accuracy"]) if entry else None


def record_floor(summary: Summary, path: Path = FLOOR_FILE) -> dict[str, float]:
    """Raise the floor of each workspace in ``summary`` to its accuracy; return what changed."""
    if summary.planner != "rules":
        raise InvalidInputError(
            f"--record-floor needs --planner rules, not {summary.planner!r}: "
            "the floor applies to the rules planner only"
        )
    floor = load_floor(path)
    raised: dict[str, float] = {}
    for group in summary.workspaces:
        rate = group.overall.rate
        previous = floor.get(group.name, {}).get("accuracy")
        if rate is None or (previous is not None and rate <= previous):
            continue
        # Rounded down, so a run with exactly the recorded result stays at or above it.
        accuracy = math.floor(rate * 10_000) / 10_000
        floor[group.name] = {
            "accuracy": accuracy,
            "passed": group.overall.passed,
            "items": group.items,
            "recorded": datetime.now(UTC).strftime("%Y-%m-%d"),
        }
        raised[group.name] = accuracy
    path.write_text(json.dumps(floor, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return raised
