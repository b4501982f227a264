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

from tools.pipelines.queries import RunRow, first_failed_step, run_view, successes_around
from tools.pipelines.records import steps_of_runs
from tools.pipelines.views import Change, FailureExplanation, PipelineRunView
from tools.pipelines.workspace import work_dir
from tools.settings import Settings
from tools.store.schema import Pipeline, PipelineRun, StepRun

LOG_TAIL_LINES = 12
MAX_DIFF_LINES = 60


def explain_failure(
    session: Session, settings: Settings, failed: RunRow, pipeline: Pipeline | None
) -> FailureExplanation:
    """Describe a failed run and what differs from the last successful run before it.

    ``pipeline`` is the row of the run's pipeline, or None when the store has none.
    """
    run = failed.run
    previous, newer = successes_around(session, run)
    found = [row for row in (failed, previous, newer) if row is not None]
    steps = steps_of_runs(session, [row.run.id for row in found])
    failed_step = first_failed_step(steps[run.id])
    changes: list[Change] = []
    diff = None
    if previous is not None:
        changes = _dataset_change(previous, failed) + _param_changes(previous.run, run)
        code_change, diff = _code_change(
            settings, previous.run, run, steps[previous.run.id], steps[run.id]
        )
        changes += code_change

    explanation = FailureExplanation(
        run=_view(failed, pipeline, steps),
        failed_step=failed_step.name if failed_step else None,
        error=(failed_step.error if failed_step else None) or run.error,
        log_tail=_log_tail(failed_step),
        last_success=_view(previous, pipeline, steps) if previous else None,
        changes=changes,
        code_diff=diff,
        newer_success=_view(newer, pipeline, steps) if newer else None,
        summary="",
    )
    explanation.summary = _summary(explanation)
    return explanation


def _view(
    row: RunRow, pipeline: Pipeline | None, steps: dict[str, list[StepRun]]
) -> PipelineRunView:
    failed_step = first_failed_step(steps[row.run.id])
    return run_view(row, pipeline, failed_step.name if failed_step else None)


def _log_tail(step: StepRun | None) -> list[str]:
    if step is None or not step.log:
        return []
    lines = [line for line in step.log.splitlines() if line.strip()]
    return lines[-LOG_TAIL_LINES:]


def _dataset_change(before: RunRow, after: RunRow) -> list[Change]:
    if before.run.dataset_version_id == after.run.dataset_version_id:
        return []
    old, new = before.dataset, after.dataset
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


def _code_outputs(steps: list[StepRun]) -> dict[str, Any]:
    train = next((s for s in steps if s.kind == "train"), None)
    return (train.outputs or {}) if train else {}


def _code_change(
    settings: Settings,
    before: PipelineRun,
    after: PipelineRun,
    before_steps: list[StepRun],
    after_steps: list[StepRun],
) -> tuple[list[Change], str | None]:
    old, new = _code_outputs(before_steps), _code_outputs(after_steps)
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
