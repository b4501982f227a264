"""Read a Markdown or plain-text document into blocks that carry their heading path.

A block is one top-level Markdown element (paragraph, list, table, fenced or indented code,
block quote, HTML block) kept as its source text, so the chunker can keep it whole. YAML
front matter becomes metadata, a UTF-8 byte order mark is dropped, and HTML tags are
stripped outside code while their text is kept.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

logger = logging.getLogger(__name__)

BlockKind = Literal["paragraph", "list", "table", "code", "quote", "html", "heading"]

SECTION_SEPARATOR = " > "
_MAX_HEADING_CHARS = 120

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+)>")
_LINE_BREAK_TAG = re.compile(r"<(?:br|hr)\b[^<>]*>|</(?:p|div|tr|li|h[1-6]|table|ul|ol)\s*>", re.I)
_CELL_END_TAG = re.compile(r"</(?:td|th)\s*>", re.I)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.I | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")

_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_CONTAINERS: dict[str, BlockKind] = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "blockquote_open": "quote",
}


@dataclass(frozen=True)
class Block:
    """One top-level element of a document, with the heading path it sits under."""

    kind: BlockKind
    text: str
    section: str
    # Source text of each list item or table row, so an oversized block splits on them.
    parts: tuple[str, ...] = ()


@dataclass
class ParsedDocument:
    """A document's title, front matter and blocks in reading order."""

    title: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


def clean_source(text: str) -> str:
    """Drop a byte order mark and normalise line endings to ``\\n``."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split leading YAML front matter from the body.

    A block holding only YAML comments is dropped. A block that is not a YAML mapping is
    kept as text, because a document may open with a thematic break (``---``) instead.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        loaded = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        logger.warning("leading --- block is not valid YAML, so it is kept as text: %s", exc)
        return {}, text
    if loaded is None:
        return {}, text[match.end() :]
    if not isinstance(loaded, dict):
        return {}, text
    return loaded, text[match.end() :]


def strip_html(text: str) -> str:
    """Remove HTML tags and comments, keeping their text and decoding entities."""
    text = _HTML_COMMENT.sub("", text)
    text = _SCRIPT_OR_STYLE.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _LINE_BREAK_TAG.sub("\n", text)
    text = _CELL_END_TAG.sub(" ", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_markdown(text: str, *, default_title: str) -> ParsedDocument:
    """Parse Markdown source into front matter, a title and heading-scoped blocks."""
    front_matter, body = split_front_matter(clean_source(text))
    lines = body.split("\n")
    tokens = _PARSER.parse(body)

    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    first_heading = ""
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        source = "\n".join(lines[token.map[0] : token.map[1]]).strip("\n")

        if token.type == "heading_open":
            level = int(token.tag[1])
            title = heading_text(tokens[index + 1].content)
            headings = [(lvl, name) for lvl, name in headings if lvl < level] + [(level, title)]
            # The title is the first H1, or a heading that opens the document at any level.
            if not first_heading and (level == 1 or not blocks):
                first_heading = title
            blocks.append(Block("heading", "#" * level + " " + title, _path(headings)))
            continue

        block = _block(token, tokens, index, source, lines, _path(headings))
        if block is not None:
            blocks.append(block)

    title = str(front_matter.get("title") or first_heading or default_title)
    return ParsedDocument(title=title, front_matter=front_matter, blocks=blocks)


def parse_plain_text(text: str, *, default_title: str) -> ParsedDocument:
    """Read plain text as paragraphs separated by blank lines, with no sections."""
    body = clean_source(text)
    paragraphs = [part.strip("\n") for part in _BLANK_LINES.split(body)]
    blocks = [Block("paragraph", part, "") for part in paragraphs if part.strip()]
    return ParsedDocument(title=default_title, blocks=blocks)


def heading_text(inline_source: str) -> str:
    """Turn a heading's inline source into a one-line label without HTML or emphasis marks."""
    text = _EMPHASIS.sub("", _LINK.sub(r"\1", strip_html(inline_source)))
    text = " ".join(text.split())
    return text[:_MAX_HEADING_CHARS]


def _path(headings: list[tuple[int, str]]) -> str:
    return SECTION_SEPARATOR.join(name for _, name in headings if name)


def _block(
    token: Token, tokens: list[Token], index: int, source: str, lines: list[str], section: str
) -> Block | None:
    if token.type in ("fence", "code_block"):
        return Block("code", source, section)
    if token.type == "html_block":
        text = strip_html(source)
        return Block("html", text, section) if text else None
    kind = _CONTAINERS.get(token.type)
    if kind is None:
        return None  # closing tokens, thematic breaks

    text = strip_html(source) if kind in ("paragraph", "quote") else _strip_inline_html(source)
    if not text.strip():
        return None
    if kind == "list":
        return Block(kind, text, section, _child_sources(tokens, index, "list_item_open", lines))
    if kind == "table":
        return Block(kind, text, section, tuple(text.split("\n")))
    return Block(kind, text, section)


def _strip_inline_html(source: str) -> str:
    # Lists and tables keep their line structure: one item or row per line matters more than
    # the paragraph-level clean-up done by strip_html.
    lines = []
    for line in _HTML_COMMENT.sub("", source).split("\n"):
        text = html.unescape(_TAG.sub("", line))
        indent = len(text) - len(text.lstrip(" "))
        lines.append(text[:indent] + _SPACES.sub(" ", text[indent:]).rstrip())
    return "\n".join(lines)


def _child_sources(
    tokens: list[Token], index: int, child_type: str, lines: list[str]
) -> tuple[str, ...]:
    level = tokens[index].level + 1
    parts: list[str] = []
    for token in tokens[index + 1 :]:
        if token.level < level:
            break
        if token.type == child_type and token.level == level and token.map is not None:
            item = "\n".join(lines[token.map[0] : token.map[1]]).strip("\n")
            parts.append(_strip_inline_html(item))
    return tuple(parts)
