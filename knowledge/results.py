"""Value objects returned by the knowledge index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SearchMode = Literal["fused", "dense", "lexical"]
DocumentKind = Literal["document", "model_card", "run_note", "note", "pipeline_log"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    "document",
    "model_card",
    "run_note",
    "note",
    "pipeline_log",
)


@dataclass(frozen=True)
class Passage:
    """A chunk returned by a search, with where it came from and how well it matched."""

    chunk_id: str
    text: str
    # File path for an indexed file, the caller's source id for an entity document.
    source: str
    title: str
    section: str
    kind: DocumentKind
    entity_type: str | None
    entity_id: str | None
    # The mode's own score: reciprocal-rank fusion, cosine similarity or BM25.
    score: float
    # Cosine similarity to the query when the dense side ranked this chunk.
    similarity: float | None = None
    # IDF-weighted share of query terms in the chunk when the lexical side ranked it.
    term_coverage: float | None = None


@dataclass
class IndexReport:
    """Counts of the sources and chunks that one ``index_path`` or entity upsert touched."""

    sources_seen: int = 0
    sources_changed: int = 0
    sources_unchanged: int = 0
    sources_removed: int = 0
    chunks_embedded: int = 0
    chunks_kept: int = 0
    chunks_removed: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class IndexStats:
    """Size of the index."""

    chunks: int
    sources: int
    sources_by_kind: dict[str, int]
