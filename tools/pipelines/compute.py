"""The steps that run user code: preprocess, train and evaluate.

Each is a plain function of a picklable ``ComputeJob`` and the previous step's payload, so
the same code runs in the local step process and as a Ray task. None of them touches the
store: each returns a ``StepReport`` that the runner records. Output written to stdout and
stderr (including by C extensions) is captured per step at the file-descriptor level.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from tools.pipelines.data import DataSource, PreparedData, prepare
from tools.pipelines.evaluation import classification_metrics
from tools.pipelines.training import (
    MetricRecord,
    TrainingContext,
    environment,
    estimator_params,
    fit,
)

# A step log keeps its first and last characters; the middle of a long log is cut.
LOG_HEAD_CHARS = 2_000
LOG_TAIL_CHARS = 8_000


@dataclass(frozen=True)
class ComputeJob:
    """Everything the compute steps of one pipeline run need, resolved by the runner."""

    pipeline_run_id: str
    pipeline: str
    source: DataSource
    entry_point: str
    params: dict[str, Any]
    test_size: float
    random_state: int
    training_run_id: str
    model_dir: str
    threads: int = 1
    log_dir: str | None = None
    runner_pid: int | None = None
    environ: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainResult:
    model_path: str
    model_class: str
    estimator_params: dict[str, str]
    history: list[MetricRecord]
    environment: dict[str, Any]
    fit_seconds: float


@dataclass
class StepReport:
    """The result one step returns to the runner: a JSON summary, its log and typed details."""

    step: str
    ok: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    started: float = 0.0  # wall-clock seconds since the epoch
    ended: float = 0.0
    train: TrainResult | None = None
    metrics: dict[str, float] | None = None


def truncate_log(text: str) -> str:
    """Keep the head and tail of a long log, saying how much of the middle was cut."""
    if len(text) <= LOG_HEAD_CHARS + LOG_TAIL_CHARS:
        return text
    cut = len(text) - LOG_HEAD_CHARS - LOG_TAIL_CHARS
    return f"{text[:LOG_HEAD_CHARS]}\n… [{cut} characters cut] …\n{text[-LOG_TAIL_CHARS:]}"


def log_path(log_dir: str | None, position: int, step: str) -> Path:
    folder = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="modelpilot-step-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{position:02d}-{step}.log"


@contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr file descriptors to ``path`` for the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab", buffering=0) as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def read_log(path: Path) -> str:
    if not path.is_file():
        return ""
    return truncate_log(path.read_bytes().decode("utf-8", errors="replace"))


def run_step(job: ComputeJob, step: str, position: int, payload: Any) -> tuple[StepReport, Any]:
    """Run one compute step with its output captured.

    An exception or ``sys.exit`` inside the step becomes a failed report instead of
    propagating; only a crash of the process itself ends the step without one.
    """
    os.environ.update(job.environ)
    path = log_path(job.log_dir, position, step)
    report = StepReport(step=step, ok=False, started=time.time())
    result: Any = None
    with captured_output(path), threadpool_limits(limits=job.threads):
        try:
            result = _STEPS[step](job, payload, report)
            report.ok = True
        except (Exception, SystemExit) as exc:  # the step's own failure is data for the runner
            traceback.print_exc()
            report.error = f"{type(exc).__name__}: {exc}"
    report.ended = time.time()
    report.log = read_log(path)
    if job.log_dir is None:
        shutil.rmtree(path.parent, ignore_errors=True)
    return report, result


def _preprocess(job: ComputeJob, payload: Any, report: StepReport) -> PreparedData:
    data = prepare(job.source, job.test_size, job.random_state)
    report.outputs = dict(data.summary)
    return data


def _train(job: ComputeJob, data: PreparedData, report: StepReport) -> Any:
    import joblib

    ctx = TrainingContext(
        X_train=data.X_train,
        y_train=data.y_train,
        X_valid=data.X_test,
        y_valid=data.y_test,
        feature_names=data.feature_names,
        class_names=data.class_names,
        params=dict(job.params),
        random_state=job.random_state,
    )
    print(f"training {job.entry_point} with params {job.params}")
    started = time.monotonic()
    model = fit(job.entry_point, ctx)
    seconds = time.monotonic() - started
    model_dir = Path(job.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    model_path = model_dir / "model.joblib"
    joblib.dump(model, model_path)
    print(f"trained {type(model).__name__} in {seconds:.2f} s; saved {model_path}")
    report.train = TrainResult(
        model_path=str(model_path),
        model_class=f"{type(model).__module__}.{type(model).__name__}",
        estimator_params=estimator_params(model),
        history=list(ctx.history),
        environment=environment(model),
        fit_seconds=seconds,
    )
    report.outputs = {
        "training_run_id": job.training_run_id,
        "model_path": str(model_path),
        "model_class": type(model).__name__,
        "fit_seconds": round(seconds, 3),
        "history_points": len(ctx.history),
    }
    return model


def _evaluate(job: ComputeJob, payload: tuple[PreparedData, Any], report: StepReport) -> None:
    data, model = payload
    metrics = classification_metrics(model, data.X_test, data.y_test)
    print("test metrics: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    report.metrics = metrics
    report.outputs = {"metrics": metrics, "test_rows": int(len(data.y_test))}


_STEPS: dict[str, Any] = {"preprocess": _preprocess, "train": _train, "evaluate": _evaluate}
