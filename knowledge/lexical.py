"""Lexical retrieval: BM25 (bm25s) over word tokens, with jieba segmentation for Chinese.

Tokens are lower-cased. A Latin identifier such as ``ChatGLM-6B`` or ``v1.2`` is kept whole
and also split into its parts, so a question can name it either way. CJK runs are segmented
by jieba in search mode, which also emits the shorter words inside long ones, and are also
indexed as character bigrams.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

# bm25s logs every index build at DEBUG on its own logger; keep it out of user output.
logging.getLogger("bm25s").setLevel(logging.WARNING)

logger = logging.getLogger(__name__)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_RUN = re.compile(f"[{_CJK}]+|[A-Za-z0-9]+(?:[._\\-/+][A-Za-z0-9]+)*")
_PART_SEPARATOR = re.compile(r"[._\-/+]")
_CJK_RUN = re.compile(f"[{_CJK}]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH_STOPWORDS = _words(
    """a an and are as at be been but by can could did do does for from had has have how i if
    in into is it its may me my no not of on or our should so such than that the their them
    then there these they this those to was we were what when where which while who whom
    why will with would you your about after also any each more most other over some under
    up out own same very just only both all"""
)
# Function words and the question words of a Chinese question, which chunks rarely contain.
CHINESE_STOPWORDS = _words(
    """的 了 是 在 和 与 及 或 等 中 对 为 以 将 把 被 这 那 也 都 而 之 其 个 我 你 他 她 它
    我们 你们 他们 什么 哪些 哪个 哪 如何 怎么 怎样 多少 是否 吗 呢 吧 啊 有 有没有 没有 就
    还 又 请 可以 能 会 要 一个 一些 这个 那个 这些 那些 上 下 里 用 使用"""
)

_jieba_lock = threading.Lock()
_jieba_ready = False


def tokenize(text: str, *, bigrams: bool = True) -> list[str]:
    """Turn text into lower-case lexical tokens, without stopwords.

    ``bigrams=False`` leaves out the CJK character bigrams, which suits measuring how much
    of a question a chunk covers: bigrams across a question word would count as missing.
    """
    tokens: list[str] = []
    for match in _RUN.finditer(text.lower()):
        run = match.group()
        if _CJK_RUN.match(run):
            tokens.extend(t for t in _segment(run) if t not in CHINESE_STOPWORDS)
            # Character bigrams still match when jieba segments a query and a document
            # differently (it depends on the surrounding characters).
            if bigrams:
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            continue
        if run in ENGLISH_STOPWORDS:
            continue
        tokens.append(run)
        parts = [part for part in _PART_SEPARATOR.split(run) if part]
        if len(parts) > 1:
            tokens.extend(part for part in parts if part not in ENGLISH_STOPWORDS)
    return tokens


def _segment(run: str) -> list[str]:
    # jieba builds its prefix dictionary (about a second) on first use, so it is imported and
    # initialised only when a CJK run actually occurs.
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True
    return [token for token in jieba.cut_for_search(run) if token.strip()]


@dataclass(frozen=True)
class LexicalHit:
    """One BM25 match: the row in the index, its score and the query-term coverage."""

    row: int
    score: float
    coverage: float


class LexicalIndex:
    """An in-memory BM25 index over tokenised chunks, rebuilt from stored tokens on open."""

    def __init__(self, token_lists: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75):
        self.size = len(token_lists)
        self._document_frequency: Counter[str] = Counter()
        self._token_sets = [frozenset(tokens) for tokens in token_lists]
        for tokens in self._token_sets:
            self._document_frequency.update(tokens)
        self._bm25: Any = None
        if self.size:
            self._bm25 = bm25s.BM25(k1=k1, b=b)
            # An empty chunk still needs one token for bm25s; "" never occurs in a query.
            corpus = [list(tokens) or [""] for tokens in token_lists]
            self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, rows: np.ndarray | None = None) -> list[LexicalHit]:
        """Score all chunks (or only ``rows``) against ``query``, best first, leaving out zeros."""
        terms = list(dict.fromkeys(tokenize(query)))
        if self._bm25 is None or not terms:
            return []
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float64)
        candidates = np.flatnonzero(scores > 0) if rows is None else rows[scores[rows] > 0]
        ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
        words = list(dict.fromkeys(tokenize(query, bigrams=False)))
        return [LexicalHit(int(r), float(scores[r]), self.coverage(words, int(r))) for r in ranked]

    def coverage(self, terms: Sequence[str], row: int) -> float:
        """Return the IDF-weighted share of query terms that occur in chunk ``row``.

        A term absent from every chunk carries the highest IDF, so a question about something
        the index never mentions scores low even when its common words match.
        """
        weights = {term: self._idf(term) for term in terms}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        present = self._token_sets[row]
        return sum(weight for term, weight in weights.items() if term in present) / total

    def _idf(self, term: str) -> float:
        frequency = self._document_frequency.get(term, 0)
        return math.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))
