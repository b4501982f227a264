"""Find MLflow tracking folders (mlruns) inside a folder, e.g. a whole repository."""

from __future__ import annotations

import os
from pathlib import Path

# Folders that never hold a tracking store and can be large; skipping them keeps the walk short.
_PRUNED = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env"})
# Enough of a meta.yaml to recognise it without parsing the whole file.
_HEAD_BYTES = 4096
_EXPERIMENT_MARKERS = (b"experiment_id", b"artifact_location")
_REGISTRY_MARKERS = (b"creation_timestamp", b"last_updated_timestamp")


def find_tracking_roots(folder: Path) -> list[Path]:
    """Return every tracking folder at or below ``folder``, outermost first, without nesting."""
    roots: list[Path] = []
    for directory, subdirectories, _ in os.walk(folder):
        path = Path(directory)
        if is_tracking_root(path):
            roots.append(path)
            subdirectories.clear()
            continue
        subdirectories[:] = sorted(
            name for name in subdirectories if not name.startswith(".") and name not in _PRUNED
        )
    return roots


def is_tracking_root(path: Path) -> bool:
    """Tell whether ``path`` contains an MLflow file store (experiments or a registry).

    The folder name alone proves nothing: a folder of collected stores may be called mlruns
    too. A new store that MLflow initialised but never wrote to has only ``.trash``.
    """
    if path.name == "mlruns" and (path / ".trash").is_dir():
        return True
    try:
        children = [child for child in path.iterdir() if child.is_dir()]
    except OSError:
        return False
    for child in children:
        if child.name == "models":
            if any(_head_has(meta, _REGISTRY_MARKERS) for meta in child.glob("*/meta.yaml")):
                return True
        elif not child.name.startswith(".") and _head_has(child / "meta.yaml", _EXPERIMENT_MARKERS):
            return True
    return False


def _head_has(path: Path, markers: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError:
        return False
    return any(marker in head for marker in markers)
