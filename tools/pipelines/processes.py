"""Checking on the processes that run pipelines."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def pid_alive(pid: int | None) -> bool:
    """Return whether a process with this id exists and is not a zombie.

    NOTE: a pid can be reused by an unrelated process after the original one ended; this
    check cannot tell them apart, so such a run waits for its step timeout instead.
    """
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        text = stat.read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may contain spaces.
    return text.rpartition(")")[2].split()[0:1] == ["Z"]


def describe_exit(exitcode: int | None) -> str:
    """Return how a process ended: ``exit code 3`` or ``signal 9 (SIGKILL)``."""
    if exitcode is None:
        return "an unknown exit status"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"signal {-exitcode} ({name})"
    return f"exit code {exitcode}"
