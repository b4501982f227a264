"""Why a pipeline run failed: the failed step, its error and log, and what changed.

"What changed" compares the failed run with the last successful run of the same pipeline
before it: the dataset version it read, its effective params and the code of the training
entry point (by SHA-256 of the snapshot, with a unified diff when both snapshots are kept).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tools.pipelines.queries import dataset_label, latest_run, run_view
from tools.pipelines.records import steps_of
from tools.pipelines.views import Change, FailureExplanation
from tools.pipelines.workspace import work_dir
from tools.settings import Settings
from tools.store.schema import PipelineRun, StepRun

LOG_TAIL_LINES = 12
MAX_DIFF_LINES = 60


def explain_failure(session: Session, settings: Settings, run: PipelineRun) -> FailureExplanation:
    """Describe a failed run and what differs from the last successful run before it."""
    steps = steps_of(session, run.id)
    failed = next((s for s in steps if s.status == "failed"), None)
    previous = latest_run(
        session, run.pipeline_name, statuses=("succeeded",), before=run.created_at
    )
    newer = latest_run(session, run.pipeline_name, statuses=("succeeded",), after=run.created_at)
    changes: list[Change] = []
    diff = None
    if previous is not None:
        changes = _dataset_change(session, previous, run) + _param_changes(previous, run)
        code_change, diff = _code_change(session, settings, previous, run)
        changes += code_change
    explanation = FailureExplanation(
        run=run_view(session, run),
        failed_step=failed.name if failed else None,
        error=(failed.error if failed else None) or run.error,
        log_tail=_log_tail(failed),
        last_success=run_view(session, previous) if previous else None,
        changes=changes,
        code_diff=diff,
        newer_success=run_view(session, newer) if newer else None,
        summary="",
    )
    explanation.summary = _summary(explanation)
    return explanation


def _log_tail(step: StepRun | None) -> list[str]:
    if step is None or not step.log:
        return []
    lines = [line for line in step.log.splitlines() if line.strip()]
    return lines[-LOG_TAIL_LINES:]


def _dataset_change(session: Session, before: PipelineRun, after: PipelineRun) -> list[Change]:
    if before.dataset_version_id == after.dataset_version_id:
        return []
    old = dataset_label(session, before.dataset_version_id)
    new = dataset_label(session, after.dataset_version_id)
    return [Change(kind="dataset", before=old, after=new, detail=f"dataset {old} → {new}")]


def _param_changes(before: PipelineRun, after: PipelineRun) -> list[Change]:
    old: dict[str, Any] = before.params or {}
    new: dict[str, Any] = after.params or {}
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        was = repr(old[key]) if key in old else None
        now = repr(new[key]) if key in new else None
        if was is None:
            detail = f"param {key} added: {now}"
        elif now is None:
            detail = f"param {key} removed (was {was})"
        else:
            detail = f"param {key}: {was} → {now}"
        changes.append(Change(kind="params", before=was, after=now, detail=detail))
    return changes


def _code_outputs(session: Session, run: PipelineRun) -> dict[str, Any]:
    train = next((s for s in steps_of(session, run.id) if s.kind == "train"), None)
    return (train.outputs or {}) if train else {}


def _code_change(
    session: Session, settings: Settings, before: PipelineRun, after: PipelineRun
) -> tuple[list[Change], str | None]:
    old, new = _code_outputs(session, before), _code_outputs(session, after)
    old_hash, new_hash = old.get("code_sha256"), new.get("code_sha256")
    if not old_hash or not new_hash or old_hash == new_hash:
        return [], None
    detail = f"training code changed: sha256 {old_hash[:12]} → {new_hash[:12]}"
    change = Change(kind="code", before=old_hash[:12], after=new_hash[:12], detail=detail)
    old_text = _snapshot(settings, before, old)
    new_text = _snapshot(settings, after, new)
    if old_text is None or new_text is None:
        return [change], None
    lines = list(
        difflib.unified_diff(
            old_text.splitlines(),
            new_text.splitlines(),
            fromfile=f"run {before.id[:8]}",
            tofile=f"run {after.id[:8]}",
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more diff lines"]
    return [change], "\n".join(lines)


def _snapshot(settings: Settings, run: PipelineRun, outputs: dict[str, Any]) -> str | None:
    name = Path(str(outputs.get("code_path", ""))).name
    path = work_dir(settings, run.id) / "code" / name
    return path.read_text(encoding="utf-8") if name and path.is_file() else None


def _summary(explanation: FailureExplanation) -> str:
    run = explanation.run
    text = f"{run.pipeline} run {run.pipeline_run_id[:8]} failed"
    if explanation.failed_step:
        text += f" at step {explanation.failed_step}"
    text += f": {(explanation.error or 'no error recorded').rstrip('.')}."
    previous = explanation.last_success
    if previous is None:
        text += " It has no earlier successful run to compare with."
    elif explanation.changes:
        changed = "; ".join(change.detail for change in explanation.changes)
        text += f" Since the last successful run {previous.pipeline_run_id[:8]}: {changed}."
    else:
        text += (
            f" Dataset, params and code are the same as in the last successful run "
            f"{previous.pipeline_run_id[:8]}."
        )
    if explanation.newer_success is not None:
        text += f" A later run, {explanation.newer_success.pipeline_run_id[:8]}, succeeded."
    return text
