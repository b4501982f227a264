"""Loading a CSV, Parquet or HDF5 file, or a folder of them, into an in-memory DuckDB table.

The result is a DuckDB connection that contains the table ``data``, plus the quirks the
readers had to work around, as quality findings. A folder is read as one table: its files
must share one format, and their columns are matched by name. An HDF5 file with several
tables is addressed as ``PATH#KEY``, where KEY is the table's path inside the file.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from tools.datasets import csv_reader, hdf5_reader
from tools.datasets.findings import Finding, plural
from tools.datasets.sql import quote_identifier, quote_literal
from tools.datasets.text_types import create_typed_table, decide_types, decision_findings
from tools.errors import InvalidInputError

log = logging.getLogger(__name__)

Format = Literal["csv", "parquet", "hdf5"]
DATA_TABLE = "data"
SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".csv.gz": "csv",
    ".tsv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".hdf": "hdf5",
    ".he5": "hdf5",
}
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class DatasetSource:
    """A resolved path: the files to read, their format, and an HDF5 table key if one was given."""

    spec: str  # what to store as the version's path: the absolute path, plus #KEY for HDF5
    root: Path
    files: list[Path]
    format: Format
    key: str | None = None

    @property
    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)


@dataclass
class LoadedTable:
    """An in-memory DuckDB connection with the table ``data``, and the reading findings."""

    connection: duckdb.DuckDBPyConnection
    source: DatasetSource
    findings: list[Finding] = field(default_factory=list)

    def close(self) -> None:
        self.connection.close()


def format_of(path: Path) -> Format | None:
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def resolve_source(spec: str | Path) -> DatasetSource:
    """Resolve a path (file, folder, or ``file.h5#KEY``) to the files it means."""
    text = str(spec)
    path, key = Path(text).expanduser(), None
    if not path.exists() and "#" in text:
        head, key = text.rsplit("#", 1)
        path = Path(head).expanduser()
    if not path.exists():
        raise InvalidInputError(f"no file or folder at {text!r}; check the path")
    path = path.resolve()
    if path.is_dir():
        return _folder_source(path)
    fmt = format_of(path)
    if fmt is None:
        raise InvalidInputError(
            f"{path.name!r} is not a CSV, Parquet or HDF5 file; expected one of "
            f"{', '.join(sorted(SUFFIXES))}"
        )
    if key is not None and fmt != "hdf5":
        raise InvalidInputError(f"only HDF5 files take a #KEY suffix, not {text!r}")
    spec_text = f"{path}#{key}" if key else str(path)
    return DatasetSource(spec_text, path, [path], fmt, key)


def _folder_source(folder: Path) -> DatasetSource:
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and format_of(p) is not None
    )
    if not files:
        raise InvalidInputError(
            f"the folder {str(folder)!r} contains no CSV, Parquet or HDF5 files; "
            "give a folder with data files or a single file"
        )
    formats = sorted({format_of(p) or "" for p in files})
    if len(formats) > 1:
        raise InvalidInputError(
            f"the folder {str(folder)!r} mixes {' and '.join(formats)} files; "
            "register each format as its own dataset"
        )
    return DatasetSource(str(folder), folder, files, formats[0])  # type: ignore[arg-type]


def content_hash(source: DatasetSource) -> str:
    """Return the SHA-256 of the content: a single file's bytes, or a folder's files and names.

    The file name of a single file is left out, so the same bytes at another path are the same
    content. A folder's relative file names are part of its content.
    """
    digest = hashlib.sha256()
    single = len(source.files) == 1 and not source.root.is_dir()
    for path in source.files:
        if not single:
            digest.update(path.relative_to(source.root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    if source.key:
        digest.update(b"#" + source.key.encode())
    return digest.hexdigest()


def load_source(source: DatasetSource) -> LoadedTable:
    """Read the files of ``source`` into the table ``data`` of a new in-memory connection."""
    conn = duckdb.connect(":memory:")
    conn.execute("SET enable_progress_bar = false")
    loaded = LoadedTable(conn, source)
    try:
        if source.format == "csv":
            loaded.findings.extend(_load_csv(conn, source.files))
        elif source.format == "parquet":
            _load_parquet(conn, source.files)
        else:
            _load_hdf5(conn, source)
    except BaseException:
        conn.close()
        raise
    log.debug("loaded %s (%d files) into DuckDB", source.spec, len(source.files))
    return loaded


def load_dataset(spec: str | Path) -> LoadedTable:
    return load_source(resolve_source(spec))


def _load_csv(conn: duckdb.DuckDBPyConnection, files: list[Path]) -> list[Finding]:
    findings: list[Finding] = []
    raw_tables: list[str] = []
    for index, path in enumerate(files):
        table = f"raw_{index}"
        findings.extend(_load_csv_file(conn, path, table))
        raw_tables.append(table)

    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {quote_identifier(t)}" for t in raw_tables)
    conn.execute(f"CREATE TABLE raw AS {union}")
    columns = [row[0] for row in conn.execute("DESCRIBE raw").fetchall()]
    decisions = decide_types(conn, "raw", columns)
    findings.extend(decision_findings(conn, "raw", decisions))
    create_typed_table(conn, "raw", DATA_TABLE, decisions)
    findings.extend(_index_column_findings(conn, files, findings))
    return findings


def _load_csv_file(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[Finding]:
    sample = csv_reader.read_sample(path)
    if not sample.strip():
        raise InvalidInputError(f"{str(path)!r} is empty; give a CSV file with a header row")
    dialect = csv_reader.sniff_dialect(path, sample)
    findings = csv_reader.file_findings(path, dialect)
    rejected = csv_reader.read_raw(conn, path, table, dialect)
    if rejected:
        lines = csv_reader.rejected_lines(conn, table)
        findings.append(
            Finding(
                "malformed_rows",
                "warning",
                f"{path.name} has {plural(rejected, 'row')} with the wrong number of fields (lines "
                f"{', '.join(map(str, lines))}{'...' if rejected > len(lines) else ''}); "
                "they were left out",
                value=rejected,
            )
        )
    columns = [row[0] for row in conn.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()]
    for name in csv_reader.unnamed_columns(dialect, columns):
        findings.append(
            Finding(
                "unnamed_column",
                "warning",
                f"{path.name} has a column without a header name; it was named {name!r}",
                column=name,
            )
        )
    return findings


def _index_column_findings(
    conn: duckdb.DuckDBPyConnection, files: list[Path], findings: list[Finding]
) -> list[Finding]:
    """Mark unnamed columns that only count rows, as pandas' ``to_csv`` writes its index."""
    extra: list[Finding] = []
    unnamed = {f.column for f in findings if f.check == "unnamed_column" and f.column}
    for column in sorted(unnamed):
        quoted = quote_identifier(column)
        row = conn.execute(
            f"SELECT count(*), count(DISTINCT {quoted}), min({quoted}), max({quoted}), "
            f"typeof(any_value({quoted})) FROM {DATA_TABLE}"
        ).fetchone()
        if row is None or row[4] != "BIGINT":
            continue
        count, distinct, low, high = (int(v) for v in row[:4])
        if distinct == count and low in (0, 1) and high - low == count - 1:
            extra.append(
                Finding(
                    "index_column",
                    "warning",
                    f"{column!r} has no name and numbers the rows {low}..{high}: it is an "
                    "index written by pandas, not a feature; drop it before training",
                    column=column,
                    value=count,
                )
            )
    return extra


def _load_parquet(conn: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    paths = "[" + ", ".join(quote_literal(str(p)) for p in files) + "]"
    try:
        conn.execute(
            f"CREATE TABLE {DATA_TABLE} AS SELECT * FROM read_parquet({paths}, union_by_name=true)"
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(
            f"cannot read {str(files[0].parent if len(files) > 1 else files[0])!r} as Parquet: "
            f"{first}; check that the files are complete Parquet files"
        ) from exc


def _load_hdf5(conn: duckdb.DuckDBPyConnection, source: DatasetSource) -> None:
    frames = []
    for path in source.files:
        table = hdf5_reader.choose_table(path, source.key)
        frames.append(hdf5_reader.read_table(path, table))
    for index, frame in enumerate(frames):
        conn.register(f"frame_{index}", frame)
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM frame_{i}" for i in range(len(frames)))
    conn.execute(f"CREATE TABLE {DATA_TABLE} AS {union}")
    for index in range(len(frames)):
        conn.unregister(f"frame_{index}")
