"""The Chroma side of the index: opening the persistent collection and querying it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import chromadb
from chromadb.api.client import Client
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from knowledge.embeddings import EMBEDDING_FUNCTION_NAME, MiniLMEmbeddingFunction
from tools.errors import ConfigError

logger = logging.getLogger(__name__)

COLLECTION_NAME = "knowledge"
Filters = Mapping[str, str | Sequence[str]]


def open_collection(
    directory: Path, embedding_function: MiniLMEmbeddingFunction
) -> tuple[Client, Collection]:
    """Open (or create) the index's collection, refusing one built with another embedding."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # PersistentClient is typed as the ClientAPI protocol, which lacks close().
        client = cast(
            Client,
            chromadb.PersistentClient(
                path=str(directory), settings=ChromaSettings(anonymized_telemetry=False)
            ),
        )
        collection = client.get_or_create_collection(
            COLLECTION_NAME,
            embedding_function=embedding_function,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
    except (OSError, ValueError, chromadb.errors.ChromaError) as exc:
        raise ConfigError(
            f"cannot open the knowledge index at {str(directory)!r}: {exc}; "
            "delete that folder and index the documents again"
        ) from exc

    stored = collection.configuration.get("embedding_function")
    stored_name = stored.name() if stored is not None else None
    if stored_name != EMBEDDING_FUNCTION_NAME:
        client.close()
        raise ConfigError(
            f"the knowledge index at {str(directory)!r} was built with embedding function "
            f"{stored_name!r}, not {EMBEDDING_FUNCTION_NAME!r}; delete it and index again"
        )
    logger.debug("opened knowledge index %s with %d chunks", directory, collection.count())
    return client, collection


def forget_inherited_clients(directories: list[Path]) -> None:
    """Drop, without closing, the Chroma state a forked child inherited for ``directories``.

    Chroma shares one System per folder among a process's clients, and a System inherited
    through fork has lost its worker threads, so a new client on that folder would hang.
    """
    # NOTE: these are private attributes of chromadb's SharedSystemClient (read in 1.5.9).
    # If a later release renames them, getattr finds nothing and the child hangs again.
    systems = getattr(SharedSystemClient, "_identifier_to_system", {})
    refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", {})
    for directory in directories:
        systems.pop(str(directory), None)
        refcounts.pop(str(directory), None)


def query_similarities(
    collection: Collection, query: str, filters: Filters | None, limit: int
) -> dict[str, float]:
    """Return chunk id -> cosine similarity for the ``limit`` nearest chunks, best first."""
    result = collection.query(
        query_texts=[query], n_results=limit, where=where_clause(filters), include=["distances"]
    )
    distances = (result["distances"] or [[]])[0]
    ids = result["ids"][0]
    return {chunk_id: 1.0 - float(d) for chunk_id, d in zip(ids, distances, strict=True)}


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """Translate metadata filters (a value or a list of values per key) to a Chroma where."""
    clauses = [
        {key: value} if isinstance(value, str) else {key: {"$in": list(value)}}
        for key, value in (filters or {}).items()
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
