"""A marker file that every write to an index folder replaces, so other processes notice.

A process that keeps a Chroma client open does not see another process's writes in its
queries (see ``KnowledgeIndex.refresh``), so it needs a cheap way to learn that the folder
changed. The modification time of ``chroma.sqlite3`` is not one: Chroma writes to that file
whenever any process opens a client on it, even one that only reads. The marker is a random
token instead, replaced after each write by ``KnowledgeIndex`` and read before each use.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

MARKER_FILE = "change_marker"
_LOCK_FILE = "change_marker.lock"
_DATABASE_FILE = "chroma.sqlite3"


@dataclass(frozen=True)
class FolderState:
    """The marker token of an index folder and the device and inode of its database file.

    The database file's device and inode change only when the folder is deleted and built
    again, which a token copied along with the folder would not reveal.
    """

    token: str | None
    database: tuple[int, int] | None


class ChangeMarker:
    """Reads and replaces the marker of one index folder, and remembers what was seen."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen = self.current()

    def current(self) -> FolderState:
        """Read the folder's state now: one stat and one read of a 32-character file."""
        try:
            token: str | None = (self.directory / MARKER_FILE).read_text(encoding="ascii")
        except FileNotFoundError:
            token = None
        return FolderState(token, self._database())

    def record_open(self, before: FolderState) -> None:
        """Remember the state read just ``before`` the collection was (re)opened.

        Its token comes from before opening, so a write that lands while the collection
        opens still counts as a change. The database file is taken from after opening,
        because opening a new folder creates it.
        """
        self.seen = FolderState(before.token, self._database())

    def record_write(self) -> None:
        """Replace the token after this process wrote to the folder.

        The lock makes reading and replacing the token one step across processes. When the
        token found is not the one this process last saw, another process wrote in between,
        so ``seen`` keeps its old value and the next comparison with ``current()`` differs.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        new_token = uuid.uuid4().hex
        with FileLock(self.directory / _LOCK_FILE):
            before = self.current()
            scratch = self.directory / f"{MARKER_FILE}.{os.getpid()}.tmp"
            scratch.write_text(new_token, encoding="ascii")
            # os.replace is atomic, so a reader sees the old token or the new one, never half.
            os.replace(scratch, self.directory / MARKER_FILE)
        if before == self.seen:
            self.seen = FolderState(new_token, before.database)

    def _database(self) -> tuple[int, int] | None:
        try:
            stat = (self.directory / _DATABASE_FILE).stat()
        except FileNotFoundError:
            return None
        return (stat.st_dev, stat.st_ino)
