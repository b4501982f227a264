"""Knowledge benchmarks: indexing throughput with the real encoder, and retrieval latency.

Embedding a chunk with MiniLM costs about a tenth of a second of one CPU core, so embedding
10,000 chunks on two cores takes tens of minutes. The retrieval index is therefore filled with
vectors from ``HashedCorpusEmbedding`` (token hashing, thousands of chunks per second) unless
``real_corpus`` is set, while every query is still embedded by the real encoder. Retrieval
latency (query embedding, HNSW search over all chunks, BM25, fusion) is measured in full; only
the relevance of dense hits is lost. Indexing throughput is measured separately on a sample
with the real encoder.
"""

from __future__ import annotations

import re
import shutil
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from chromadb.api.types import Documents, Embeddings

from evals.bench.notes import write_notes
from knowledge import KnowledgeIndex
from knowledge.embeddings import DIMENSION, MiniLMEmbeddingFunction

QUERIES = (
    "why was the fraud detector retrained",
    "known limitations of churn-predictor for new customers",
    "p95 latency budget on the canary",
    "which feature leaked the label",
    "rollback target that passed the fairness review",
    "class imbalance roc_auc instead of accuracy",
    "drift after the mobile app release",
    "calibration isotonic regression overconfident scores",
    "为什么重新训练欺诈模型",
    "新客户效果较差",
)
_TOKEN = re.compile(r"\w+")


class HashedCorpusEmbedding(MiniLMEmbeddingFunction):
    """MiniLM for queries, token hashing for corpus chunks while ``corpus_mode`` is on."""

    corpus_mode = False

    def __call__(self, input: Documents) -> Embeddings:
        if not self.corpus_mode:
            return super().__call__(input)
        return [_hashed_vector(text) for text in input]


def _hashed_vector(text: str) -> np.ndarray:
    buckets = [zlib.crc32(token.encode()) % DIMENSION for token in _TOKEN.findall(text.lower())]
    vector = np.bincount(buckets, minlength=DIMENSION).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True)
class IndexingRun:
    chunks: int
    seconds: float

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def index_sample(work: Path, chunks: int, seed: int) -> IndexingRun:
    """Index about ``chunks`` fresh chunks with the real encoder into a new index."""
    notes = work / "notes"
    directory = work / "index"
    for folder in (notes, directory):
        shutil.rmtree(folder, ignore_errors=True)
    write_notes(notes, chunks, seed)
    with KnowledgeIndex(directory) as index:
        started = time.perf_counter()
        report = index.index_path(notes)
        seconds = time.perf_counter() - started
    return IndexingRun(report.chunks_embedded, seconds)


def build_retrieval_index(
    directory: Path, notes: Path, chunks: int, seed: int, real_corpus: bool
) -> tuple[KnowledgeIndex, IndexingRun]:
    """Open (and fill, if empty) the index of ``chunks`` chunks that retrieval is timed on."""
    embedding = HashedCorpusEmbedding()
    index = KnowledgeIndex(directory, embedding_function=embedding)
    if index.stats().chunks > 0:
        return index, IndexingRun(0, 0.0)
    write_notes(notes, chunks, seed)
    embedding.corpus_mode = not real_corpus
    started = time.perf_counter()
    try:
        report = index.index_path(notes)
    finally:
        embedding.corpus_mode = False
    return index, IndexingRun(report.chunks_embedded, time.perf_counter() - started)
