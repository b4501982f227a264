"""Pipeline runs end to end on small data: training, registry, governance, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sqlmodel import col, select

from tools.clock import now
from tools.datasets import register_dataset
from tools.governance import Actor, Governor
from tools.notify import notify
from tools.pipelines.launch import trigger_pipeline_run, wait_for_run
from tools.pipelines.processes import pid_alive
from tools.pipelines.reconcile import reconcile_pipeline_runs
from tools.pipelines.records import steps_of
from tools.pipelines.workspace import register_pipeline_file
from tools.settings import Settings, get_settings
from tools.store.db import Store, open_store
from tools.store.schema import (
    Alert,
    AliasEvent,
    AuditEntry,
    DeploymentEvent,
    LatestMetric,
    MetricPoint,
    ModelAlias,
    ModelVersion,
    Pipeline,
    PipelineRun,
    Run,
    RunDataset,
    RunParam,
    StepRun,
    User,
)

USERS = {"alice": "admin", "bob": "approver", "carol": "editor", "dave": "viewer"}

GOOD_OR_WEAK = """
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression


def train(ctx):
    print("training with", ctx.params)
    if ctx.params.get("weak"):
        return DummyClassifier(strategy="most_frequent").fit(ctx.X_train, ctx.y_train)
    if ctx.params.get("max_iter", 1) < 1:
        raise ValueError(f"max_iter must be positive, got {ctx.params['max_iter']}")
    model = LogisticRegression(max_iter=ctx.params.get("max_iter", 500))
    return model.fit(ctx.X_train, ctx.y_train)
"""

CRASH = """
import os
import time


def train(ctx):
    print("about to crash:", ctx.params["crash"], flush=True)
    if ctx.params["crash"] == "exit":
        os._exit(3)
    if ctx.params["crash"] == "abort":
        os.abort()
    time.sleep(120)
"""


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def store(settings: Settings) -> Store:
    store = open_store(settings)
    with store.session() as session:
        for name, role in USERS.items():
            session.add(User(name=name, role=role))
    return store


def write_pipeline(settings: Settings, name: str, **fields: Any) -> Path:
    definition: dict[str, Any] = {
        "name": name,
        "model": "iris-classifier",
        "owner": "bob",
        "dataset": "sklearn:iris",
        "entry_point": "scripts/good_or_weak.py",
        "params": {},
        "gate": "accuracy >= 0.8 and accuracy >= production - 0.05",
    }
    definition.update(fields)
    folder = settings.home / "pipelines"
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "scripts" / "good_or_weak.py").write_text(GOOD_OR_WEAK, encoding="utf-8")
    (folder / "scripts" / "crash.py").write_text(CRASH, encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(definition), encoding="utf-8")
    return path


def load_run(store: Store, run_id: str) -> tuple[PipelineRun, dict[str, StepRun]]:
    with store.session() as session:
        run = session.get(PipelineRun, run_id)
        assert run is not None
        return run, {step.kind: step for step in steps_of(session, run_id)}


def pause(store: Store) -> None:
    """Wait between polls with the store file released, so the runner process can write."""
    store.release()
    time.sleep(0.3)


def first_run_id(store: Store, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with store.session() as session:
            found = session.exec(select(PipelineRun.id)).first()
        if found is not None:
            return found
        pause(store)
    raise AssertionError(f"no pipeline run was created in {timeout_s} s")


def wait_for_step(store: Store, run_id: str, kind: str, timeout_s: float = 180) -> StepRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        step = load_run(store, run_id)[1][kind]
        if step.status == "running" and step.pid:
            return step
        pause(store)
    raise AssertionError(f"step {kind} of run {run_id} did not start in {timeout_s} s")


class SlackStub:
    """A local Slack Web API that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                stub.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": json.loads(body) if body.startswith("{") else body,
                    }
                )
                payload = json.dumps({"ok": True, "channel": "C1", "ts": "1.0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStub]:
    stub = SlackStub()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("MODELPILOT_SLACK_API_URL", stub.url)
    monkeypatch.setenv("MODELPILOT_SLACK_ALERT_CHANNEL", "#ml-alerts")
    yield stub
    stub.close()


def test_pipeline_success_end_to_end(settings: Settings, store: Store) -> None:
    write_pipeline(
        settings,
        "iris-train",
        entry_point="tools.pipelines.trainers:gradient_boosting",
        params={"n_estimators": 8, "max_depth": 2},
    )
    run_id = trigger_pipeline_run(store, "iris-train", actor="carol", wait=True)

    run, steps = load_run(store, run_id)
    assert run.status == "succeeded", run.error
    assert run.orchestrator == "local"
    assert run.triggered_by == "carol"
    assert run.model_version == 1
    assert [s.status for s in steps.values()] == ["succeeded"] * 7
    assert steps["train"].pid not in (None, os.getpid())
    assert steps["train"].pid == steps["preprocess"].pid
    assert steps["deploy"].pid == os.getpid()
    assert "loaded sklearn:iris" in (steps["preprocess"].log or "")
    assert "trained GradientBoostingClassifier" in (steps["train"].log or "")
    assert all(s.started_at and s.ended_at and s.ended_at >= s.started_at for s in steps.values())

    with store.session() as session:
        training = session.get(Run, run.run_id)
        assert training is not None
        assert training.status == "FINISHED"
        params = {
            p.key: p.value
            for p in session.exec(select(RunParam).where(RunParam.run_id == training.id))
        }
        history = session.exec(
            select(MetricPoint)
            .where(MetricPoint.run_id == training.id, MetricPoint.key == "val_accuracy")
            .order_by(col(MetricPoint.step))
        ).all()
        latest = {
            m.key: m.value
            for m in session.exec(select(LatestMetric).where(LatestMetric.run_id == training.id))
        }
        version = session.exec(select(ModelVersion)).one()
        alias = session.get(ModelAlias, ("iris-classifier", "production"))
        alias_event = session.exec(select(AliasEvent)).one()
        deployment = session.exec(select(DeploymentEvent)).one()
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.channel == "pipeline").order_by(col(AuditEntry.id))
        ).all()

    assert training.environment is not None
    assert training.environment["python"]
    assert "scikit-learn" in training.environment["packages"]
    assert training.source_version and training.entry_point
    assert params["n_estimators"] == "8"
    assert params["model_class"].endswith("GradientBoostingClassifier")
    assert [p.step for p in history] == list(range(1, 9))
    assert latest["accuracy"] >= 0.8
    assert (Path(training.artifact_uri or "") / "model.joblib").is_file()
    assert (Path(training.artifact_uri or "") / "code" / "trainers.py").is_file()

    assert version.version == 1
    assert version.run_id == training.id
    assert "def gradient_boosting" in (version.training_script or "")
    assert alias is not None and alias.version == 1
    assert alias_event.actor == "bob"
    assert deployment.to_version == 1
    assert deployment.pipeline_run_id == run_id
    tools_and_outcomes = [(a.tool, a.outcome, a.user) for a in audit]
    assert ("register_model_version", "ok", "bob") in tools_and_outcomes
    assert ("set_alias", "needs_confirmation", "bob") in tools_and_outcomes
    assert ("set_alias", "ok", "bob") in tools_and_outcomes


def test_registered_dataset_lineage(settings: Settings, store: Store) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    frame["plan"] = rng.choice(["basic", "pro"], size=120)
    frame["customer_id"] = [f"c{i}" for i in range(120)]
    frame["churned"] = (frame["a"] + rng.normal(scale=0.3, size=120) > 0).astype(int)
    path = settings.home / "data" / "churn.csv"
    path.parent.mkdir(parents=True)
    frame.to_csv(path, index=False)
    version = register_dataset(store, path, "churn-table", actor="carol")
    write_pipeline(
        settings,
        "churn-lineage",
        dataset={"name": "churn-table", "target": "churned", "drop": ["customer_id"]},
        steps=["preprocess", "train", "evaluate"],
        gate=None,
    )

    run_id = trigger_pipeline_run(store, "churn-lineage", wait=True)

    run, steps = load_run(store, run_id)
    assert run.status == "succeeded", run.error
    assert run.dataset_version_id == version.id
    assert steps["preprocess"].outputs is not None
    assert steps["preprocess"].outputs["features"] == 5  # a, b, c and two one-hot plan columns
    with store.session() as session:
        link = session.get(RunDataset, (run.run_id, version.id))
    assert link is not None
    assert link.context == "training"


def test_failing_step_alerts_and_notifies(
    settings: Settings, store: Store, slack: SlackStub
) -> None:
    write_pipeline(settings, "iris-bad", owner="carol", params={"max_iter": -1})

    run_id = trigger_pipeline_run(store, "iris-bad", wait=True, settings=get_settings())

    run, steps = load_run(store, run_id)
    assert run.status == "failed"
    assert steps["preprocess"].status == "succeeded"
    assert steps["train"].status == "failed"
    assert steps["train"].error == "ValueError: max_iter must be positive, got -1"
    assert "Traceback" in (steps["train"].log or "")
    assert {steps[k].status for k in ("evaluate", "gate", "register", "deploy", "notify")} == {
        "skipped"
    }
    with store.session() as session:
        alert = session.exec(select(Alert)).one()
        training = session.get(Run, run.run_id)
    assert alert.kind == "pipeline_failed"
    assert alert.owner == "carol"
    assert alert.pipeline_run_id == run_id
    assert alert.notified == "slack:#ml-alerts"
    assert training is not None and training.status == "FAILED"

    assert len(slack.requests) == 1
    request = slack.requests[0]
    assert request["path"].endswith("/chat.postMessage")
    assert request["authorization"] == "Bearer xoxb-test-token"
    assert request["body"]["channel"] == "#ml-alerts"
    assert "iris-bad failed at step train" in request["body"]["text"]
    assert "max_iter must be positive" in request["body"]["text"]


def test_failing_gate_stops_before_deploy(settings: Settings, store: Store) -> None:
    write_pipeline(settings, "iris-gate")
    first = trigger_pipeline_run(store, "iris-gate", wait=True)
    assert load_run(store, first)[0].status == "succeeded"

    second = trigger_pipeline_run(store, "iris-gate", params={"weak": True}, wait=True)

    run, steps = load_run(store, second)
    assert run.status == "failed"
    assert steps["gate"].status == "failed"
    assert steps["register"].status == "skipped"
    assert steps["deploy"].status == "skipped"
    assert run.error is not None
    assert ">= 0.8: failed" in run.error
    assert ">= (production.accuracy 1 - 0.05 = 0.95): failed" in run.error
    gate_outputs = steps["gate"].outputs or {}
    assert [c["passed"] for c in gate_outputs["clauses"]] == [False, False]
    assert gate_outputs["production_version"] == 1
    with store.session() as session:
        versions = session.exec(select(ModelVersion)).all()
        alias = session.get(ModelAlias, ("iris-classifier", "production"))
        alert = session.exec(select(Alert)).one()
    assert [v.version for v in versions] == [1]
    assert alias is not None and alias.version == 1
    assert alert.kind == "gate_failed"
    assert alert.notified is None


def test_owner_role_too_low_fails_deploy(settings: Settings, store: Store) -> None:
    write_pipeline(settings, "iris-carol", owner="carol", gate=None)

    run_id = trigger_pipeline_run(store, "iris-carol", wait=True)

    run, steps = load_run(store, run_id)
    assert run.status == "failed"
    assert steps["register"].status == "succeeded"
    assert steps["deploy"].status == "failed"
    assert "approver" in (steps["deploy"].error or "")
    with store.session() as session:
        assert session.get(ModelAlias, ("iris-classifier", "production")) is None
        denied = session.exec(
            select(AuditEntry).where(AuditEntry.tool == "set_alias", AuditEntry.user == "carol")
        ).all()
    assert [entry.outcome for entry in denied] == ["denied"]


@pytest.mark.parametrize(
    ("crash", "expected"),
    [("exit", "exit code 3"), ("abort", "signal 6 (SIGABRT)")],
)
def test_crashing_step_process_fails_run(
    settings: Settings, store: Store, crash: str, expected: str
) -> None:
    write_pipeline(settings, "iris-crash", entry_point="scripts/crash.py", params={"crash": crash})

    run_id = trigger_pipeline_run(store, "iris-crash", wait=True)

    run, steps = load_run(store, run_id)
    assert run.status == "failed"
    assert expected in (steps["train"].error or "")
    assert "about to crash" in (steps["train"].log or "")
    assert steps["evaluate"].status == "skipped"


def test_killed_step_process_fails_run(settings: Settings, store: Store) -> None:
    write_pipeline(settings, "iris-sleep", entry_point="scripts/crash.py", params={"crash": "no"})
    result: dict[str, str] = {}
    runner = threading.Thread(
        target=lambda: result.update(run_id=trigger_pipeline_run(store, "iris-sleep", wait=True))
    )
    runner.start()
    run_id = first_run_id(store)

    step = wait_for_step(store, run_id, "train")
    os.kill(step.pid or 0, signal.SIGKILL)
    runner.join(60)

    assert result["run_id"] == run_id
    run, steps = load_run(store, run_id)
    assert run.status == "failed"
    assert "signal 9 (SIGKILL)" in (steps["train"].error or "")
    with store.session() as session:
        assert session.exec(select(Alert.kind)).one() == "pipeline_failed"


def test_killed_runner_is_reconciled(settings: Settings, store: Store) -> None:
    write_pipeline(settings, "iris-orphan", entry_point="scripts/crash.py", params={"crash": "no"})
    run_id = trigger_pipeline_run(store, "iris-orphan")
    step = wait_for_step(store, run_id, "train")
    runner_pid = load_run(store, run_id)[0].runner_pid
    assert runner_pid is not None and runner_pid != os.getpid()

    os.kill(runner_pid, signal.SIGKILL)
    # The signal is delivered asynchronously: wait until the kernel reports the runner gone.
    deadline = time.monotonic() + 15
    while pid_alive(runner_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(runner_pid)
    outcome = Governor(store, settings).invoke(
        "list_pipeline_runs", {"pipeline": "iris-orphan"}, Actor("dave")
    )

    assert outcome.status == "ok", outcome.error
    assert outcome.result is not None
    assert outcome.result["runs"][0]["status"] == "failed"
    run, steps = load_run(store, run_id)
    assert run.status == "failed"
    assert f"runner process (pid {runner_pid})" in (run.error or "")
    assert steps["train"].status == "failed"
    assert steps["evaluate"].status == "skipped"
    # The step process notices that its runner is gone and exits by itself.
    deadline = time.monotonic() + 15
    while pid_alive(step.pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not pid_alive(step.pid)


def test_reconcile_closes_stale_runs(settings: Settings, store: Store) -> None:
    path = write_pipeline(settings, "iris-stale", step_timeout_s=60)
    register_pipeline_file(store, settings, path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    started = now() - timedelta(hours=2)
    ids = {}
    with store.session() as session:
        for label, pid, step_start in (
            ("dead", dead.pid, now()),
            ("hung", os.getpid(), started),
            ("alive", os.getpid(), now()),
        ):
            run = PipelineRun(pipeline_name="iris-stale", status="running", runner_pid=pid)
            session.add(run)
            session.add(
                StepRun(
                    pipeline_run_id=run.id,
                    name="preprocess",
                    kind="preprocess",
                    position=1,
                    status="running",
                    started_at=step_start,
                )
            )
            session.add(StepRun(pipeline_run_id=run.id, name="train", kind="train", position=2))
            ids[label] = run.id

    closed = reconcile_pipeline_runs(store, settings)

    assert sorted(closed) == sorted([ids["dead"], ids["hung"]])
    dead_run, dead_steps = load_run(store, ids["dead"])
    hung_run, _ = load_run(store, ids["hung"])
    alive_run, _ = load_run(store, ids["alive"])
    assert dead_run.status == "failed"
    assert f"pid {dead.pid}" in (dead_run.error or "")
    assert dead_steps["preprocess"].status == "failed"
    assert dead_steps["train"].status == "skipped"
    assert "timeout" in (hung_run.error or "")
    assert alive_run.status == "running"
    with store.session() as session:
        alerts = session.exec(select(Alert.pipeline_run_id)).all()
        pipeline = session.exec(select(Pipeline)).one()
    assert sorted(alerts) == sorted(closed)
    assert pipeline.name == "iris-stale"


def test_explain_failure_reports_changes(settings: Settings, store: Store) -> None:
    write_pipeline(settings, "iris-explain", params={"max_iter": 300}, gate=None)
    good = trigger_pipeline_run(store, "iris-explain", wait=True)
    assert load_run(store, good)[0].status == "succeeded"
    script = settings.home / "pipelines" / "scripts" / "good_or_weak.py"
    script.write_text(GOOD_OR_WEAK.replace("print(", "print('v2',"), encoding="utf-8")
    bad = trigger_pipeline_run(store, "iris-explain", params={"max_iter": 0}, wait=True)

    outcome = Governor(store, settings).invoke(
        "explain_pipeline_failure", {"pipeline": "iris-explain"}, Actor("dave")
    )

    assert outcome.status == "ok", outcome.error
    result = outcome.result
    assert result is not None
    assert result["run"]["pipeline_run_id"] == bad
    assert result["failed_step"] == "train"
    assert result["error"] == "ValueError: max_iter must be positive, got 0"
    assert any("max_iter must be positive" in line for line in result["log_tail"])
    assert result["last_success"]["pipeline_run_id"] == good
    kinds = {change["kind"]: change for change in result["changes"]}
    assert kinds["params"]["detail"] == "param max_iter: 300 → 0"
    assert "code" in kinds
    assert "+    print('v2'," in result["code_diff"]
    assert "max_iter: 300 → 0" in result["summary"]


def test_trigger_tool_returns_at_once_and_runs_in_background(
    settings: Settings, store: Store
) -> None:
    write_pipeline(settings, "iris-tool")
    governor = Governor(store, settings)

    denied = governor.invoke("trigger_pipeline", {"pipeline": "iris-tool"}, Actor("dave"))
    request = governor.invoke("trigger_pipeline", {"pipeline": "iris tool"}, Actor("carol"))

    assert denied.status == "denied"
    assert request.status == "needs_confirmation"
    assert request.confirmation is not None
    assert request.confirmation.summary == (
        "run pipeline iris-tool (train iris-classifier on dataset sklearn:iris)"
    )
    confirmed = governor.confirm(request.confirmation.token, Actor("carol"))
    assert confirmed.status == "ok", confirmed.error
    assert confirmed.result is not None
    run_id = confirmed.result["pipeline_run_id"]
    assert confirmed.result["status"] == "queued"

    final = wait_for_run(store, settings, run_id, timeout_s=240)
    assert final.status == "succeeded", final.error
    assert final.runner_pid not in (None, os.getpid())
    status = governor.invoke("pipeline_run_status", {"pipeline": "iris-tool"}, Actor("dave"))
    runs = governor.invoke(
        "list_pipeline_runs", {"status": "succeeded", "period": "last 7 days"}, Actor("dave")
    )
    listed = governor.invoke("list_pipelines", {}, Actor("dave"))
    assert status.result is not None
    assert status.result["run"]["pipeline_run_id"] == run_id
    assert status.result["run"]["metrics"]["accuracy"] >= 0.8
    assert "7 of 7 steps succeeded" in status.result["summary"]
    assert runs.result is not None
    assert [r["pipeline_run_id"] for r in runs.result["runs"]] == [run_id]
    assert listed.result is not None
    assert listed.result["pipelines"][0]["last_run"]["status"] == "succeeded"


def test_notify_without_token_sends_nothing() -> None:
    assert notify(get_settings(), "hello") is None


def test_notify_posts_to_slack_stub() -> None:
    stub = SlackStub()
    try:
        settings = Settings(
            slack_bot_token="xoxb-test",
            slack_api_url=stub.url,
            slack_alert_channel="#alerts",
        )
        sent_to = notify(settings, "drift on fraud-detector", blocks=[{"type": "divider"}])
    finally:
        stub.close()

    assert sent_to == "slack:#alerts"
    assert stub.requests[0]["body"]["text"] == "drift on fraud-detector"
    assert stub.requests[0]["body"]["blocks"] == [{"type": "divider"}]


def test_notify_failure_returns_none() -> None:
    # Nothing listens on port 9 of the loopback interface, so the post fails at once.
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_api_url="http://127.0.0.1:9/api/",
        slack_alert_channel="#alerts",
    )
    assert notify(settings, "hello") is None
