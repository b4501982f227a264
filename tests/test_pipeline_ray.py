"""The same pipeline definition on the Ray orchestrator, with a real local Ray cluster.

Marked slow (a local Ray cluster takes several seconds to start); deselect with
``-m "not slow"``.
"""

from __future__ import annotations

import os

import pytest
import yaml
from sqlmodel import select

from tools.pipelines.launch import trigger_pipeline_run
from tools.pipelines.records import steps_of
from tools.settings import get_settings
from tools.store.db import open_store
from tools.store.schema import MetricPoint, ModelAlias, PipelineRun, User

pytest.importorskip("ray", reason="the orchestrator extra (ray) is not installed")

pytestmark = pytest.mark.slow


def test_pipeline_runs_on_ray() -> None:
    settings = get_settings()
    store = open_store(settings)
    with store.session() as session:
        session.add(User(name="bob", role="approver"))
    folder = settings.home / "pipelines"
    folder.mkdir(parents=True)
    definition = {
        "name": "wine-ray",
        "model": "wine-quality",
        "owner": "bob",
        "dataset": "sklearn:wine",
        "entry_point": "tools.pipelines.trainers:random_forest",
        "params": {"n_estimators": 20, "chunk": 5},
        "gate": "accuracy >= 0.8",
    }
    (folder / "wine-ray.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")

    run_id = trigger_pipeline_run(store, "wine-ray", orchestrator="ray", wait=True)

    with store.session() as session:
        run = session.get(PipelineRun, run_id)
        steps = {step.kind: step for step in steps_of(session, run_id)}
        assert run is not None
        history = session.exec(
            select(MetricPoint.step).where(
                MetricPoint.run_id == run.run_id, MetricPoint.key == "val_accuracy"
            )
        ).all()
        alias = session.get(ModelAlias, ("wine-quality", "production"))
    assert run.status == "succeeded", run.error
    assert run.orchestrator == "ray"
    assert run.runner_pid not in (None, os.getpid())
    assert [s.status for s in steps.values()] == ["succeeded"] * 7
    assert steps["train"].pid not in (None, 0, run.runner_pid)
    assert "trained RandomForestClassifier" in (steps["train"].log or "")
    assert sorted(history) == [5, 10, 15, 20]
    assert alias is not None and alias.version == 1
