"""The runner's clock: real time, or a pinned start that advances with real elapsed time.

The demo replays pipeline runs at dates in the past by setting ``MODELPILOT_NOW`` for each
run. A pinned instant alone would give every step the same start and end, so the runner
adds the real elapsed time to it, and re-pins ``MODELPILOT_NOW`` around the governance calls
it makes so that their audit entries and alias events carry the same advancing time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from tools import clock

_NOW_VARIABLE = "MODELPILOT_NOW"


class RunClock:
    def __init__(self) -> None:
        self.pinned_start = clock.now() if os.environ.get(_NOW_VARIABLE, "").strip() else None
        self._started = time.monotonic()

    def now(self) -> datetime:
        if self.pinned_start is None:
            return clock.now()
        return self.pinned_start + timedelta(seconds=time.monotonic() - self._started)

    def environ(self) -> dict[str, str]:
        """Return the variables a step process needs to see this clock's time."""
        if self.pinned_start is None:
            return {}
        return {_NOW_VARIABLE: self.now().isoformat()}

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Pin ``MODELPILOT_NOW`` to this clock's current time for the block, if it is pinned."""
        if self.pinned_start is None:
            yield
            return
        previous = os.environ.get(_NOW_VARIABLE)
        os.environ[_NOW_VARIABLE] = self.now().isoformat()
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(_NOW_VARIABLE, None)
            else:
                os.environ[_NOW_VARIABLE] = previous
