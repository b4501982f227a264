"""Resolving names that users and models type into rows of the store, with did-you-mean."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_
from sqlmodel import Session, select

from tools.errors import NotFoundError
from tools.store.schema import Dataset, Experiment, Pipeline, RegisteredModel, Run

# Below this WRatio score a candidate is too far from what was typed to suggest.
SUGGESTION_CUTOFF = 60


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def suggest(name: str, candidates: Sequence[str], limit: int = 3) -> list[str]:
    """Return up to ``limit`` candidates close to ``name``, best first."""
    if not candidates:
        return []
    matches = process.extract(
        name, list(candidates), scorer=fuzz.WRatio, limit=limit, score_cutoff=SUGGESTION_CUTOFF
    )
    return [match[0] for match in matches]


def match_name(name: str, candidates: Sequence[str]) -> str | None:
    """Return the one candidate that ``name`` means, ignoring case and punctuation, if any."""
    exact = [c for c in candidates if c == name]
    if exact:
        return exact[0]
    wanted = _normalise(name)
    loose = [c for c in candidates if _normalise(c) == wanted]
    return loose[0] if len(loose) == 1 else None


def not_found(kind: str, name: str, candidates: Sequence[str], hint: str) -> NotFoundError:
    """Build the did-you-mean error for an unknown name."""
    close = suggest(name, candidates)
    if close:
        options = " or ".join(repr(c) for c in close)
        return NotFoundError(f"no {kind} named {name!r}; did you mean {options}?")
    return NotFoundError(f"no {kind} named {name!r}; {hint}")


def resolve_model_name(session: Session, name: str) -> str:
    """Return the registered model's exact name, or raise with did-you-mean."""
    names = list(session.exec(select(RegisteredModel.name)).all())
    found = match_name(name, names)
    if found is None:
        raise not_found("registered model", name, names, 'run `modelpilot ask "list models"`')
    return found


def resolve_experiment(session: Session, name: str) -> list[Experiment]:
    """Return the experiments with this name (imports from two sources may share a name)."""
    rows = list(session.exec(select(Experiment).where(Experiment.name == name)).all())
    if rows:
        return rows
    names = sorted(set(session.exec(select(Experiment.name)).all()))
    found = match_name(name, names)
    if found is None:
        raise not_found("experiment", name, names, "list them with the list_experiments tool")
    return list(session.exec(select(Experiment).where(Experiment.name == found)).all())


def resolve_run(session: Session, reference: str) -> Run:
    """Find a run by id, id prefix (8+ characters) or exact name."""
    run = session.get(Run, reference)
    if run is not None:
        return run
    conditions = [func.lower(Run.name) == reference.casefold()]
    if len(reference) >= 8:
        conditions.append(Run.id.startswith(reference))  # type: ignore[attr-defined,arg-type]
    rows = list(session.exec(select(Run).where(or_(*conditions)).limit(5)).all())
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        listed = ", ".join(f"{r.name} ({r.id[:8]})" for r in rows)
        raise NotFoundError(f"{reference!r} matches several runs: {listed}; give the run id")
    names = [n for n in session.exec(select(Run.name).limit(5000)).all() if n]
    raise not_found("run", reference, names, "search runs first and use a run id")


def resolve_dataset_name(session: Session, name: str) -> str:
    names = list(session.exec(select(Dataset.name)).all())
    found = match_name(name, names)
    if found is None:
        raise not_found("dataset", name, names, "list them with the list_datasets tool")
    return found


def resolve_pipeline_name(session: Session, name: str) -> str:
    names = list(session.exec(select(Pipeline.name)).all())
    found = match_name(name, names)
    if found is None:
        raise not_found("pipeline", name, names, "list them with the list_pipelines tool")
    return found
