"""Messages a compute backend sends to the runner, and the interface of every backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from tools.pipelines.compute import ComputeJob, StepReport


@dataclass(frozen=True)
class StepEvent:
    """A compute step started (with the pid running it) or finished (with its report)."""

    kind: Literal["started", "finished"]
    step: str
    pid: int | None = None
    report: StepReport | None = None


class ComputeBackend(Protocol):
    """Runs the compute steps of one pipeline run and reports their progress in order.

    ``steps`` are (position, step) pairs. The backend yields "started" then "finished" for
    each step and stops after the first failed one.
    """

    name: str

    def warm_up(self) -> None:
        """Start what the backend needs, so it overlaps with the runner's own preparation."""

    def run(
        self, job: ComputeJob, steps: Sequence[tuple[int, str]], timeout_s: float
    ) -> Iterator[StepEvent]: ...
