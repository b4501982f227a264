"""The admission checklist a model version must show before promotion."""

from __future__ import annotations

from sqlmodel import Session

from tools.registry_service.lineage import dataset_refs, model_card_source, run_lineage
from tools.registry_service.policy import RegistryPolicy
from tools.registry_service.views import ChecklistItem
from tools.store.schema import ModelVersion


def evaluate_checklist(
    session: Session, policy: RegistryPolicy, version: ModelVersion
) -> list[ChecklistItem]:
    """Return one item per check; ``required`` comes from the workspace policy."""
    results = _check_results(session, version)
    return [
        ChecklistItem(
            name=name, passed=passed, required=name in policy.required_checks, detail=detail
        )
        for name, (passed, detail) in results.items()
    ]


def failed_required(items: list[ChecklistItem]) -> list[ChecklistItem]:
    return [item for item in items if item.required and not item.passed]


def _check_results(session: Session, version: ModelVersion) -> dict[str, tuple[bool, str]]:
    card = model_card_source(session, version)
    metrics = version.metrics or {}
    run = run_lineage(session, version.run_id)
    datasets = dataset_refs(session, version.run_id)
    dependencies = version.dependencies or {}
    if run is None:
        lineage = "no source run recorded"
    elif not datasets:
        lineage = f"run {run.name or run.run_id} is recorded, but no dataset versions"
    else:
        listed = ", ".join(f"{d.dataset} v{d.version}" for d in datasets)
        lineage = f"run {run.name or run.run_id}; datasets {listed}"
    return {
        "model_card": (
            card is not None,
            f"model card in {card}" if card else "no model card; add a note of kind model_card",
        ),
        "evaluation_metrics": (
            bool(metrics),
            f"{len(metrics)} metrics" if metrics else "no evaluation metrics on the version",
        ),
        "lineage": (run is not None and bool(datasets), lineage),
        "dependencies": (
            bool(dependencies),
            f"{len(dependencies)} packages" if dependencies else "no dependencies recorded",
        ),
    }
