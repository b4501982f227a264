"""Reading CSV files into DuckDB with the quirks of real exports reported instead of hidden.

Every file is read as text first (``all_varchar``), so nothing is lost to DuckDB's type guess.
``text_types`` then decides each column's type and reports blank strings, Excel-style numbers
and mixed values. This module handles what sits around the values: the encoding and byte
order mark, line endings, header cells without a name and rows with the wrong number of fields.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tools.datasets.findings import Finding
from tools.datasets.sql import quote_identifier, quote_literal
from tools.errors import InvalidInputError

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_REPORTED_LINES = 5
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvDialect:
    """The encoding, line endings, delimiter and header of one file, read from its first bytes."""

    encoding: str  # a name that DuckDB's read_csv accepts
    has_bom: bool
    line_ending: str  # "LF", "CRLF", "CR" or "mixed"
    delimiter: str
    header_cells: list[str]


def read_sample(path: Path) -> bytes:
    """Return the first MiB of the file, decompressed when it is gzip."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        return handle.read(SAMPLE_BYTES)  # type: ignore[no-any-return]


def detect_encoding(sample: bytes) -> tuple[str, bool]:
    """Return the read_csv encoding and whether a byte order mark starts the file."""
    if sample.startswith(UTF8_BOM):
        return "utf-8", True
    if sample.startswith(UTF16_BOMS):
        return "utf-16", True
    try:
        # An incremental decoder accepts a multi-byte character cut off at the sample's end.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "latin-1", False
    return "utf-8", False


def detect_line_ending(sample: bytes) -> str:
    crlf = sample.count(b"\r\n")
    lone_cr = sample.count(b"\r") - crlf
    lone_lf = sample.count(b"\n") - crlf
    kinds = [name for name, count in (("CRLF", crlf), ("CR", lone_cr), ("LF", lone_lf)) if count]
    if len(kinds) > 1:
        return "mixed"
    return kinds[0] if kinds else "LF"


def first_line(sample: bytes, encoding: str) -> str:
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    return text.splitlines()[0] if text else ""


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def guess_delimiter(header_line: str) -> str:
    """Return the candidate delimiter that splits the header line most often (comma on a tie).

    The header decides because DuckDB's sniffer, which weighs every sampled row, can pick
    another delimiter when a few rows have a wrong number of fields.
    """
    counts = {d: _count_outside_quotes(header_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def sniff_dialect(path: Path, sample: bytes) -> CsvDialect:
    encoding, has_bom = detect_encoding(sample)
    header_line = first_line(sample, encoding)
    delimiter = guess_delimiter(header_line)
    reader = csv.reader(io.StringIO(header_line), delimiter=delimiter, quotechar='"')
    return CsvDialect(
        encoding=encoding,
        has_bom=has_bom,
        line_ending=detect_line_ending(sample),
        delimiter=delimiter,
        header_cells=next(reader, []),
    )


def file_findings(path: Path, dialect: CsvDialect) -> list[Finding]:
    """Report the byte-level quirks of one file."""
    findings: list[Finding] = []
    name = path.name
    if dialect.has_bom:
        findings.append(
            Finding(
                "byte_order_mark",
                "info",
                f"{name} starts with a {dialect.encoding} byte order mark; it was removed "
                "from the first column name",
                value=dialect.encoding,
            )
        )
    if dialect.encoding == "latin-1":
        findings.append(
            Finding(
                "encoding",
                "warning",
                f"{name} is not valid UTF-8; it was read as Latin-1, so check accented text",
                value="latin-1",
            )
        )
    if dialect.line_ending == "CRLF":
        findings.append(
            Finding(
                "line_endings",
                "info",
                f"{name} uses Windows CRLF line endings",
                value="CRLF",
            )
        )
    elif dialect.line_ending in ("CR", "mixed"):
        label = "classic Mac CR-only" if dialect.line_ending == "CR" else "mixed"
        findings.append(
            Finding(
                "line_endings",
                "warning",
                f"{name} uses {label} line endings; many tools read such a file as one line",
                value=dialect.line_ending,
            )
        )
    return findings


def _read_options(dialect: CsvDialect) -> str:
    return (
        f"all_varchar=true, header=true, delim={quote_literal(dialect.delimiter)}, "
        f"quote='\"', encoding={quote_literal(dialect.encoding)}"
    )


def read_raw(conn: duckdb.DuckDBPyConnection, path: Path, table: str, dialect: CsvDialect) -> int:
    """Create ``table`` with every field as text; return the number of rejected rows."""
    source = f"read_csv({quote_literal(str(path))}, {_read_options(dialect)}"
    try:
        conn.execute(f"CREATE TABLE {quote_identifier(table)} AS SELECT * FROM {source})")
        return 0
    except duckdb.Error as exc:
        log.debug("strict read of %s failed, retrying with rejects: %s", path, exc)
        strict_error = exc

    # Rows with too many or too few fields are set aside and counted, not silently dropped.
    rejects = f"{table}_rejects"
    try:
        conn.execute(
            f"CREATE TABLE {quote_identifier(table)} AS SELECT * FROM {source}, "
            f"store_rejects=true, rejects_table={quote_literal(rejects)}, "
            f"rejects_scan={quote_literal(rejects + '_scan')})"
        )
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"cannot read {str(path)!r} as CSV: {_first_line(exc)}; "
            "check that it is a delimited text file with a header row"
        ) from exc
    row = conn.execute(f"SELECT count(DISTINCT line) FROM {quote_identifier(rejects)}").fetchone()
    rejected = int(row[0]) if row else 0
    if rejected == 0:
        raise InvalidInputError(f"cannot read {str(path)!r} as CSV: {_first_line(strict_error)}")
    return rejected


def rejected_lines(conn: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    rows = conn.execute(
        f"SELECT DISTINCT line FROM {quote_identifier(table + '_rejects')} ORDER BY line LIMIT "
        f"{MAX_REPORTED_LINES}"
    ).fetchall()
    return [int(r[0]) for r in rows]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def unnamed_columns(dialect: CsvDialect, column_names: list[str]) -> list[str]:
    """Return DuckDB's names for the header cells that were empty."""
    if len(dialect.header_cells) != len(column_names):
        return []
    return [
        duck_name
        for cell, duck_name in zip(dialect.header_cells, column_names, strict=True)
        if not cell.strip()
    ]
