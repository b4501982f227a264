"""Running the compute steps of one pipeline run in one child process on this machine.

The child is forked from a ``forkserver`` that has scikit-learn loaded. Importing numpy,
pandas and scikit-learn took about 2.6 s on the 2-core development machine (measured while
it was busy), so a fresh interpreter per step would cost that three times per run. A fork of
the preloaded server started in about 30 ms, and only the first run in a process pays for
starting the server. Forking the runner itself would be as fast, but the runner may be a
long-lived process with threads (OpenMP, BLAS, the store), which a plain fork does not copy
safely.

The child runs preprocess, train and evaluate in order and sends a message when each one
starts and ends, so every step still gets its own step run and log. If the child dies
(``os._exit``, a crash, SIGKILL) the step it was in fails with how the process ended; if a
step overruns its timeout the child is killed.
"""

from __future__ import annotations

import importlib.machinery
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from tools.pipelines.compute import ComputeJob, StepReport, log_path, read_log, run_step
from tools.pipelines.events import StepEvent
from tools.pipelines.processes import describe_exit, pid_alive

log = logging.getLogger(__name__)

# Modules the fork server imports once, so that step processes start with them loaded.
PRELOAD = [
    "numpy",
    "pandas",
    "joblib",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.svm",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.preprocessing",
    "tools.pipelines.compute",
    "tools.pipelines.trainers",
]
POLL_SECONDS = 0.2
# How often a step process checks that its runner is still alive.
WATCHDOG_SECONDS = 1.0
# An exit status for a step process whose runner went away.
ORPHAN_EXIT_CODE = 70
_MAIN_LOCK = threading.Lock()


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


class LocalBackend:
    """Runs compute steps in a child of the preloaded fork server."""

    name = "local"

    def warm_up(self) -> None:
        """Start the fork server now, so its imports overlap with the runner's own work."""
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()

    def run(
        self, job: ComputeJob, steps: Sequence[tuple[int, str]], timeout_s: float
    ) -> Iterator[StepEvent]:
        receiver, sender = multiprocessing.Pipe(duplex=False)
        process = _context().Process(
            target=_child_main, args=(job, list(steps), sender), name=f"step-{job.pipeline}"
        )
        with _main_module_not_reimported():
            process.start()
        sender.close()
        try:
            yield from self._follow(job, process, receiver, steps, timeout_s)
        finally:
            receiver.close()
            self._stop(process)

    def _follow(
        self,
        job: ComputeJob,
        process: Any,
        receiver: Connection,
        steps: Sequence[tuple[int, str]],
        timeout_s: float,
    ) -> Iterator[StepEvent]:
        current: tuple[int, str] | None = None
        deadline = time.monotonic() + timeout_s
        pending = list(steps)
        while pending or current is not None:
            message = _receive(receiver, process)
            if message is not None:
                kind, payload = message
                if kind == "started":
                    current = pending.pop(0)
                    deadline = time.monotonic() + timeout_s
                    yield StepEvent("started", current[1], pid=int(payload))
                    continue
                report: StepReport = payload
                current = None
                yield StepEvent("finished", report.step, pid=report.pid, report=report)
                if not report.ok:
                    return
                continue
            if not process.is_alive():
                yield self._ended(job, current or pending[0], process.exitcode, started=current)
                return
            if time.monotonic() > deadline and current is not None:
                process.kill()
                process.join(5)
                error = f"timed out after {timeout_s:g} s; the step process was killed"
                yield _failure(job, current, error, process.pid)
                return

    def _ended(
        self,
        job: ComputeJob,
        step: tuple[int, str],
        exitcode: int | None,
        started: tuple[int, str] | None,
    ) -> StepEvent:
        ending = describe_exit(exitcode)
        if started is None:
            error = f"the step process ended with {ending} before the step started"
        else:
            error = f"the step process ended with {ending} while the step was running"
        return _failure(job, step, error, None)

    def _stop(self, process: Any) -> None:
        process.join(10)
        if process.is_alive():
            log.warning("step process %s did not exit; killing it", process.pid)
            process.kill()
            process.join(5)


@contextmanager
def _main_module_not_reimported() -> Iterator[None]:
    """Keep a started child from importing this program's ``__main__`` module again.

    multiprocessing's forkserver and spawn children import the parent's main script before
    unpickling their target (CPython 3.11, ``multiprocessing.spawn.prepare``), unless its
    module spec is named ``__main__``. The step process needs nothing from it: its target
    lives in this module. Re-importing it would cost seconds for a console script such as
    ``modelpilot``, which imports the whole CLI, and would run a script without a
    ``__name__`` guard a second time.
    """
    main = sys.modules["__main__"]
    with _MAIN_LOCK:
        saved = getattr(main, "__spec__", None)
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
        try:
            yield
        finally:
            main.__spec__ = saved


def _receive(receiver: Connection, process: Any) -> tuple[str, Any] | None:
    try:
        if receiver.poll(POLL_SECONDS):
            message: tuple[str, Any] = receiver.recv()
            return message
    except (EOFError, OSError):
        # The child closed its end by exiting; wait for the exit status to be known.
        process.join(5)
    return None


def _failure(job: ComputeJob, step: tuple[int, str], error: str, pid: int | None) -> StepEvent:
    position, name = step
    report = StepReport(step=name, ok=False, error=error, pid=pid or 0, ended=time.time())
    report.log = read_log(log_path(job.log_dir, position, name))
    return StepEvent("finished", name, pid=pid, report=report)


def _child_main(job: ComputeJob, steps: list[tuple[int, str]], sender: Connection) -> None:
    """Run the steps in order in the child, reporting each start and end to the runner."""
    _watch_runner(job.runner_pid)
    data: Any = None
    model: Any = None
    for position, step in steps:
        sender.send(("started", os.getpid()))
        payload = {"preprocess": None, "train": data, "evaluate": (data, model)}[step]
        report, result = run_step(job, step, position, payload)
        sender.send(("finished", report))
        if not report.ok:
            break
        if step == "preprocess":
            data = result
        elif step == "train":
            model = result
    sender.close()


def _watch_runner(runner_pid: int | None) -> None:
    """Exit this step process when the runner that waits for it is gone."""
    if runner_pid is None:
        return

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_SECONDS)
            if not pid_alive(runner_pid):
                os._exit(ORPHAN_EXIT_CODE)

    threading.Thread(target=watch, name="runner-watchdog", daemon=True).start()
