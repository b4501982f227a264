"""One open knowledge index per folder and process, reused by every search in that process.

Opening an index starts a Chroma client, and the first search of a process loads the embedding
model. A long-lived process (console, Slack bot, chat, eval harness) pays that once per folder.
Each shared index refreshes itself when another process writes to its folder (see
``KnowledgeIndex.refresh``), so reuse never serves stale passages.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.collection import forget_inherited_clients
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

# Folders a process keeps open at once. Beyond this, the least recently used index is closed.
# A server uses one workspace, but the eval harness and the tests open one per workspace copy.
MAX_OPEN_INDEXES = 4


@dataclass
class _SharedIndex:
    index: KnowledgeIndex
    # Held while a caller uses the index: Chroma clients and the cached catalog are not
    # safe to reopen while another thread searches.
    lock: threading.RLock = field(default_factory=threading.RLock)
    closed: bool = False


_open: OrderedDict[Path, _SharedIndex] = OrderedDict()
_registry_lock = threading.Lock()


@contextmanager
def shared_index(directory: Path) -> Iterator[KnowledgeIndex]:
    """Yield this process's index for ``directory``, opening it on first use.

    Other threads that ask for the same folder wait until the block ends. Callers must not
    close the yielded index, because ``close_shared_indexes`` does that.
    """
    directory = directory.expanduser().resolve()
    while True:
        entry, evicted = _entry(directory)
        for old in evicted:
            _close(old)
        with entry.lock:
            # Another thread may have evicted and closed this entry while this one waited.
            if entry.closed:
                continue
            yield entry.index
            return


def close_shared_indexes() -> None:
    """Close every shared index, for example before deleting a workspace in this process."""
    with _registry_lock:
        entries = list(_open.values())
        _open.clear()
    for entry in entries:
        _close(entry)


def _entry(directory: Path) -> tuple[_SharedIndex, list[_SharedIndex]]:
    with _registry_lock:
        entry = _open.get(directory)
        if entry is not None:
            _open.move_to_end(directory)
            return entry, []
        entry = _SharedIndex(KnowledgeIndex(directory))
        _open[directory] = entry
        evicted = []
        while len(_open) > MAX_OPEN_INDEXES:
            evicted.append(_open.popitem(last=False)[1])
        return entry, evicted


def _forget_after_fork() -> None:
    # A forked child cannot use the parent's Chroma clients, whose threads did not survive
    # the fork. It drops them unclosed and opens its own, with new locks, on first use.
    global _registry_lock
    forget_inherited_clients(list(_open))
    _open.clear()
    _registry_lock = threading.Lock()


# os.register_at_fork exists only where os.fork does (POSIX).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _close(entry: _SharedIndex) -> None:
    # Closed outside the registry lock: waiting here for a thread that still uses the index
    # must not block other threads from opening theirs.
    with entry.lock:
        entry.closed = True
        entry.index.close()
    log.debug("closed shared knowledge index %s", entry.index.directory)
