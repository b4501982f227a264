"""Knowledge index: chunked documents and entity notes, searched densely, lexically or fused.

A domain service like the store: tools call it, it never calls tools.
"""

from knowledge.fusion import RelevanceFloor
from knowledge.index import KnowledgeIndex
from knowledge.results import (
    DOCUMENT_KINDS,
    DocumentKind,
    IndexReport,
    IndexStats,
    Passage,
    SearchMode,
)

__all__ = [
    "DOCUMENT_KINDS",
    "DocumentKind",
    "IndexReport",
    "IndexStats",
    "KnowledgeIndex",
    "Passage",
    "RelevanceFloor",
    "SearchMode",
]
