"""The two eval workspaces, built once per run and copied so items cannot affect each other.

- ``realdata``: the MLflow folders of ../shared/realdata imported with ``import_mlflow``, the
  demo's four users (so role-dependent items behave as on the demo) and, when knowledge items
  are selected, the documents of ../shared/realdata/docs in the knowledge index.
- ``demo``: the workspace ``modelpilot demo`` builds, with "now" pinned to ``DEMO_NOW``.

Read-only items share one working copy per workspace. The runner fingerprints the store around
each item and replaces the copy when an item wrote to it. Items that may write (confirmed
changes, setup calls) each get a fresh copy that is deleted afterwards.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.errors import ConfigError
from tools.settings import Settings
from tools.store.db import Store, open_store

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"
# The instant the demo is built at; demo items pin their "now" to it or later.
DEMO_NOW = "2026-12-04T10:30:00Z"
READY_MARKER = "EVAL_WORKSPACE_READY"
DOCUMENTS_MARKER = "EVAL_DOCUMENTS_INDEXED"


@dataclass
class BuiltWorkspace:
    """A workspace built once; ``seconds`` is how long the build took."""

    name: str
    home: Path
    seconds: float
    with_documents: bool = False


@dataclass
class WorkspaceCopy:
    name: str
    home: Path
    settings: Settings
    store: Store


def workspace_settings(home: Path, now: str | None = None) -> Settings:
    """Settings for an eval workspace: no LLM, no Slack, the store inside ``home``."""
    return Settings(home=home, now=now, store_url=None, read_only=False)


@contextmanager
def pinned_now(instant: str) -> Iterator[None]:
    """Pin ``MODELPILOT_NOW`` for the block; the clock reads the environment on every call."""
    previous = os.environ.get("MODELPILOT_NOW")
    os.environ["MODELPILOT_NOW"] = instant
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MODELPILOT_NOW", None)
        else:
            os.environ["MODELPILOT_NOW"] = previous


def build_realdata(home: Path, realdata: Path = REALDATA, with_documents: bool = True) -> float:
    """Import the real MLflow folders (and index their documents); return the seconds taken."""
    from tools.demo.users_part import seed_users
    from tools.knowledge_sync import open_index, sync_store_documents
    from tools.mlflow_import import import_mlflow

    if not (realdata / "mlruns").is_dir():
        raise ConfigError(
            f"no MLflow folders at {realdata / 'mlruns'}; the realdata items need them"
        )
    started = time.perf_counter()
    settings = workspace_settings(home)
    store = open_store(settings)
    import_mlflow(realdata / "mlruns", store)
    seed_users(store)
    if with_documents:
        with open_index(settings) as index:
            index.index_path(realdata / "docs")
            sync_store_documents(store, index, settings.knowledge_dir, force=True)
    store.release()
    return time.perf_counter() - started


def build_demo_workspace(home: Path) -> float:
    """Build the demo workspace with "now" pinned to ``DEMO_NOW``; return the seconds taken."""
    from tools.demo.build import build_demo

    started = time.perf_counter()
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    with pinned_now(DEMO_NOW):
        build_demo(workspace_settings(home, DEMO_NOW))
    open_store(workspace_settings(home)).release()
    return time.perf_counter() - started


@dataclass
class WorkspacePool:
    """Builds each workspace on first use, under ``root``, and hands out copies of it.

    With ``reuse`` a workspace already built under ``root`` by an earlier run is used as it
    is; that is only safe while the code that builds it and the data it reads are unchanged.
    """

    root: Path
    reuse: bool = False
    realdata: Path = REALDATA
    documents: bool = True
    built: dict[str, BuiltWorkspace] = field(default_factory=dict)
    _shared: dict[str, WorkspaceCopy] = field(default_factory=dict)
    _copies: int = 0

    @classmethod
    def temporary(cls, reuse_dir: Path | None = None, documents: bool = True) -> WorkspacePool:
        if reuse_dir is not None:
            reuse_dir.mkdir(parents=True, exist_ok=True)
            return cls(reuse_dir, reuse=True, documents=documents)
        return cls(Path(tempfile.mkdtemp(prefix="modelpilot-eval-")), documents=documents)

    def template(self, name: str) -> BuiltWorkspace:
        """Return the built workspace ``name``, building it the first time."""
        if name in self.built:
            return self.built[name]
        home = self.root / "templates" / name
        documents_ready = (
            not self.documents or name != "realdata" or (home / DOCUMENTS_MARKER).exists()
        )
        if self.reuse and (home / READY_MARKER).exists() and documents_ready:
            log.info("eval: reusing the %s workspace built earlier in %s", name, home)
            built = BuiltWorkspace(name, home, 0.0, self.documents)
        else:
            if home.exists():
                shutil.rmtree(home)
            log.info("eval: building the %s workspace in %s", name, home)
            if name == "realdata":
                seconds = build_realdata(home, self.realdata, self.documents)
            elif name == "demo":
                seconds = build_demo_workspace(home)
            else:
                raise ConfigError(f"unknown eval workspace {name!r}; use realdata or demo")
            (home / READY_MARKER).write_text("built by modelpilot eval\n")
            if self.documents:
                (home / DOCUMENTS_MARKER).write_text("documents indexed\n")
            built = BuiltWorkspace(name, home, seconds, self.documents)
            log.info("eval: built the %s workspace in %.1f s", name, seconds)
        self.built[name] = built
        return built

    def _copy(self, name: str, label: str) -> WorkspaceCopy:
        template = self.template(name)
        self._copies += 1
        home = self.root / "copies" / f"{name}-{self._copies:04d}-{label}"
        shutil.copytree(template.home, home)
        settings = workspace_settings(home)
        copy = WorkspaceCopy(name, home, settings, open_store(settings))
        _settle(copy)
        return copy

    def shared(self, name: str) -> WorkspaceCopy:
        """Return the working copy that read-only items of ``name`` share."""
        if name not in self._shared:
            self._shared[name] = self._copy(name, "shared")
        return self._shared[name]

    def discard_shared(self, name: str) -> None:
        """Drop the shared copy after an item wrote to it; the next item gets a fresh one."""
        copy = self._shared.pop(name, None)
        if copy is not None:
            _remove(copy)

    @contextmanager
    def private(self, name: str, label: str) -> Iterator[WorkspaceCopy]:
        """Yield a fresh copy for one item that may write, and remove it when the block ends."""
        copy = self._copy(name, label)
        try:
            yield copy
        finally:
            _remove(copy)

    def close(self) -> None:
        for name in list(self._shared):
            self.discard_shared(name)
        if not self.reuse:
            shutil.rmtree(self.root, ignore_errors=True)


def _settle(copy: WorkspaceCopy) -> None:
    """Let a moved workspace catch up before any item is scored on it.

    Pipeline definitions are stored with the path of their YAML file, and the first pipeline
    read after a move records the new path. That write comes from copying the workspace, not
    from the item, so one read here takes it out of the unintended-write count.
    """
    from tools.governance import Actor, Governor
    from tools.tool_registry import REGISTRY

    if "list_pipelines" not in REGISTRY.names():
        return
    with pinned_now(DEMO_NOW):
        Governor(copy.store, copy.settings).invoke(
            "list_pipelines", {}, Actor("eval-harness", "eval")
        )


def _remove(copy: WorkspaceCopy) -> None:
    copy.store.release()
    copy.store.engine.dispose()
    shutil.rmtree(copy.home, ignore_errors=True)
