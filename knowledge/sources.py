"""Turn a file or an entity's text into the chunks the index stores, with their ids and hashes."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.chunking import chunk_document
from knowledge.lexical import tokenize
from knowledge.markdown import SECTION_SEPARATOR, parse_markdown, parse_plain_text
from knowledge.results import DocumentKind
from tools.errors import InvalidInputError

# Part of every source hash: bump it when chunking or tokenising changes, so the next
# index run re-chunks sources whose text did not change.
PIPELINE_VERSION = "3"
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt"})
INDEXED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_URL = re.compile(r"\b(?:https?|ftp)://([^/\s)\]>]+)[^\s)\]>]*")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$", re.MULTILINE)
_MARKUP = re.compile(r"\*\*|__|`")


@dataclass(frozen=True)
class SourceInfo:
    """Identity and labels shared by every chunk of one source."""

    source_id: str
    kind: DocumentKind
    title: str = ""
    entity_type: str = ""
    entity_id: str = ""


@dataclass(frozen=True)
class PreparedChunk:
    """A chunk ready to store: stable id, display text and the text to embed and tokenise."""

    chunk_id: str
    section: str
    text: str
    embedded_text: str
    tokens: tuple[str, ...]


@dataclass
class PreparedSource:
    """A source's chunks and the metadata every one of them carries."""

    info: SourceInfo
    title: str
    source_hash: str
    chunks: list[PreparedChunk]
    front_matter: dict[str, Any] = field(default_factory=dict)

    def metadata(self, ordinal: int, chunk: PreparedChunk) -> dict[str, str | int]:
        """Return the Chroma metadata of this source's chunk number ``ordinal``."""
        return {
            "source": self.info.source_id,
            "source_hash": self.source_hash,
            "title": self.title,
            "section": chunk.section,
            "kind": self.info.kind,
            "entity_type": self.info.entity_type,
            "entity_id": self.info.entity_id,
            "ordinal": ordinal,
            "front_matter": json.dumps(self.front_matter, default=str, ensure_ascii=False),
            "tokens": " ".join(chunk.tokens),
        }


def read_text_file(path: Path) -> str:
    """Read a UTF-8 file (with or without a byte order mark)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "convert it to UTF-8 and index it again"
        ) from exc


def source_hash(info: SourceInfo, text: str) -> str:
    """Hash everything that decides a source's chunks, so an unchanged source is skipped."""
    digest = hashlib.sha256()
    for part in (PIPELINE_VERSION, info.kind, info.title, info.entity_type, info.entity_id, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def prepare_source(info: SourceInfo, text: str, *, markdown: bool) -> PreparedSource:
    """Parse and chunk ``text`` and give each chunk a content-derived id."""
    default_title = info.title or Path(info.source_id).stem
    if markdown:
        document = parse_markdown(text, default_title=default_title)
    else:
        document = parse_plain_text(text, default_title=default_title)
    title = info.title or document.title

    chunks: list[PreparedChunk] = []
    seen: dict[str, int] = {}
    source_digest = hashlib.sha256(info.source_id.encode("utf-8")).hexdigest()[:10]
    for chunk in chunk_document(document):
        embedded = embedded_text(title, chunk.section, chunk.text)
        content = hashlib.sha256(embedded.encode("utf-8")).hexdigest()[:16]
        # The same text twice in one source still needs two ids.
        seen[content] = seen.get(content, 0) + 1
        suffix = "" if seen[content] == 1 else f"-{seen[content]}"
        chunk_id = f"{source_digest}-{content}{suffix}"
        chunks.append(
            PreparedChunk(chunk_id, chunk.section, chunk.text, embedded, tuple(tokenize(embedded)))
        )
    return PreparedSource(
        info=info,
        title=title,
        source_hash=source_hash(info, text),
        chunks=chunks,
        front_matter=document.front_matter,
    )


def embedded_text(title: str, section: str, text: str) -> str:
    """Build the text that is embedded and tokenised for BM25 for one chunk.

    The chunk is prefixed with its document title and heading path. Markdown noise that
    costs tokens without carrying meaning (link targets, emphasis marks, table rules) is
    removed, and a URL is reduced to its host name.
    """
    context = section if section.split(SECTION_SEPARATOR)[0] == title else _join(title, section)
    plain = _plain(text)
    return f"{context}\n\n{plain}" if context else plain


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(r"\1", text)
    text = _TABLE_RULE.sub("", text)
    return _MARKUP.sub("", text)


def _join(title: str, section: str) -> str:
    return SECTION_SEPARATOR.join(part for part in (title, section) if part)
