"""Quality findings: one problem found in a dataset version, in a form that is stored as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Finding:
    """One quality finding: which check fired, on which column, how bad, and the measured value."""

    check: str
    severity: Severity
    message: str
    column: str | None = None
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            check=str(data["check"]),
            severity=data.get("severity", "info"),
            message=str(data.get("message", "")),
            column=data.get("column"),
            value=data.get("value"),
        )


def plural(count: int, noun: str) -> str:
    """Return "1 row" or "3 rows"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
