"""Pipeline files are read again only after they change on disk."""

from __future__ import annotations

import pytest

from tests.test_pipeline_runner import write_pipeline
from tools.pipelines import workspace
from tools.pipelines.workspace import find_pipeline
from tools.settings import get_settings
from tools.store.db import open_store


def test_sync_skips_unchanged_files(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    store = open_store(settings)
    write_pipeline(settings, "iris-train")
    reads: list[str] = []
    load = workspace.load_definition
    monkeypatch.setattr(
        workspace, "load_definition", lambda path: reads.append(path.name) or load(path)
    )
    for _ in range(3):
        with store.session() as session:
            row, _definition = find_pipeline(session, settings, "iris-train")
            assert row.owner == "bob"
    # The first read records the file, the second confirms the store matches it.
    assert reads == ["iris-train.yaml", "iris-train.yaml"]


def test_sync_reads_edited_file() -> None:
    settings = get_settings()
    store = open_store(settings)
    write_pipeline(settings, "iris-train")
    for _ in range(2):
        with store.session() as session:
            find_pipeline(session, settings, "iris-train")
    write_pipeline(settings, "iris-train", owner="carol-the-new-owner")
    with store.session() as session:
        row, definition = find_pipeline(session, settings, "iris-train")
    assert (row.owner, definition.owner) == ("carol-the-new-owner", "carol-the-new-owner")
