"""Build the demo workspace from real work: training runs, pipelines, traffic and notes."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from tools.clock import now
from tools.demo.cards import EXPERIMENT_NOTES, MODEL_CARDS
from tools.demo.mlflow_part import log_mlflow_experiments
from tools.demo.users_part import seed_users
from tools.errors import ConfigError
from tools.settings import Settings
from tools.store.db import Store, open_store
from tools.store.schema import ModelAlias, ModelVersion, Note, RegisteredModel

log = logging.getLogger(__name__)

DEMO_MARKER = "DEMO_WORKSPACE"


@dataclass
class DemoStep:
    name: str
    seconds: float
    detail: str = ""


@dataclass
class DemoReport:
    home: Path
    steps: list[DemoStep] = field(default_factory=list)
    deployed: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def prepare_workspace(home: Path) -> None:
    """Empty a previous demo workspace; refuse to touch a workspace that holds other data."""
    if home.exists() and any(home.iterdir()):
        if not (home / DEMO_MARKER).exists():
            raise ConfigError(
                f"{home} already holds a workspace that is not a demo; set MODELPILOT_HOME to an "
                "empty folder for the demo"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("built by `modelpilot demo`; rebuilt on the next run\n")


def _timed(report: DemoReport, name: str, step: Callable[[], str]) -> None:
    started = time.perf_counter()
    detail = step()
    report.steps.append(DemoStep(name, time.perf_counter() - started, detail))
    log.info("demo: %s done in %.1f s %s", name, report.steps[-1].seconds, detail)


def _import_mlflow(store: Store, settings: Settings) -> str:
    from tools.mlflow_import import import_mlflow

    tracking_dir = log_mlflow_experiments(settings.home / "mlruns", now())
    summary = import_mlflow(tracking_dir, store)
    counts = summary.counts
    return (
        f"{counts['experiments'].imported} experiments, {counts['runs'].imported} runs, "
        f"{counts['model_versions'].imported} model versions"
    )


def _attach_cards(store: Store) -> str:
    """Attach each model card to the model's production version (else its latest)."""
    attached = 0
    with store.session() as session:
        for model_name, card in MODEL_CARDS.items():
            if (
                session.exec(
                    select(RegisteredModel).where(RegisteredModel.name == model_name)
                ).first()
                is None
            ):
                continue
            alias = session.get(ModelAlias, (model_name, "production"))
            versions = session.exec(
                select(ModelVersion)
                .where(ModelVersion.model_name == model_name)
                .order_by(col(ModelVersion.version))
            ).all()
            target = next(
                (v for v in versions if alias and v.version == alias.version),
                versions[-1] if versions else None,
            )
            if target is None:
                continue
            for version in versions:
                # Every version carries the card it shipped with: the text is the same here.
                version.model_card = card
                version.updated_at = now()
                session.add(version)
            attached += 1
            note = EXPERIMENT_NOTES.get(model_name)
            if note:
                session.add(
                    Note(
                        entity_type="registered_model",
                        entity_id=model_name,
                        kind="note",
                        title=f"Team notes: {model_name}",
                        body=note,
                        author="carol",
                    )
                )
    return f"{attached} model cards"


def _sync_knowledge(store: Store, settings: Settings) -> str:
    from tools.knowledge_sync import open_index, sync_store_documents

    with open_index(settings) as index:
        changed = sync_store_documents(store, index, settings.knowledge_dir, force=True)
    return f"{changed} documents indexed"


def _seed_pipelines(store: Store, settings: Settings, report: DemoReport) -> str:
    from tools.demo.pipelines_part import seed_pipelines

    result: dict[str, Any] = seed_pipelines(store, settings, now())
    report.deployed = dict(result.get("deployed", {}))
    return f"{len(report.deployed)} models in production"


def _seed_monitoring(store: Store, report: DemoReport) -> str:
    from tools.demo.monitoring_part import seed_monitoring

    seed_monitoring(store, now(), report.deployed)
    return "inference traffic for the deployed models"


def build_demo(settings: Settings) -> DemoReport:
    """Build the demo workspace in ``settings.home``; the steps log their timings."""
    prepare_workspace(settings.home)
    store = open_store(settings)
    report = DemoReport(settings.home)
    _timed(report, "users", lambda: seed_users(store))
    _timed(report, "mlflow experiments and import", lambda: _import_mlflow(store, settings))
    _timed(report, "pipelines", lambda: _seed_pipelines(store, settings, report))
    _timed(report, "model cards and notes", lambda: _attach_cards(store))
    _timed(report, "monitoring traffic", lambda: _seed_monitoring(store, report))
    _timed(report, "knowledge index", lambda: _sync_knowledge(store, settings))
    return report
