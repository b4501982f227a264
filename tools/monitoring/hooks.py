"""Hooks that monitoring calls after an alert: notifications and retraining.

Other parts register here instead of being imported by monitoring: a Slack integration
appends a notifier to ``NOTIFIERS``, and a pipeline runner can put a trigger in
``RETRAIN_TRIGGERS``. Without a registered trigger, retraining goes through
``tools.pipelines.trigger_pipeline_run`` when that module is installed. Callers and tests can
also pass a trigger or notifier directly to ``evaluate_model_health``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.errors import ToolError
from tools.store.db import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertNotice:
    """The description of a newly opened alert that each notifier receives."""

    alert_id: str
    model: str | None
    kind: str
    severity: str
    title: str
    message: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetrainRequest:
    """A request to run a model's retraining pipeline because of an alert."""

    model: str
    pipeline: str
    alert_id: str
    reason: str
    actor: str


# A notifier returns the channel it notified (for the alert's ``notified`` field), or None.
Notifier = Callable[[AlertNotice], str | None]
# A retrain trigger returns the id of the pipeline run it started, or None.
RetrainTrigger = Callable[[Store, RetrainRequest], str | None]

NOTIFIERS: list[Notifier] = []
RETRAIN_TRIGGERS: list[RetrainTrigger] = []


def register_notifier(notifier: Notifier) -> Notifier:
    if notifier not in NOTIFIERS:
        NOTIFIERS.append(notifier)
    return notifier


def register_retrain_trigger(trigger: RetrainTrigger) -> RetrainTrigger:
    if trigger not in RETRAIN_TRIGGERS:
        RETRAIN_TRIGGERS.append(trigger)
    return trigger


def _find_pipeline_trigger() -> Callable[..., Any] | None:
    # trigger_pipeline_run lives in tools.pipelines.launch; the package may also export it.
    for module_name in ("tools.pipelines", "tools.pipelines.launch"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        trigger = getattr(module, "trigger_pipeline_run", None)
        if trigger is not None:
            return trigger  # type: ignore[no-any-return]
    return None


def pipeline_runner_trigger(store: Store, request: RetrainRequest) -> str | None:
    """Start the pipeline with ``tools.pipelines.trigger_pipeline_run(..., trigger="alert")``."""
    trigger = _find_pipeline_trigger()
    if trigger is None:
        raise ToolError(
            f"cannot retrain {request.model}: the pipeline runner (tools.pipelines) is not "
            "installed; run the pipeline by hand"
        )
    run = trigger(store, request.pipeline, trigger="alert", actor=request.actor)
    run_id = getattr(run, "id", run)
    return None if run_id is None else str(run_id)


def choose_retrain_trigger(explicit: RetrainTrigger | None = None) -> RetrainTrigger:
    """Return the trigger to use: the explicit one, the last registered, or the pipeline runner."""
    if explicit is not None:
        return explicit
    if RETRAIN_TRIGGERS:
        return RETRAIN_TRIGGERS[-1]
    return pipeline_runner_trigger


def channel_notifier(notice: AlertNotice) -> str | None:
    """Send the alert with ``tools.notify.notify`` (Slack when configured), if installed."""
    try:
        notify_module = importlib.import_module("tools.notify")
    except ImportError:
        log.debug("tools.notify is not installed; alert %s not sent", notice.alert_id)
        return None
    from tools.settings import get_settings

    text = f"[{notice.severity}] {notice.title}"
    if notice.message:
        text += f"\n{notice.message}"
    channel: str | None = notify_module.notify(get_settings(), text)
    return channel


def notify_all(notice: AlertNotice, extra: Notifier | None = None) -> list[str]:
    """Call the notifiers; a failing notifier is logged and skipped. Return the channels.

    The registered notifiers are called, or ``channel_notifier`` when none is registered;
    ``extra`` is called in addition.
    """
    channels: list[str] = []
    notifiers = [*(NOTIFIERS or [channel_notifier]), *([extra] if extra else [])]
    for notifier in notifiers:
        try:
            channel = notifier(notice)
        except Exception:  # a broken notifier must not stop the evaluation or other notifiers
            log.exception("notifier %r failed for alert %s", notifier, notice.alert_id)
            continue
        if channel:
            channels.append(channel)
    return channels
