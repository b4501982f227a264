"""Pack a parsed document's blocks into chunks of bounded size, one section at a time.

Size is counted in units: a word of a space-separated script, or one CJK character (BERT's
WordPiece gives each CJK character its own token, so a unit is close to a token either way).
A section that fits stays whole; a larger one splits between blocks, and a block larger than
the room left splits between list items, table rows (each part repeats the header), code
lines (each part is fenced again) or sentences. Only when a section is split does the next
chunk repeat a short tail of prose from the previous one. A very short section merges with
the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.markdown import SECTION_SEPARATOR, Block, BlockKind, ParsedDocument

# MiniLM reads at most 256 tokens, about 190 English words; 240 units keeps most of a chunk
# visible to the dense side while leaving room for a whole section.
MAX_UNITS = 240
MIN_UNITS = 60
OVERLAP_UNITS = 40

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"
_UNIT = re.compile(f"[{_CJK}]|[^\\s{_CJK}{_CJK_PUNCTUATION}]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])|\n+")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_PROSE: frozenset[BlockKind] = frozenset({"paragraph", "quote", "html", "list"})


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: its text and the heading path it belongs to."""

    section: str
    text: str


@dataclass(frozen=True)
class _Piece:
    """A whole block, or one item, row, code line or sentence of a block too large to keep."""

    text: str
    kind: BlockKind
    block: int
    # Joins this piece to the previous piece of the same block ("" between sentences).
    glue: str = "\n"
    # Wraps every run of this block's pieces inside one chunk: a code fence, a table header.
    opening: str = ""
    closing: str = ""


def text_units(text: str) -> int:
    """Count the size units of ``text``: words, plus one per CJK character."""
    return len(_UNIT.findall(text))


def chunk_document(
    document: ParsedDocument,
    *,
    max_units: int = MAX_UNITS,
    min_units: int = MIN_UNITS,
    overlap_units: int = OVERLAP_UNITS,
) -> list[Chunk]:
    """Split a parsed document into chunks of at most about ``max_units`` units."""
    chunks: list[tuple[Chunk, bool]] = []
    for section, blocks in _sections(document.blocks):
        pieces = [
            piece
            for number, block in enumerate(blocks)
            for piece in _split_block(block, number, max_units)
        ]
        packed = _pack(section, pieces, max_units, overlap_units)
        chunks.extend((chunk, len(packed) == 1) for chunk in packed)
    return _merge_short_sections(chunks, min_units, max_units)


def _sections(blocks: list[Block]) -> list[tuple[str, list[Block]]]:
    # A heading with no body of its own (a parent of the next heading) rides along with the
    # next section, so its line stays in the text. Headings at the very end are dropped.
    sections: list[tuple[str, list[Block]]] = []
    pending: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            pending.append(block)
        elif pending or not sections or sections[-1][0] != block.section:
            sections.append((block.section, pending + [block]))
            pending = []
        else:
            sections[-1][1].append(block)
    return sections


def _split_block(block: Block, number: int, max_units: int) -> list[_Piece]:
    if text_units(block.text) <= max_units:
        return [_Piece(block.text, block.kind, number)]
    if block.kind == "code":
        return _split_code(block.text, number, max_units)
    if block.kind == "table" and len(block.parts) > 2:
        header = "\n".join(block.parts[:2]) + "\n"
        rows = [row for part in block.parts[2:] for row in _fit(part, max_units // 2)]
        return [_Piece(row, "table", number, opening=header) for row in rows]
    if block.kind == "list" and len(block.parts) > 1:
        return [
            _Piece(sentence, "list", number, "\n" if index == 0 else "")
            for item in block.parts
            for index, sentence in enumerate(_sentences(item, max_units))
        ]
    return [_Piece(s, block.kind, number, "") for s in _sentences(block.text, max_units)]


def _split_code(text: str, number: int, max_units: int) -> list[_Piece]:
    lines = text.split("\n")
    fence = _FENCE.match(lines[0])
    opening, closing = "", ""
    if fence is not None:
        opening, lines = lines[0] + "\n", lines[1:]
        if lines and lines[-1].strip().startswith(fence.group(1)):
            lines = lines[:-1]
        closing = "\n" + fence.group(1)
    parts = [part for line in lines for part in _fit(line, max_units // 2)]
    return [_Piece(part, "code", number, opening=opening, closing=closing) for part in parts]


def _pack(section: str, pieces: list[_Piece], max_units: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[_Piece] = []
    for piece in pieces:
        if current and _size(current + [piece]) > max_units:
            chunks.append(Chunk(section, _join(current)))
            current = _overlap(current, overlap, max_units - _size([piece]))
        current.append(piece)
    if current:
        chunks.append(Chunk(section, _join(current)))
    return chunks


def _overlap(previous: list[_Piece], overlap: int, room: int) -> list[_Piece]:
    # Repeat the last sentences of the previous chunk when they are prose of one block.
    budget = min(overlap, room)
    tail: list[_Piece] = []
    for piece in reversed(previous):
        if piece.kind not in _PROSE or (tail and piece.block != tail[0].block):
            break
        if _size([piece] + tail) > budget:
            break
        tail.insert(0, piece)
    return tail


def _size(pieces: list[_Piece]) -> int:
    return text_units(_join(pieces))


def _join(pieces: list[_Piece]) -> str:
    # Consecutive pieces of one block form a run, wrapped in that block's opening and closing.
    runs: list[list[_Piece]] = []
    for piece in pieces:
        if runs and runs[-1][-1].block == piece.block:
            runs[-1].append(piece)
        else:
            runs.append([piece])
    texts = []
    for run in runs:
        # Sentence pieces keep their trailing whitespace, so "" glue restores the source text.
        body = run[0].text + "".join(piece.glue + piece.text for piece in run[1:])
        texts.append(run[0].opening + body.strip() + run[0].closing)
    return "\n\n".join(texts).strip()


def _merge_short_sections(
    chunks: list[tuple[Chunk, bool]], min_units: int, max_units: int
) -> list[Chunk]:
    merged: list[tuple[Chunk, bool]] = []
    for chunk, whole in chunks:
        if merged and whole and merged[-1][1]:
            previous = merged[-1][0]
            units = text_units(previous.text)
            if units < min_units and units + text_units(chunk.text) <= max_units:
                common = _common_section(previous.section, chunk.section)
                section = common or previous.section or chunk.section
                merged[-1] = (Chunk(section, previous.text + "\n\n" + chunk.text), True)
                continue
        merged.append((chunk, whole))
    return [chunk for chunk, _ in merged]


def _common_section(first: str, second: str) -> str:
    common: list[str] = []
    for a, b in zip(first.split(SECTION_SEPARATOR), second.split(SECTION_SEPARATOR), strict=False):
        if a != b:
            break
        common.append(a)
    return SECTION_SEPARATOR.join(common)


def split_sentences(text: str) -> list[str]:
    """Split prose after sentence-ending punctuation (Latin or CJK) and at line breaks.

    Each sentence keeps the whitespace that follows it, so joining them gives back ``text``.
    """
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _sentences(text: str, max_units: int) -> list[str]:
    return [part for sentence in split_sentences(text) for part in _fit(sentence, max_units)]


def _fit(text: str, max_units: int) -> list[str]:
    """Cut ``text`` into parts of at most ``max_units`` units, between units."""
    if text_units(text) <= max_units:
        return [text]
    starts = [match.start() for match in _UNIT.finditer(text)][::max_units]
    starts[0] = 0
    bounds = starts[1:] + [len(text)]
    return [text[start:end] for start, end in zip(starts, bounds, strict=True)]
