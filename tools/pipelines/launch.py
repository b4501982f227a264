"""Triggering pipeline runs: create the queued run, then run it here or in the background.

A background run is a separate ``python -m tools.pipelines.worker RUN_ID`` process, so a
tool call returns the run id at once and the run survives the caller. A Ray run always goes
to such a process, because the local Ray cluster it starts changes that process's
environment (see ``tools.pipelines.ray_backend``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tools.errors import InvalidInputError, ReadOnlyError, ToolError
from tools.pipelines.definition import ORCHESTRATORS, PipelineDefinition
from tools.pipelines.reconcile import reconcile_pipeline_runs
from tools.pipelines.records import TERMINAL_STATUSES, active_runs, create_run_rows
from tools.pipelines.workspace import find_pipeline, work_dir
from tools.settings import Settings, get_settings
from tools.store.db import Store
from tools.store.schema import PipelineRun

log = logging.getLogger(__name__)

WAIT_POLL_SECONDS = 0.5


def check_orchestrator(orchestrator: str | None, definition: PipelineDefinition) -> str:
    chosen = orchestrator or definition.orchestrator
    if chosen not in ORCHESTRATORS:
        raise InvalidInputError(
            f"unknown orchestrator {chosen!r}; use one of: {', '.join(ORCHESTRATORS)}"
        )
    if chosen == "ray" and importlib.util.find_spec("ray") is None:
        raise InvalidInputError(
            "the ray orchestrator needs the ray package; install it with "
            "pip install 'modelpilot[orchestrator]' or use orchestrator local"
        )
    return chosen


def queue_run(
    session: Session,
    settings: Settings,
    name: str,
    *,
    trigger: str,
    triggered_by: str | None,
    params: dict[str, Any] | None,
    orchestrator: str | None,
) -> PipelineRun:
    """Add a queued run of pipeline ``name`` in ``session``; refuse while one is active."""
    _, definition = find_pipeline(session, settings, name)
    chosen = check_orchestrator(orchestrator, definition)
    active = active_runs(session, definition.name)
    if active:
        run = active[0]
        raise ToolError(
            f"pipeline {definition.name} already has run {run.id[:8]} {run.status}; "
            "wait for it (pipeline_run_status) before triggering another"
        )
    return create_run_rows(
        session,
        definition,
        trigger=trigger,
        triggered_by=triggered_by,
        params=definition.effective_params(params),
        orchestrator=chosen,
    )


def trigger_pipeline_run(
    store: Store,
    name: str,
    *,
    trigger: str = "manual",
    actor: str | None = None,
    params: dict[str, Any] | None = None,
    wait: bool = False,
    orchestrator: str | None = None,
    settings: Settings | None = None,
) -> str:
    """Queue a run of pipeline ``name`` and start it; return the pipeline run id.

    With ``wait`` the call returns when the run has ended. A local run then executes in this
    process (its steps still run in a separate process); otherwise a background runner
    process takes it.
    """
    settings = settings or get_settings()
    if settings.read_only:
        raise ReadOnlyError(f"cannot run pipeline {name!r}: the workspace is read-only")
    reconcile_pipeline_runs(store, settings)
    with store.session() as session:
        run = queue_run(
            session,
            settings,
            name,
            trigger=trigger,
            triggered_by=actor or trigger,
            params=params,
            orchestrator=orchestrator,
        )
    if wait and run.orchestrator == "local":
        from tools.pipelines.runner import PipelineRunner

        PipelineRunner(store, settings, run.id).execute()
        return run.id
    start_runner_process(store, settings, run.id, orchestrator=run.orchestrator)
    if wait:
        wait_for_run(store, settings, run.id)
    return run.id


def start_runner_process(
    store: Store, settings: Settings, pipeline_run_id: str, *, orchestrator: str = "local"
) -> int:
    """Start the background runner for a queued run and record its pid; return the pid."""
    environment = {**os.environ, **settings_environment(settings)}
    if orchestrator == "ray":
        from tools.pipelines.ray_backend import local_ray_environment

        environment.update(local_ray_environment(settings))
    folder = work_dir(settings, pipeline_run_id)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "runner.log", "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.pipelines.worker", pipeline_run_id],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path.cwd()),
        )
    # Reap the process when it ends, so it never lingers as a zombie in a long-lived caller.
    threading.Thread(target=process.wait, name="runner-reaper", daemon=True).start()
    with store.session() as session:
        run = session.get(PipelineRun, pipeline_run_id)
        if run is not None and run.runner_pid is None:
            run.runner_pid = process.pid
            session.add(run)
    log.info("started runner process %d for pipeline run %s", process.pid, pipeline_run_id[:8])
    return process.pid


def settings_environment(settings: Settings) -> dict[str, str]:
    """Return the variables that give a child process the same workspace and channels."""
    values = {
        "MODELPILOT_HOME": str(settings.home.resolve()),
        "MODELPILOT_STORE_URL": settings.resolved_store_url,
        "MODELPILOT_LOCK_TIMEOUT_S": str(settings.lock_timeout_s),
        "MODELPILOT_READ_ONLY": "false",
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "MODELPILOT_SLACK_ALERT_CHANNEL": settings.slack_alert_channel,
        "MODELPILOT_SLACK_API_URL": settings.slack_api_url,
    }
    return {key: value for key, value in values.items() if value is not None}


def wait_for_run(
    store: Store, settings: Settings, pipeline_run_id: str, timeout_s: float | None = None
) -> PipelineRun:
    """Poll until the run ends (closing it if its runner dies); return the final row."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        reconcile_pipeline_runs(store, settings)
        with store.session() as session:
            run = session.get(PipelineRun, pipeline_run_id)
        if run is None:
            raise ToolError(f"pipeline run {pipeline_run_id!r} disappeared from the store")
        if run.status in TERMINAL_STATUSES:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise ToolError(
                f"pipeline run {pipeline_run_id[:8]} is still {run.status} after {timeout_s:g} s; "
                "check it later with pipeline_run_status"
            )
        # Let go of the store file between polls, so the runner process can write to it.
        store.release()
        time.sleep(WAIT_POLL_SECONDS)
