"""The knowledge index: chunks in a persistent Chroma collection plus a BM25 index over them.

Chroma stores each chunk's text, embedding and metadata, including the chunk's lexical
tokens. The BM25 side is rebuilt in memory from those stored tokens when it is first needed
and after every change, so nothing but the Chroma folder has to be persisted. A change marker
in the folder tells an open index that another process wrote, so long-lived processes can
keep one index open and still see every change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from knowledge.catalog import Catalog, load_catalog
from knowledge.change_marker import ChangeMarker
from knowledge.collection import Filters, open_collection, query_similarities
from knowledge.embeddings import MiniLMEmbeddingFunction
from knowledge.fusion import (
    CJK_WEIGHTS,
    LATIN_WEIGHTS,
    RRF_K,
    RelevanceFloor,
    has_cjk,
    reciprocal_rank_fusion,
)
from knowledge.results import (
    DOCUMENT_KINDS,
    DocumentKind,
    IndexReport,
    IndexStats,
    Passage,
    SearchMode,
)
from knowledge.sources import (
    INDEXED_SUFFIXES,
    MARKDOWN_SUFFIXES,
    PreparedSource,
    SourceInfo,
    prepare_source,
    read_text_file,
    source_hash,
)
from tools.errors import InvalidInputError, NotFoundError

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

FILTER_KEYS = frozenset({"kind", "entity_type", "entity_id", "source"})
SEARCH_MODES: tuple[SearchMode, ...] = ("fused", "dense", "lexical")
_WRITE_BATCH = 64
# Each side ranks at least this many candidates before fusion cuts the list to k.
_MIN_DEPTH = 30


class KnowledgeIndex:
    """Searchable chunks of documents and entity notes, stored under ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        embedding_function: MiniLMEmbeddingFunction | None = None,
        floor: RelevanceFloor | None = None,
        rrf_k: int = RRF_K,
        weights: tuple[float, float] = LATIN_WEIGHTS,
        cjk_weights: tuple[float, float] = CJK_WEIGHTS,
    ) -> None:
        self.directory = Path(directory)
        self.embedding_function = embedding_function or MiniLMEmbeddingFunction()
        self.floor = floor or RelevanceFloor()
        self.rrf_k = rrf_k
        self.weights = weights
        self.cjk_weights = cjk_weights
        self._catalog: Catalog | None = None
        self._wrote = False
        self._marker = ChangeMarker(self.directory)
        before = self._marker.current()
        self._client, self._collection = open_collection(self.directory, self.embedding_function)
        self._marker.record_open(before)

    def close(self) -> None:
        """Release the Chroma client so another process can open the folder cleanly."""
        self._client.close()

    def refresh(self) -> bool:
        """Reopen the collection if another writer changed the folder; return whether it did.

        Every public method calls this first, so the cost is a stat and a small file read.
        Chroma (checked with chromadb 1.5.9) keeps the HNSW index in memory per process and
        per folder. Its ``get`` and ``count`` see another process's writes, but ``query``
        keeps the old vectors until the last client on that folder in this process closes.
        """
        before = self._marker.current()
        if before == self._marker.seen:
            return False
        # NOTE: another client on the same folder in this process (a second KnowledgeIndex)
        # keeps Chroma's shared state alive through this close, so its vectors stay stale.
        self._client.close()
        self._client, self._collection = open_collection(self.directory, self.embedding_function)
        self._marker.record_open(before)
        self._catalog = None
        logger.debug("reopened knowledge index %s: another writer changed it", self.directory)
        return True

    def __enter__(self) -> KnowledgeIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def index_path(self, path: Path | str, progress: Progress | None = None) -> IndexReport:
        """Index a .md/.markdown/.txt file, or every such file under a folder.

        Only chunks whose text changed are embedded. Files indexed from a folder that are no
        longer in it leave the index. ``progress(done, total)`` counts the chunks that need
        embedding, from (0, total) to (total, total).
        """
        started = time.perf_counter()
        target = Path(path).expanduser().resolve()
        files = _files_to_index(target)
        self.refresh()
        catalog = self._load_catalog()
        report = IndexReport(sources_seen=len(files))

        prepared = self._prepare_changed_files(files, catalog, report, strict=target.is_file())
        with self._writing():
            self._write(prepared, catalog, report, progress)
            if target.is_dir():
                self._remove_missing_files(target, files, catalog, report)

        report.seconds = time.perf_counter() - started
        logger.info(
            "indexed %s: %d changed, %d unchanged, %d removed, %d chunks embedded",
            target,
            report.sources_changed,
            report.sources_unchanged,
            report.sources_removed,
            report.chunks_embedded,
        )
        return report

    def upsert_entity_document(
        self,
        source_id: str,
        text: str,
        *,
        title: str,
        entity_type: str,
        entity_id: str,
        kind: DocumentKind,
    ) -> IndexReport:
        """Index or replace the text attached to an entity: a model card, a note, a step log."""
        _check_entity_document(source_id, text, kind)
        started = time.perf_counter()
        info = SourceInfo(source_id, kind, title, entity_type, entity_id)
        self.refresh()
        catalog = self._load_catalog()
        report = IndexReport(sources_seen=1)

        if catalog.source_hash(source_id) == source_hash(info, text):
            report.sources_unchanged = 1
        else:
            # A step log is plain text: a line starting with "#" there is not a heading.
            prepared = prepare_source(info, text, markdown=kind != "pipeline_log")
            with self._writing():
                self._write([prepared], catalog, report, None)
        report.seconds = time.perf_counter() - started
        return report

    def remove_source(self, source_id: str) -> int:
        """Remove every chunk of a source (a file path or an entity source id); return the count."""
        self.refresh()
        catalog = self._load_catalog()
        ids = catalog.chunk_ids(source_id)
        if not ids and Path(source_id).exists():
            ids = catalog.chunk_ids(str(Path(source_id).resolve()))
        with self._writing():
            removed = self._delete(ids)
        return removed

    @contextmanager
    def _writing(self) -> Iterator[None]:
        # The finally clause also runs after a write that failed halfway: what was written
        # is still a change that the catalog and other processes must see.
        self._wrote = False
        try:
            yield
        finally:
            self._catalog = None
            if self._wrote:
                self._marker.record_write()

    def _prepare_changed_files(
        self, files: list[Path], catalog: Catalog, report: IndexReport, *, strict: bool
    ) -> list[PreparedSource]:
        prepared: list[PreparedSource] = []
        for file in files:
            try:
                text = read_text_file(file)
            except InvalidInputError:
                if strict:
                    raise
                logger.warning("skipped %s: not UTF-8 text", file)
                report.skipped.append(str(file))
                continue
            info = SourceInfo(str(file), "document")
            if catalog.source_hash(info.source_id) == source_hash(info, text):
                report.sources_unchanged += 1
                continue
            markdown = file.suffix.lower() in MARKDOWN_SUFFIXES
            prepared.append(prepare_source(info, text, markdown=markdown))
        return prepared

    def _remove_missing_files(
        self, folder: Path, files: list[Path], catalog: Catalog, report: IndexReport
    ) -> None:
        listed = {str(file) for file in files}
        for source in catalog.sources_under(folder, kind="document"):
            if source not in listed:
                report.chunks_removed += self._delete(catalog.chunk_ids(source))
                report.sources_removed += 1

    def _write(
        self,
        sources: list[PreparedSource],
        catalog: Catalog,
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        # New chunks are added before stale ones are deleted: a crash in between leaves extra
        # chunks whose source hash no longer matches, which the next run cleans up.
        self._add_new_chunks(sources, catalog, report, progress)
        for source in sources:
            kept = [
                (ordinal, chunk)
                for ordinal, chunk in enumerate(source.chunks)
                if catalog.has_chunk(chunk.chunk_id)
            ]
            if kept:
                # Kept chunks are not embedded again; only their metadata is refreshed.
                self._wrote = True
                self._collection.update(
                    ids=[chunk.chunk_id for _, chunk in kept],
                    metadatas=[source.metadata(ordinal, chunk) for ordinal, chunk in kept],
                )
            current = {chunk.chunk_id for chunk in source.chunks}
            stale = [i for i in catalog.chunk_ids(source.info.source_id) if i not in current]
            report.chunks_removed += self._delete(stale)
            report.chunks_kept += len(kept)
        report.sources_changed += len(sources)

    def _add_new_chunks(
        self,
        sources: list[PreparedSource],
        catalog: Catalog,
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        new = [
            (source, ordinal, chunk)
            for source in sources
            for ordinal, chunk in enumerate(source.chunks)
            if not catalog.has_chunk(chunk.chunk_id)
        ]
        if progress is not None:
            progress(0, len(new))
        for start in range(0, len(new), _WRITE_BATCH):
            batch = new[start : start + _WRITE_BATCH]
            self._wrote = True
            self._collection.add(
                ids=[chunk.chunk_id for _, _, chunk in batch],
                embeddings=self.embedding_function([chunk.embedded_text for _, _, chunk in batch]),
                documents=[chunk.text for _, _, chunk in batch],
                metadatas=[source.metadata(ordinal, chunk) for source, ordinal, chunk in batch],
            )
            report.chunks_embedded += len(batch)
            if progress is not None:
                progress(start + len(batch), len(new))

    def _delete(self, ids: list[str]) -> int:
        self._wrote = self._wrote or bool(ids)
        for start in range(0, len(ids), _WRITE_BATCH):
            self._collection.delete(ids=ids[start : start + _WRITE_BATCH])
        return len(ids)

    # -- reading -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        mode: SearchMode = "fused",
        filters: Filters | None = None,
    ) -> list[Passage]:
        """Return up to ``k`` passages for ``query``, or none when nothing is relevant enough.

        ``filters`` restricts the search to chunks whose metadata matches, for example
        ``{"kind": "model_card", "entity_id": ["fraud/3", "fraud/4"]}``.
        """
        _check_search(query, k, mode, filters)
        self.refresh()
        catalog = self._load_catalog()
        rows = catalog.rows_matching(filters or {})
        if rows.size == 0:
            return []
        depth = min(max(4 * k, _MIN_DEPTH), int(rows.size))
        weights = self.cjk_weights if has_cjk(query) else self.weights

        # Each side maps chunk id -> (score, evidence), best first.
        dense: dict[str, float] = {}
        if mode == "dense" or (mode == "fused" and weights[0] > 0):
            dense = query_similarities(self._collection, query, filters, depth)
        lexical: dict[str, tuple[float, float]] = {}
        if mode != "dense":
            hits = catalog.lexical.search(query, rows)[:depth]
            lexical = {catalog.ids[hit.row]: (hit.score, hit.coverage) for hit in hits}

        best_similarity = max(dense.values(), default=None)
        best_coverage = max((coverage for _, coverage in lexical.values()), default=None)
        if not self.floor.passes(query, best_similarity, best_coverage):
            return []

        if mode == "dense":
            ranked = list(dense.items())
        elif mode == "lexical":
            ranked = [(chunk_id, score) for chunk_id, (score, _) in lexical.items()]
        else:
            ranked = reciprocal_rank_fusion(
                [list(dense), list(lexical)], k=self.rrf_k, weights=weights
            )
        passages = []
        for chunk_id, score in ranked[:k]:
            coverage = lexical[chunk_id][1] if chunk_id in lexical else None
            passages.append(catalog.passage(chunk_id, score, dense.get(chunk_id), coverage))
        return passages

    def list_passages(self, filters: Filters | None = None) -> list[Passage]:
        """Return every stored chunk matching ``filters`` as a passage with score 0."""
        _check_filters(filters)
        self.refresh()
        catalog = self._load_catalog()
        rows = catalog.rows_matching(filters or {})
        return [catalog.passage(catalog.ids[row], 0.0, None, None) for row in rows]

    def stats(self) -> IndexStats:
        """Count chunks and sources, overall and per kind."""
        self.refresh()
        return self._load_catalog().stats()

    def _load_catalog(self) -> Catalog:
        # This object's writes reset the catalog, and refresh() resets it after other writers.
        if self._catalog is None:
            self._catalog = load_catalog(self._collection)
        return self._catalog


def _files_to_index(target: Path) -> list[Path]:
    if target.is_file():
        if target.suffix.lower() not in INDEXED_SUFFIXES:
            raise InvalidInputError(
                f"cannot index {str(target)!r}: use a .md, .markdown or .txt file, or a folder"
            )
        return [target]
    if not target.is_dir():
        raise NotFoundError(f"no file or folder at {str(target)!r}; check the path")
    # Hidden folders (.git, .venv) and hidden files are left out.
    return sorted(
        file
        for file in target.rglob("*")
        if file.is_file()
        and file.suffix.lower() in INDEXED_SUFFIXES
        and not any(part.startswith(".") for part in file.relative_to(target).parts)
    )


def _check_entity_document(source_id: str, text: str, kind: str) -> None:
    if not source_id.strip():
        raise InvalidInputError("source_id is empty; pass a stable id such as 'model:fraud/3'")
    if kind not in DOCUMENT_KINDS:
        choices = ", ".join(DOCUMENT_KINDS)
        raise InvalidInputError(f"unknown kind {kind!r}; use one of {choices}")
    if not text.strip():
        raise InvalidInputError(
            f"text for {source_id!r} is empty; call remove_source to drop a document"
        )


def _check_search(query: str, k: int, mode: str, filters: Filters | None) -> None:
    if not query.strip():
        raise InvalidInputError("the search query is empty; ask a question or give keywords")
    if k < 1:
        raise InvalidInputError(f"k must be at least 1, not {k}")
    if mode not in SEARCH_MODES:
        choices = ", ".join(SEARCH_MODES)
        raise InvalidInputError(f"unknown search mode {mode!r}; use one of {choices}")
    _check_filters(filters)


def _check_filters(filters: Filters | None) -> None:
    unknown = sorted(set(filters or {}) - FILTER_KEYS)
    if unknown:
        keys = ", ".join(sorted(FILTER_KEYS))
        raise InvalidInputError(f"unknown filter {unknown[0]!r}; filter on {keys}")
