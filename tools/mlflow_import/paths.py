"""Map MLflow artifact URIs to folders on this machine.

A copied mlruns folder keeps the URIs of the machine that wrote it: ``file:///C:/Users/...``,
the malformed ``file:C:/...`` that some MLflow 3 versions write on Windows, or paths with
spaces. The file store's own layout (``<experiment>/<run>/artifacts``) is the same everywhere,
so such a URI is rebased onto the local tracking folder by its trailing segments.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

_SEPARATORS = re.compile(r"[\\/]+")
_DRIVE = re.compile(r"^/?[A-Za-z]:")


def uri_path(uri: str) -> str | None:
    """Return the path part of a ``file:`` URI or a plain path; None for other schemes."""
    text = uri.strip()
    if text.startswith("file:"):
        text = unquote(text.removeprefix("file:"))
        if text.startswith("///"):
            return text[2:]
        if text.startswith("//"):
            # file://host/path: keep the path and drop the host.
            return "/" + text[2:].partition("/")[2]
        return text
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:/", text) and not _DRIVE.match(text):
        return None
    return text


def is_windows_path(path: str) -> bool:
    return bool(_DRIVE.match(path)) or "\\" in path


def local_folder(uri: str | None, root: Path | None) -> Path | None:
    """Find the local folder for an artifact URI, trying it as is and then under ``root``."""
    if not uri:
        return None
    path = uri_path(uri)
    if path is None:
        return None
    if not is_windows_path(path):
        candidate = Path(path)
        if candidate.exists():
            return candidate
    return rebase(path, root) if root is not None else None


def rebase(path: str, root: Path) -> Path | None:
    """Find the longest trailing part of ``path`` that exists below ``root``.

    Only a suffix that starts with a folder directly under ``root`` (an experiment id or
    ``models``) is tried, so an unrelated folder with the same name deeper down never matches.
    """
    segments = [segment for segment in _SEPARATORS.split(path) if segment]
    for index, segment in enumerate(segments):
        if segment in (".", "..") or not (root / segment).is_dir():
            continue
        candidate = root.joinpath(*segments[index:])
        if candidate.exists():
            return candidate
    return None
