"""Executing one pipeline run: compute steps in a backend, release steps here, records.

The runner is the only process that writes the run's records. Compute steps (preprocess,
train, evaluate) run in a step process or as Ray tasks and report back; gate, register,
deploy and notify run here. After the first failed step the remaining steps are skipped, the
run is marked failed and an alert is raised (``gate_failed`` for the gate, else
``pipeline_failed``), which also sends the notification.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from tools.errors import ModelPilotError, NotFoundError, ToolError
from tools.governance import Governor
from tools.pipelines.alerts import AlertKind, raise_pipeline_alert
from tools.pipelines.clock import RunClock
from tools.pipelines.compute import ComputeJob, StepReport, TrainResult
from tools.pipelines.definition import COMPUTE_STEPS, PipelineDefinition
from tools.pipelines.events import ComputeBackend, StepEvent
from tools.pipelines.gate import GateResult
from tools.pipelines.records import RunRecorder, steps_of
from tools.pipelines.release import (
    StepFailed,
    StepLog,
    deploy,
    describe_version,
    register,
    run_gate,
    send_summary,
)
from tools.pipelines.sources import resolve_source
from tools.pipelines.tracking import (
    TrainingRunInfo,
    fail_training_run,
    finish_training_run,
    log_evaluation,
    start_training_run,
)
from tools.pipelines.training import CodeSnapshot, resolve_script, snapshot_code, split_entry_point
from tools.pipelines.workspace import definition_of, script_base, work_dir
from tools.settings import Settings
from tools.store.db import Store
from tools.store.schema import Pipeline, PipelineRun, new_id

log = logging.getLogger(__name__)


@dataclass
class RunState:
    """Everything the runner has learned about the run so far."""

    run: PipelineRun
    definition: PipelineDefinition
    pipeline_row: Pipeline
    training_run_id: str = field(default_factory=new_id)
    dataset_version_id: str | None = None
    snapshot: CodeSnapshot | None = None
    train: TrainResult | None = None
    train_started: Any = None
    metrics: dict[str, float] | None = None
    gate: GateResult | None = None
    version: int | None = None
    deployed: dict[str, Any] | None = None
    failed_step: str | None = None
    error: str | None = None
    alert_kind: AlertKind = "pipeline_failed"

    def fail(self, step: str | None, error: str) -> None:
        self.failed_step = step
        self.error = error


def backend_for(orchestrator: str, settings: Settings) -> ComputeBackend:
    if orchestrator == "ray":
        from tools.pipelines.ray_backend import RayBackend

        return RayBackend(settings)
    from tools.pipelines.local import LocalBackend

    return LocalBackend()


class PipelineRunner:
    """Runs one queued pipeline run to its end and records everything on the way."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        pipeline_run_id: str,
        backend: ComputeBackend | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.pipeline_run_id = pipeline_run_id
        self.backend = backend
        self.clock = RunClock()
        self.recorder = RunRecorder(store, pipeline_run_id)
        self.governor = Governor(store, settings)

    def execute(self) -> str:
        """Run every step; return the final status (succeeded or failed)."""
        state = self._load()
        self.recorder.update_run(
            status="running", runner_pid=os.getpid(), started_at=self.clock.now()
        )
        log.info("pipeline %s run %s started", state.definition.name, self.pipeline_run_id[:8])
        try:
            self._run_steps(state)
        except Exception as exc:  # the runner's own failure must still end the run
            log.exception("pipeline run %s: runner error", self.pipeline_run_id)
            state.fail(state.failed_step, f"runner error: {type(exc).__name__}: {exc}")
        return self._finish(state)

    def _load(self) -> RunState:
        with self.store.session() as session:
            run = session.get(PipelineRun, self.pipeline_run_id)
            if run is None:
                raise NotFoundError(f"no pipeline run {self.pipeline_run_id!r}")
            if run.status != "queued":
                raise ToolError(
                    f"pipeline run {run.id[:8]} is {run.status}, not queued; trigger a new run"
                )
            row = session.exec(select(Pipeline).where(Pipeline.name == run.pipeline_name)).one()
            return RunState(run=run, definition=definition_of(row), pipeline_row=row)

    # --- steps ------------------------------------------------------------------------------

    def _run_steps(self, state: RunState) -> None:
        positions = list(enumerate(state.definition.steps, start=1))
        compute = [(p, kind) for p, kind in positions if kind in COMPUTE_STEPS]
        if compute:
            backend = self.backend or backend_for(state.run.orchestrator, self.settings)
            backend.warm_up()
            job = self._prepare(state, compute[0][1])
            if job is None:
                return
            for event in backend.run(job, compute, state.definition.step_timeout_s):
                self._on_event(state, event)
            if state.error is None and not self._all_succeeded(compute):
                state.fail(None, "the compute backend stopped before every step had finished")
        for _, kind in positions:
            if state.error is not None:
                return
            if kind not in COMPUTE_STEPS:
                self._release_step(state, kind)

    def _all_succeeded(self, compute: Sequence[tuple[int, str]]) -> bool:
        with self.store.session() as session:
            done = {s.kind: s.status for s in steps_of(session, self.pipeline_run_id)}
        return all(done.get(kind) == "succeeded" for _, kind in compute)

    def _prepare(self, state: RunState, first_step: str) -> ComputeJob | None:
        """Resolve the dataset and snapshot the code; a problem fails the step that needs it."""
        definition = state.definition
        try:
            with self.store.session() as session:
                source, dataset_version_id = resolve_source(
                    session, self.settings, definition.dataset
                )
        except ModelPilotError as exc:
            self._fail_before_start(state, first_step, str(exc))
            return None
        state.dataset_version_id = dataset_version_id
        self.recorder.update_run(dataset_version_id=dataset_version_id)
        entry_point = resolve_script(
            definition.entry_point, script_base(state.pipeline_row, self.settings)
        )
        if "train" in definition.steps:
            try:
                state.snapshot = snapshot_code(entry_point)
            except ModelPilotError as exc:
                self._fail_before_start(state, "train", str(exc))
                return None
            self.recorder.update_step("train", outputs=self._save_snapshot(state.snapshot))
        folder = work_dir(self.settings, self.pipeline_run_id)
        return ComputeJob(
            pipeline_run_id=self.pipeline_run_id,
            pipeline=definition.name,
            source=source,
            entry_point=entry_point,
            params=dict(state.run.params or {}),
            test_size=definition.test_size,
            random_state=definition.random_state,
            training_run_id=state.training_run_id,
            model_dir=str(self._artifact_dir(state)),
            threads=definition.threads,
            log_dir=str(folder / "logs"),
            runner_pid=os.getpid(),
            environ=self.clock.environ(),
        )

    def _fail_before_start(self, state: RunState, step: str, error: str) -> None:
        when = self.clock.now()
        self.recorder.update_step(
            step, status="failed", error=error, started_at=when, ended_at=when
        )
        state.fail(step, error)

    def _save_snapshot(self, snapshot: CodeSnapshot) -> dict[str, Any]:
        folder = work_dir(self.settings, self.pipeline_run_id) / "code"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / Path(snapshot.path).name).write_text(snapshot.text, encoding="utf-8")
        return {
            "entry_point": snapshot.entry_point,
            "code_path": snapshot.path,
            "code_sha256": snapshot.sha256,
        }

    def _artifact_dir(self, state: RunState) -> Path:
        return (
            self.settings.artifacts_dir / state.definition.name / state.training_run_id
        ).resolve()

    # --- compute step events ----------------------------------------------------------------

    def _on_event(self, state: RunState, event: StepEvent) -> None:
        when = self.clock.now()
        if event.kind == "started":
            self.recorder.update_step(event.step, status="running", pid=event.pid, started_at=when)
            if event.step == "train":
                self._start_training_run(state, when)
            return
        report = event.report
        assert report is not None
        self.recorder.update_step(
            event.step,
            status="succeeded" if report.ok else "failed",
            pid=report.pid or event.pid,
            ended_at=when,
            log=report.log,
            error=report.error,
            outputs=report.outputs,
        )
        if event.step == "train":
            self._end_training_run(state, report, when)
        elif event.step == "evaluate" and report.ok and report.metrics is not None:
            state.metrics = report.metrics
            with self.store.session() as session:
                log_evaluation(session, state.training_run_id, report.metrics, when)
        if not report.ok:
            state.fail(event.step, report.error or "the step failed")

    def _start_training_run(self, state: RunState, when: Any) -> None:
        assert state.snapshot is not None
        definition = state.definition
        target, function = split_entry_point(definition.entry_point)
        label = function if function != "train" else Path(target).stem
        info = TrainingRunInfo(
            run_id=state.training_run_id,
            name=f"{label}-{self.pipeline_run_id[:6]}",
            user=state.run.triggered_by or definition.owner,
            entry_point=definition.entry_point,
            artifact_dir=self._artifact_dir(state),
            params=dict(state.run.params or {}),
            snapshot=state.snapshot,
            pipeline_run_id=self.pipeline_run_id,
            dataset_version_id=state.dataset_version_id,
        )
        with self.store.session() as session:
            start_training_run(session, definition, info, when)
            run = session.get(PipelineRun, self.pipeline_run_id)
            assert run is not None
            run.run_id = state.training_run_id
            session.add(run)
        state.train_started = when

    def _end_training_run(self, state: RunState, report: StepReport, when: Any) -> None:
        with self.store.session() as session:
            if not report.ok or report.train is None:
                fail_training_run(session, state.training_run_id, when)
                return
            finish_training_run(
                session, state.training_run_id, report.train, state.train_started or when, when
            )
        state.train = report.train
        assert state.snapshot is not None
        code_dir = self._artifact_dir(state) / "code"
        code_dir.mkdir(parents=True, exist_ok=True)
        source = work_dir(self.settings, self.pipeline_run_id) / "code"
        for path in source.glob("*"):
            shutil.copyfile(path, code_dir / path.name)

    # --- release steps ----------------------------------------------------------------------

    def _release_step(self, state: RunState, kind: str) -> None:
        out = StepLog()
        self.recorder.update_step(
            kind, status="running", pid=os.getpid(), started_at=self.clock.now()
        )
        outputs: dict[str, Any] = {}
        error: str | None = None
        try:
            with self.clock.pinned():
                outputs = self._release_work(state, kind, out)
        except (StepFailed, ModelPilotError) as exc:
            error = str(exc)
            out.write(f"error: {error}")
        self.recorder.update_step(
            kind,
            status="failed" if error else "succeeded",
            ended_at=self.clock.now(),
            log=out.text(),
            error=error,
            outputs=outputs,
        )
        if error is not None:
            if kind == "gate":
                state.alert_kind = "gate_failed"
            state.fail(kind, error)

    def _release_work(self, state: RunState, kind: str, out: StepLog) -> dict[str, Any]:
        definition = state.definition
        if kind == "gate":
            return self._gate(state, out)
        if kind == "register":
            if state.train is None:
                raise StepFailed("there is no trained model to register")
            state.version = register(
                self.governor, definition, state.training_run_id, self.pipeline_run_id, out
            )
            self._describe_version(state)
            return {"model": definition.model, "version": state.version}
        if kind == "deploy":
            assert state.version is not None
            state.deployed = deploy(
                self.governor,
                self.store,
                definition,
                state.version,
                self.pipeline_run_id,
                self._deploy_reason(state),
                out,
            )
            return {k: state.deployed.get(k) for k in ("alias", "from_version", "to_version")}
        sent_to = send_summary(self.settings, self._summary(state), out)
        return {"sent_to": sent_to}

    def _gate(self, state: RunState, out: StepLog) -> dict[str, Any]:
        if state.metrics is None:
            raise StepFailed("there are no evaluation metrics to decide the gate on")
        result, production_version = run_gate(self.store, state.definition, state.metrics, out)
        state.gate = result
        outputs = {
            "passed": result.passed,
            "production_version": production_version,
            "clauses": [
                {"clause": c.text, "passed": c.passed, "detail": c.detail} for c in result.clauses
            ],
        }
        if not result.passed:
            self.recorder.update_step("gate", outputs=outputs)
            raise StepFailed(f"gate {result.expression!r} failed: {result.reason()}")
        return outputs

    def _describe_version(self, state: RunState) -> None:
        assert state.snapshot is not None
        assert state.train is not None
        assert state.version is not None
        structure = {
            "estimator": state.train.model_class,
            "params": state.train.estimator_params,
        }
        with self.store.session() as session:
            describe_version(
                session,
                state.definition,
                state.version,
                state.snapshot,
                structure,
                self.pipeline_run_id,
            )

    def _deploy_reason(self, state: RunState) -> str:
        reason = f"pipeline {state.definition.name} run {self.pipeline_run_id[:8]}"
        if state.gate is not None:
            return f"{reason}: gate passed ({state.gate.reason()})"
        return f"{reason}: no gate"

    def _summary(self, state: RunState) -> str:
        definition = state.definition
        text = f"Pipeline {definition.name} run {self.pipeline_run_id[:8]} succeeded"
        if state.metrics:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in list(state.metrics.items())[:3])
            text += f" ({shown})"
        if state.deployed:
            text += f": {definition.model} v{state.version} is now {definition.alias}"
        elif state.version is not None:
            text += f": registered {definition.model} v{state.version}"
        return text + "."

    # --- end ---------------------------------------------------------------------------------

    def _finish(self, state: RunState) -> str:
        status = "failed" if state.error is not None else "succeeded"
        self.recorder.finish(status, state.error, self.clock.now())
        definition = state.definition
        if status == "succeeded":
            log.info("pipeline %s run %s succeeded", definition.name, self.pipeline_run_id[:8])
            return status
        log.info(
            "pipeline %s run %s failed at %s: %s",
            definition.name,
            self.pipeline_run_id[:8],
            state.failed_step,
            state.error,
        )
        with self.clock.pinned():
            raise_pipeline_alert(
                self.store,
                self.settings,
                kind=state.alert_kind,
                pipeline=definition.name,
                pipeline_run_id=self.pipeline_run_id,
                model=definition.model,
                owner=definition.owner,
                step=state.failed_step,
                error=state.error or "failed",
            )
        return status
