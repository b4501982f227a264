"""Finding tables inside HDF5 files with h5py and turning one into a pandas DataFrame.

HDF5 has no notion of a table, so three common layouts count as one:
- a one-dimensional dataset with a compound dtype: one column per field;
- a two-dimensional dataset: one column per column index (names from a ``columns`` attribute
  when it has one, else ``col_0``, ``col_1`` ...);
- a group whose members are one-dimensional datasets of equal length: one column per member.
Files written by pandas' ``to_hdf`` (PyTables layout) are read with ``pandas.read_hdf`` when
PyTables is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from tools.errors import InvalidInputError

PANDAS_MARKER = "pandas_type"


@dataclass(frozen=True)
class Hdf5Table:
    key: str  # the object's path inside the file, such as "/train" or "/data/features"
    layout: str  # compound, matrix, columns or pandas
    rows: int


def _decode(values: np.ndarray) -> np.ndarray | list[Any]:
    if values.dtype.kind in ("S", "O"):
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
    return values


def _equal_length_columns(group: h5py.Group) -> int | None:
    lengths = set()
    for member in group.values():
        if not isinstance(member, h5py.Dataset) or member.ndim != 1 or member.dtype.names:
            return None
        lengths.add(member.shape[0])
    return lengths.pop() if len(lengths) == 1 else None


def list_tables(path: Path) -> list[Hdf5Table]:
    """Return every object in the file that reads as a table."""
    tables: list[Hdf5Table] = []
    try:
        with h5py.File(path, "r") as handle:
            _collect(handle, tables)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot open {str(path)!r} as HDF5: {exc}; check that the file is complete"
        ) from exc
    return tables


def _collect(group: h5py.Group, tables: list[Hdf5Table]) -> None:
    if PANDAS_MARKER in group.attrs:
        tables.append(Hdf5Table(group.name or "/", "pandas", -1))
        return
    rows = _equal_length_columns(group) if len(group) else None
    if rows is not None:
        tables.append(Hdf5Table(group.name or "/", "columns", rows))
        return
    for member in group.values():
        if isinstance(member, h5py.Group):
            _collect(member, tables)
        elif isinstance(member, h5py.Dataset) and member.dtype.names and member.ndim == 1:
            tables.append(Hdf5Table(member.name or "", "compound", member.shape[0]))
        elif isinstance(member, h5py.Dataset) and member.ndim == 2:
            tables.append(Hdf5Table(member.name or "", "matrix", member.shape[0]))


def choose_table(path: Path, key: str | None) -> Hdf5Table:
    tables = list_tables(path)
    keys = ", ".join(t.key for t in tables)
    if key is not None:
        requested = key if key.startswith("/") else "/" + key
        for table in tables:
            if table.key == requested:
                return table
        raise InvalidInputError(
            f"{str(path)!r} has no table at {key!r}; tables found: {keys or 'none'}"
        )
    if len(tables) == 1:
        return tables[0]
    if not tables:
        raise InvalidInputError(
            f"{str(path)!r} contains no table: expected a compound dataset, a 2-D dataset or a "
            "group of equal-length 1-D datasets"
        )
    raise InvalidInputError(
        f"{str(path)!r} contains {len(tables)} tables ({keys}); register one as PATH#KEY, "
        f"for example {str(path)}#{tables[0].key}"
    )


def read_table(path: Path, table: Hdf5Table) -> pd.DataFrame:
    """Read one table of the file into a DataFrame."""
    if table.layout == "pandas":
        return _read_pandas(path, table.key)
    with h5py.File(path, "r") as handle:
        node = handle[table.key]
        if table.layout == "compound":
            data = node[()]
            return pd.DataFrame({name: _decode(data[name]) for name in data.dtype.names})
        if table.layout == "matrix":
            return _matrix_frame(node)
        return pd.DataFrame({name: _decode(member[()]) for name, member in node.items()})


def _matrix_frame(node: h5py.Dataset) -> pd.DataFrame:
    values = node[()]
    names_attr = node.attrs.get("columns")
    if names_attr is not None and len(names_attr) == values.shape[1]:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in names_attr]
    else:
        names = [f"col_{i}" for i in range(values.shape[1])]
    return pd.DataFrame(values, columns=names)


def _read_pandas(path: Path, key: str) -> pd.DataFrame:
    try:
        import tables  # noqa: F401  (pandas.read_hdf needs PyTables)
    except ImportError as exc:
        raise InvalidInputError(
            f"{str(path)!r} was written by pandas.to_hdf, which needs PyTables to read; "
            "run `pip install tables` or export the table to Parquet"
        ) from exc
    frame = pd.read_hdf(path, key=key)
    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_frame()
    return frame.reset_index(drop=True)
