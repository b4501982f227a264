"""Retrieval scores of a knowledge answer, read from the citations it returned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

K = 5


def is_relevant(citation: Mapping[str, Any], wanted: str) -> bool:
    """A citation is relevant when ``wanted`` occurs in its source or its label."""
    needle = wanted.casefold()
    return any(needle in str(citation.get(key) or "").casefold() for key in ("source", "label"))


def citation_scores(
    wanted: Sequence[str], citations: Sequence[Mapping[str, Any]], k: int = K
) -> tuple[float, float]:
    """Return recall@k (share of wanted sources cited in the top k) and the reciprocal rank
    of the first relevant citation in the top k (0 when there is none)."""
    top = list(citations)[:k]
    found = sum(1 for source in wanted if any(is_relevant(c, source) for c in top))
    recall = found / len(wanted) if wanted else 0.0
    for rank, citation in enumerate(top, 1):
        if any(is_relevant(citation, source) for source in wanted):
            return recall, 1.0 / rank
    return recall, 0.0
