"""The orchestrator adapter: the compute steps as Ray tasks.

Each compute step becomes one Ray task (``max_retries=0``, one CPU) and the data and model
pass between tasks through Ray's object store, so the steps may run on different machines.
The runner stays the driver: it records step runs and runs gate, register, deploy and notify
itself, so only the driver needs the store.

With ``RAY_ADDRESS`` set the driver joins that cluster (``ray start --head`` on one machine,
``ray start --address=HEAD:6379`` on the others); the pipeline code is unchanged. The nodes
must import this project and read the workspace (datasets, artifacts) at the same path, e.g.
from shared storage. Without ``RAY_ADDRESS`` a local cluster starts inside the runner
process and stops with it. That local cluster is kept on the loopback interface with usage
statistics off. Its HOME is a folder in the workspace that contains a cluster config file,
because Ray 2.60 otherwise queries cloud metadata addresses to report the cloud provider.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from tools.pipelines.compute import ComputeJob, StepReport, run_step
from tools.pipelines.events import StepEvent
from tools.settings import Settings

log = logging.getLogger(__name__)

# The file Ray's usage-statistics module reads instead of probing cloud metadata services.
_BOOTSTRAP_CONFIG = "ray_bootstrap_config.yaml"


def local_ray_environment(settings: Settings) -> dict[str, str]:
    """Return the environment a local Ray cluster needs to stay on this machine and offline.

    Empty when ``RAY_ADDRESS`` names an existing cluster, which brings its own setup.
    """
    if os.environ.get("RAY_ADDRESS"):
        return {}
    home = (settings.home / "ray").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / _BOOTSTRAP_CONFIG
    if not config.is_file():
        config.write_text("provider:\n  type: local\n", encoding="utf-8")
    return {
        "HOME": str(home),
        "RAY_USAGE_STATS_ENABLED": "0",
        # Ray's single-machine mode: every address it uses is 127.0.0.1.
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    }


def _step_task(job: ComputeJob, step: str, position: int, *inputs: Any) -> tuple[StepReport, Any]:
    # Ray resolves object references only when they are direct arguments, so the evaluate
    # step gets the data and the model as two arguments and puts them back together here.
    payload: Any = None
    if len(inputs) == 1:
        payload = inputs[0]
    elif inputs:
        payload = tuple(inputs)
    return run_step(job, step, position, payload)


class RayBackend:
    """Runs compute steps as Ray tasks on a local or remote Ray cluster."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def warm_up(self) -> None:
        """Nothing to start early: ``ray.init`` runs when the first step is submitted."""

    def run(
        self, job: ComputeJob, steps: Sequence[tuple[int, str]], timeout_s: float
    ) -> Iterator[StepEvent]:
        os.environ.update(local_ray_environment(self.settings))
        import ray

        started_here = self._connect(ray)
        try:
            yield from self._submit(ray, job, steps, timeout_s)
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        if ray.is_initialized():
            return False
        started = time.monotonic()
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
        log.info("connected to Ray (%s) in %.1f s", address or "local", time.monotonic() - started)
        return True

    def _submit(
        self, ray: Any, job: ComputeJob, steps: Sequence[tuple[int, str]], timeout_s: float
    ) -> Iterator[StepEvent]:
        task = ray.remote(num_cpus=1, max_retries=0, num_returns=2)(_step_task)
        # On a cluster the step log is written on the worker's own disk.
        remote_job = _without_log_dir(job)
        results: dict[str, Any] = {}
        for position, step in steps:
            inputs = {
                "preprocess": [],
                "train": [results.get("preprocess")],
                "evaluate": [results.get("preprocess"), results.get("train")],
            }[step]
            yield StepEvent("started", step)
            report_ref, result_ref = task.remote(remote_job, step, position, *inputs)
            report = self._wait(ray, report_ref, step, timeout_s)
            results[step] = result_ref
            yield StepEvent("finished", step, pid=report.pid, report=report)
            if not report.ok:
                return

    def _wait(self, ray: Any, ref: Any, step: str, timeout_s: float) -> StepReport:
        from ray.exceptions import GetTimeoutError, RayError

        try:
            report: StepReport = ray.get(ref, timeout=timeout_s)
            return report
        except GetTimeoutError:
            ray.cancel(ref, force=True)
            error = f"timed out after {timeout_s:g} s; the Ray task was cancelled"
        except RayError as exc:
            error = f"the Ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return StepReport(step=step, ok=False, error=error, pid=0, ended=time.time())


def _without_log_dir(job: ComputeJob) -> ComputeJob:
    from dataclasses import replace

    return replace(job, log_dir=None, runner_pid=None)
