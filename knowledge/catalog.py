"""An in-memory snapshot of every stored chunk: texts, metadata and the BM25 index over them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from knowledge.lexical import LexicalIndex
from knowledge.results import DocumentKind, IndexStats, Passage

_PAGE = 5000


class Catalog:
    """All chunks of the collection, loaded once and rebuilt after every change."""

    def __init__(
        self, ids: list[str], documents: list[str], metadatas: list[Mapping[str, Any]]
    ) -> None:
        self.ids = ids
        self.size = len(ids)
        self.documents = documents
        self.metadatas = metadatas
        self.rows = {chunk_id: row for row, chunk_id in enumerate(ids)}
        self.lexical = LexicalIndex([str(meta.get("tokens", "")).split() for meta in metadatas])
        self._by_source: dict[str, list[str]] = {}
        for chunk_id, meta in zip(ids, metadatas, strict=True):
            self._by_source.setdefault(str(meta["source"]), []).append(chunk_id)

    def has_chunk(self, chunk_id: str) -> bool:
        """Tell whether a chunk with this id is stored."""
        return chunk_id in self.rows

    def chunk_ids(self, source: str) -> list[str]:
        """Return the ids of a source's stored chunks."""
        return list(self._by_source.get(source, []))

    def source_hash(self, source: str) -> str | None:
        """Return the source hash shared by all of a source's chunks, or None if they differ."""
        hashes = {self.metadatas[self.rows[i]].get("source_hash") for i in self.chunk_ids(source)}
        return str(hashes.pop()) if len(hashes) == 1 else None

    def sources_under(self, folder: Path, *, kind: str) -> list[str]:
        """Return indexed file sources of ``kind`` that lie inside ``folder``."""
        return [
            source
            for source, ids in self._by_source.items()
            if self.metadatas[self.rows[ids[0]]].get("kind") == kind
            and Path(source).is_relative_to(folder)
        ]

    def rows_matching(self, filters: Mapping[str, str | Sequence[str]]) -> np.ndarray:
        """Return the rows whose metadata matches every filter (a value or a list of values)."""
        allowed = {
            key: {value} if isinstance(value, str) else set(value) for key, value in filters.items()
        }
        return np.array(
            [
                row
                for row, meta in enumerate(self.metadatas)
                if all(meta.get(key) in values for key, values in allowed.items())
            ],
            dtype=np.int64,
        )

    def passage(
        self, chunk_id: str, score: float, similarity: float | None, coverage: float | None
    ) -> Passage:
        """Build the passage for a stored chunk."""
        row = self.rows[chunk_id]
        meta = self.metadatas[row]
        return Passage(
            chunk_id=chunk_id,
            text=self.documents[row],
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            kind=cast(DocumentKind, meta.get("kind", "document")),
            entity_type=str(meta.get("entity_type") or "") or None,
            entity_id=str(meta.get("entity_id") or "") or None,
            score=float(score),
            similarity=similarity,
            term_coverage=coverage,
        )

    def stats(self) -> IndexStats:
        """Count chunks, sources and sources per kind."""
        kinds = Counter(
            str(self.metadatas[self.rows[ids[0]]].get("kind")) for ids in self._by_source.values()
        )
        return IndexStats(
            chunks=len(self.ids), sources=len(self._by_source), sources_by_kind=dict(kinds)
        )


def load_catalog(collection: Any) -> Catalog:
    """Read every chunk's text and metadata from a Chroma collection, a page at a time."""
    ids: list[str] = []
    documents: list[str] = []
    metadatas: list[Mapping[str, Any]] = []
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
        ids.extend(page["ids"])
        documents.extend(page["documents"] or [])
        metadatas.extend(page["metadatas"] or [])
        if len(page["ids"]) < _PAGE:
            break
        offset += _PAGE
    return Catalog(ids, documents, metadatas)
