"""Decide the ML task (classification, churn prediction...) of imported entities.

A task tag (``task`` and the other keys in ``tools.vocabulary.TASK_TAG_KEYS``) is explicit
and always wins. Otherwise ``tools.vocabulary.infer_task`` guesses from names, tags and params.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

TaskSource = Literal["explicit", "inferred"]
Inferrer = Callable[[Sequence[str], Mapping[str, str], Mapping[str, str]], str | None]


@dataclass(frozen=True)
class TaskGuess:
    task: str | None
    source: TaskSource | None


NO_TASK = TaskGuess(None, None)


def _load_vocabulary() -> tuple[Inferrer | None, tuple[str, ...]]:
    # tools.vocabulary is optional here so that the importer keeps working (explicit "task"
    # tags only) in a checkout where that module is missing or broken.
    try:
        from tools.vocabulary import TASK_TAG_KEYS, infer_task
    except ImportError:
        log.warning("tools.vocabulary is not importable; imported tasks come from task tags only")
        return None, ("task",)
    return infer_task, tuple(TASK_TAG_KEYS)


_infer, _TASK_TAG_KEYS = _load_vocabulary()


def explicit_task(tags: Mapping[str, str]) -> TaskGuess:
    """Return the task named by a task tag, in its canonical form when it is a known task."""
    explicit = {key: value for key, value in tags.items() if key.lower() in _TASK_TAG_KEYS}
    explicit = {key: value for key, value in explicit.items() if value.strip()}
    if not explicit:
        return NO_TASK
    task = _call_inferrer([], explicit, {}) if _infer is not None else None
    return TaskGuess(task or next(iter(explicit.values())).strip(), "explicit")


def decide_task(
    names: Sequence[str], tags: Mapping[str, str], params: Mapping[str, str]
) -> TaskGuess:
    """Return the explicit task, else the task inferred from ``names`` (most specific first),
    tags and params, else no task."""
    explicit = explicit_task(tags)
    if explicit.task or _infer is None:
        return explicit
    inferred = _call_inferrer([name for name in names if name], tags, params)
    return TaskGuess(inferred, "inferred") if inferred else NO_TASK


def _call_inferrer(
    names: Sequence[str], tags: Mapping[str, str], params: Mapping[str, str]
) -> str | None:
    assert _infer is not None
    try:
        return _infer(names, tags, params)
    except Exception:  # a guess must never stop an import
        log.warning("task inference failed for %s", list(names), exc_info=True)
        return None


def majority(guesses: Iterable[TaskGuess]) -> TaskGuess:
    """Return the most common task among ``guesses``, explicit ones first."""
    known = [guess for guess in guesses if guess.task]
    for source in ("explicit", "inferred"):
        tasks = Counter(guess.task for guess in known if guess.source == source)
        if tasks:
            return TaskGuess(tasks.most_common(1)[0][0], source)  # type: ignore[arg-type]
    return NO_TASK
