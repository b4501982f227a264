"""The per-process knowledge index: reused while nothing changes, refreshed after other processes.

Real DuckDB and Chroma files in tmp_path. The "other process" is a real subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import knowledge.index
import tools.knowledge_sync.sync
from knowledge.change_marker import ChangeMarker
from knowledge.shared import MAX_OPEN_INDEXES, close_shared_indexes, shared_index
from tests.factories import add_model_version
from tools.catalog.knowledge import SearchKnowledgeArgs, SearchKnowledgeResult, search_knowledge
from tools.knowledge_sync import open_index
from tools.settings import get_settings
from tools.store.db import Store, open_store
from tools.store.schema import ModelVersion
from tools.tool_registry import ToolContext

PROJECT_ROOT = Path(__file__).resolve().parent.parent

OLD_CARD = """# fraud-detector v1

## Calibration

Scores are calibrated with isotonic regression on the March holdout.
"""

NEW_CARD = """# fraud-detector v1

## Threshold

The decision threshold moved to 0.35 after the quarterly chargeback review.
"""

ADD_NOTE = """
import sys
from tools.settings import get_settings
from tools.store.db import open_store
from tools.store.schema import Note

store = open_store(get_settings())
with store.session() as session:
    session.add(
        Note(
            entity_type="registered_model",
            entity_id="fraud-detector",
            title="Feature freeze",
            body=sys.argv[1],
            author="dana",
        )
    )
store.release()
"""

# Replaces the model card in the store, then searches, which re-indexes the card here.
REINDEX_CARD = """
import json, sys
from sqlmodel import select
from tools.clock import now
from tools.catalog.knowledge import SearchKnowledgeArgs, search_knowledge
from tools.settings import get_settings
from tools.store.db import open_store
from tools.store.schema import ModelVersion
from tools.tool_registry import ToolContext

settings = get_settings()
store = open_store(settings)
with store.session() as session:
    version = session.exec(select(ModelVersion)).one()
    version.model_card = sys.argv[1]
    version.updated_at = now()
    session.add(version)
context = ToolContext(store=store, settings=settings, user="dana", role="editor", channel="cli")
result = search_knowledge(context, SearchKnowledgeArgs(query=sys.argv[2]))
store.release()
print(json.dumps([passage.text for passage in result.passages]))
"""


@pytest.fixture(autouse=True)
def _fresh_shared_indexes() -> Iterator[None]:
    close_shared_indexes()
    yield
    close_shared_indexes()


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store(get_settings())
    yield opened
    opened.release()


@pytest.fixture
def context(store: Store) -> ToolContext:
    return ToolContext(
        store=store, settings=get_settings(), user="carol", role="viewer", channel="cli"
    )


@pytest.fixture
def card_version(store: Store) -> None:
    add_model_version(store, "fraud-detector", 1, None)
    with store.session() as session:
        version = session.exec(select(ModelVersion)).one()
        version.model_card = OLD_CARD
        session.add(version)


class CallCounter:
    """Wraps a module function and counts its calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls = 0
        original: Callable[..., Any] = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


def search(context: ToolContext, query: str) -> SearchKnowledgeResult:
    return search_knowledge(context, SearchKnowledgeArgs(query=query))


def texts(result: SearchKnowledgeResult) -> str:
    return "\n".join(passage.text for passage in result.passages)


def run_other_process(script: str, *args: str) -> str:
    """Run ``script`` in a new interpreter on the same workspace; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_search_reuses_index_when_unchanged(
    context: ToolContext, card_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = search(context, "isotonic calibration")
    with open_index(context.settings) as index:
        opened = index
    reopens = CallCounter(monkeypatch, knowledge.index, "open_collection")
    catalog_loads = CallCounter(monkeypatch, knowledge.index, "load_catalog")
    store_reads = CallCounter(monkeypatch, tools.knowledge_sync.sync, "_documents")

    second = search(context, "isotonic calibration")
    with open_index(context.settings) as index:
        again = index

    assert "isotonic regression" in texts(first)
    assert texts(second) == texts(first)
    assert again is opened
    assert reopens.calls == 0
    assert catalog_loads.calls == 0
    assert store_reads.calls == 0


def test_note_from_other_process_found(
    context: ToolContext, card_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = search(context, "feature freeze before the holiday season")
    store_reads = CallCounter(monkeypatch, tools.knowledge_sync.sync, "_documents")
    context.store.release()

    run_other_process(
        ADD_NOTE, "Feature freeze: no retraining of fraud-detector during the holiday season."
    )
    after = search(context, "feature freeze before the holiday season")

    assert "holiday season" not in texts(before)
    assert "no retraining of fraud-detector during the holiday season" in texts(after)
    assert store_reads.calls == 1


def test_card_reindexed_by_other_process_visible(
    context: ToolContext, card_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "decision threshold after the chargeback review"
    search(context, question)
    reopens = CallCounter(monkeypatch, knowledge.index, "open_collection")
    store_reads = CallCounter(monkeypatch, tools.knowledge_sync.sync, "_documents")
    context.store.release()

    seen_there = json.loads(run_other_process(REINDEX_CARD, NEW_CARD, question).splitlines()[-1])
    # Dense only: vectors cached by a Chroma client opened before the other process wrote
    # would miss the new chunk, while the lexical side reads the stored text.
    with open_index(context.settings) as index:
        dense = index.search(question, k=3, mode="dense")
    after = search(context, question)

    assert any("moved to 0.35" in text for text in seen_there)
    assert dense
    assert "moved to 0.35" in dense[0].text
    assert "moved to 0.35" in texts(after)
    assert "isotonic" not in texts(after)
    assert reopens.calls == 1
    # The other process synced the store already, so this one only reopened the index.
    assert store_reads.calls == 0


def test_marker_sees_interleaved_writes(tmp_path: Path) -> None:
    mine = ChangeMarker(tmp_path)
    theirs = ChangeMarker(tmp_path)

    theirs.record_write()
    changed_after_their_write = mine.current() != mine.seen
    own_write_is_change = theirs.current() != theirs.seen
    mine.seen = mine.current()
    # They write after this process last looked, then this process writes: the token it
    # finds is not the one it saw, so it must still reload.
    theirs.record_write()
    mine.record_write()

    assert changed_after_their_write
    assert not own_write_is_change
    assert mine.current() != mine.seen


def test_least_recent_shared_index_closed(tmp_path: Path) -> None:
    folders = [tmp_path / f"index-{number}" for number in range(MAX_OPEN_INDEXES + 1)]
    opened = []
    for folder in folders:
        with shared_index(folder) as index:
            opened.append(index)
    with shared_index(folders[-1]) as index:
        newest_again = index
    with shared_index(folders[0]) as index:
        oldest_again = index

    assert newest_again is opened[-1]
    assert oldest_again is not opened[0]
    assert oldest_again.stats().chunks == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_forked_child_opens_own_index(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    with shared_index(folder) as index:
        index.upsert_entity_document(
            "note:freeze",
            "Feature freeze: no retraining during the holiday season.",
            title="Feature freeze",
            entity_type="registered_model",
            entity_id="fraud-detector",
            kind="note",
        )
        index.search("holiday retraining")

    child = os.fork()
    if child == 0:
        # The child must leave through os._exit, never back into pytest. The default SIGALRM
        # action kills a child that hangs inside Chroma, where no Python handler would run.
        code = 1
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(60)
            with shared_index(folder) as index:
                found = index.search("holiday retraining", mode="dense")
            code = 0 if found and "holiday season" in found[0].text else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
