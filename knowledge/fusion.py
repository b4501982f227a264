"""Reciprocal rank fusion of the dense and lexical rankings, and the relevance floor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")

# The usual RRF constant. On the question set in evals/retrieval_set.jsonl, k = 10, 30 and 60
# gave the same recall@5 and MRR@5 within 0.02.
RRF_K = 60
# (dense, lexical) weights, chosen on the same question set from a grid of dense weights
# 0.1 to 1.0: 0.2 kept the best recall@5 with the best MRR@5 for English questions. MiniLM
# was trained on English only, so for a query with CJK characters its ranking is close to
# noise (dense recall@5 0.35 on Chinese questions) and fusion uses BM25 alone.
LATIN_WEIGHTS = (0.2, 1.0)
CJK_WEIGHTS = (0.0, 1.0)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Fuse best-first rankings of ids into one: each id scores sum(weight / (k + rank))."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


def has_cjk(text: str) -> bool:
    """Tell whether ``text`` contains a Chinese, Japanese or Korean character."""
    return _CJK.search(text) is not None


@dataclass(frozen=True)
class RelevanceFloor:
    """Minimum evidence for a query to count as answerable by the index.

    A query passes when the best lexical match holds at least ``min_coverage`` of the
    query's IDF-weighted terms, or, for a query without CJK characters, when the best dense
    match reaches ``min_similarity`` (cosine). MiniLM was trained on English, so CJK text
    of any topic embeds close together and its similarity says nothing about relevance.
    The defaults sit between the answerable and the off-topic questions of
    evals/retrieval_set.jsonl; ``python -m evals.retrieval DOCS`` prints both groups.
    """

    min_similarity: float = 0.30
    min_coverage: float = 0.40
    enabled: bool = True

    def passes(
        self, query: str, best_similarity: float | None, best_coverage: float | None
    ) -> bool:
        """Tell whether the best matches of either side are strong enough for ``query``."""
        if not self.enabled:
            return best_similarity is not None or best_coverage is not None
        if best_coverage is not None and best_coverage >= self.min_coverage:
            return True
        return (
            best_similarity is not None
            and not has_cjk(query)
            and best_similarity >= self.min_similarity
        )


NO_FLOOR = RelevanceFloor(enabled=False)
