"""The assistant keeps the workspace's names between requests and rereads them after a change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from assistant.service import Assistant
from tests.factories import add_experiment, add_model_version
from tools.settings import get_settings
from tools.store.db import open_store
from tools.store.schema import Experiment

PROJECT_ROOT = Path(__file__).resolve().parents[1]

ADD_MODEL_ELSEWHERE = """
from tests.factories import add_model_version
from tools.store.db import open_store
store = open_store()
add_model_version(store, "churn-model", 1, None, task="churn")
store.release()
"""


def _assistant() -> Assistant:
    settings = get_settings()
    store = open_store(settings)
    add_experiment(store, "fraud-xgb", task="fraud-detection")
    add_model_version(store, "fraud-detector", 1, None, task="fraud-detection")
    return Assistant(settings, store)


def test_lexicon_reused_while_unchanged() -> None:
    assistant = _assistant()
    first = assistant.lexicon()
    assert first is assistant.lexicon()
    assert "fraud-detector" in first.models


def test_lexicon_sees_new_version() -> None:
    assistant = _assistant()
    assert assistant.lexicon().latest_versions["fraud-detector"] == 1
    add_model_version(assistant.store, "fraud-detector", 2, None, task="fraud-detection")
    assert assistant.lexicon().latest_versions["fraud-detector"] == 2


def test_lexicon_sees_changed_task() -> None:
    assistant = _assistant()
    assert assistant.lexicon().experiment_tasks["fraud-xgb"] == "fraud-detection"
    with assistant.store.session() as session:
        experiment = session.exec(select(Experiment).where(Experiment.name == "fraud-xgb")).one()
        experiment.task = "anomaly-detection"
        session.add(experiment)
    assert assistant.lexicon().experiment_tasks["fraud-xgb"] == "anomaly-detection"


def test_lexicon_sees_other_process_model() -> None:
    assistant = _assistant()
    assert "churn-model" not in assistant.lexicon().models
    assistant.store.release()
    subprocess.run(
        [sys.executable, "-c", ADD_MODEL_ELSEWHERE], cwd=PROJECT_ROOT, check=True, timeout=120
    )
    assert "churn-model" in assistant.lexicon().models
