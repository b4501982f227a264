"""The dataset tools through governance, and the ``modelpilot dataset`` commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ui.cli
from tests.factories import add_experiment, add_model_version, add_run, add_user
from tools.datasets import link_run_dataset, register
from tools.errors import InvalidInputError, NotFoundError
from tools.governance import Actor, Governor, ToolOutcome
from tools.store.db import Store, open_store
from tools.store.schema import PipelineRun

EDITOR = Actor("erin", "cli")
VIEWER = Actor("vic", "cli")


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_store()
    add_user(store, "erin", "editor")
    add_user(store, "vic", "viewer")
    yield store
    store.release()


def write_orders(path: Path, seed: int, shift: float = 0.0, extra: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(50.0 + shift, 10.0, 800),
            "channel": rng.choice(["web", "app"], 800),
        }
    )
    if extra:
        frame["coupon"] = rng.integers(0, 2, 800)
    frame.to_csv(path, index=False)
    return path


def call(actor: Actor, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
    return Governor().invoke(tool, arguments, actor)


def change(actor: Actor, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
    requested = Governor().invoke(tool, arguments, actor)
    assert requested.status == "needs_confirmation", requested.error
    assert requested.confirmation is not None
    return Governor().confirm(requested.confirmation.token, actor)


def test_register_tool_plans_and_applies(tmp_path: Path, store: Store) -> None:
    path = write_orders(tmp_path / "orders.csv", 1)

    requested = call(EDITOR, "register_dataset", {"path": str(path), "name": "orders"})
    assert requested.confirmation is not None
    assert requested.confirmation.summary == f"register dataset orders v1 from {path}"
    done = Governor().confirm(requested.confirmation.token, EDITOR)

    assert done.status == "ok", done.error
    assert done.result is not None
    assert (done.result["version"], done.result["created"], done.result["rows"]) == (1, True, 800)


def test_register_tool_same_content_says_so(tmp_path: Path, store: Store) -> None:
    path = write_orders(tmp_path / "orders.csv", 1)
    register(store, path, "orders")

    requested = call(EDITOR, "register_dataset", {"path": str(path), "name": "orders"})

    assert requested.confirmation is not None
    assert requested.confirmation.summary == (
        "dataset orders already has this content as v1; nothing will change"
    )


def test_register_tool_needs_editor(tmp_path: Path, store: Store) -> None:
    path = write_orders(tmp_path / "orders.csv", 1)

    outcome = call(VIEWER, "register_dataset", {"path": str(path), "name": "orders"})

    assert outcome.status == "denied"
    assert "needs the editor role" in (outcome.error or "")


def test_list_get_and_compare(tmp_path: Path, store: Store) -> None:
    register(store, write_orders(tmp_path / "v1.csv", 1), "orders", split="train")
    register(store, write_orders(tmp_path / "v2.csv", 2, shift=10.0, extra=True), "orders")

    listed = call(VIEWER, "list_datasets", {})
    shown = call(VIEWER, "get_dataset_version", {"dataset": "Orders", "version": "v1"})
    compared = call(VIEWER, "compare_dataset_versions", {"dataset": "orders"})

    assert listed.result is not None
    assert [(d["name"], d["versions"], d["latest_version"]) for d in listed.result["datasets"]] == [
        ("orders", 2, 2)
    ]
    assert shown.result is not None
    assert shown.result["split"] == "train"
    assert [c["name"] for c in shown.result["columns"]] == ["amount", "channel"]
    assert compared.result is not None
    assert (compared.result["from_version"], compared.result["to_version"]) == (1, 2)
    assert [c["column"] for c in compared.result["schema_changes"]] == ["coupon"]
    amount = next(c for c in compared.result["columns"] if c["column"] == "amount")
    assert amount["mean_shift_sd"] == pytest.approx(1.0, abs=0.15)
    assert amount["psi"] > 0.5
    assert compared.result["changed_columns"] == ["amount"]


def test_compare_needs_two_versions(tmp_path: Path, store: Store) -> None:
    register(store, write_orders(tmp_path / "v1.csv", 1), "orders")

    outcome = call(VIEWER, "compare_dataset_versions", {"dataset": "orders"})

    assert outcome.status == "error"
    assert "has no earlier version" in (outcome.error or "")


def test_unknown_dataset_suggests_a_name(tmp_path: Path, store: Store) -> None:
    register(store, write_orders(tmp_path / "v1.csv", 1), "orders")

    outcome = call(VIEWER, "get_dataset_version", {"dataset": "ordres"})

    assert outcome.status == "error"
    assert "did you mean 'orders'" in (outcome.error or "")


def test_lineage_lists_runs_and_model_versions(tmp_path: Path, store: Store) -> None:
    version = register(store, write_orders(tmp_path / "v1.csv", 1), "orders").version
    experiment = add_experiment(store, "orders-model")
    run_id = add_run(store, experiment, "train-1", pd.Timestamp("2026-02-01", tz="UTC"), {})
    add_model_version(store, "order-scorer", 1, run_id)
    with store.session() as session:
        link_run_dataset(session, run_id, version.id, "training")
        link_run_dataset(session, run_id, version.id, "training")
        session.add(
            PipelineRun(
                pipeline_name="orders-train", status="succeeded", dataset_version_id=version.id
            )
        )

    outcome = call(VIEWER, "dataset_lineage", {"dataset": "orders"})

    assert outcome.result is not None
    assert outcome.result["models"] == ["order-scorer"]
    assert [(r["run_id"], r["context"]) for r in outcome.result["runs"]] == [(run_id, "training")]
    assert [p["pipeline"] for p in outcome.result["pipeline_runs"]] == ["orders-train"]


def test_link_run_dataset_checks_its_input(tmp_path: Path, store: Store) -> None:
    version = register(store, write_orders(tmp_path / "v1.csv", 1), "orders").version
    with store.session() as session:
        with pytest.raises(InvalidInputError, match="invalid lineage context 'train'"):
            link_run_dataset(session, "run-x", version.id, "train")
        with pytest.raises(NotFoundError, match="no dataset version with id 'nope'"):
            link_run_dataset(session, "run-x", "nope")


# --- command line --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_register_and_inspect(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELPILOT_USER", "erin")
    first = write_orders(tmp_path / "v1.csv", 1)
    second = write_orders(tmp_path / "v2.csv", 2, shift=5.0)
    base = ["dataset", "register", "--name", "orders", "--split", "train", "--tag", "team=risk"]

    registered = runner.invoke(ui.cli.app, [*base[:2], str(first), *base[2:], "--yes"])
    again = runner.invoke(ui.cli.app, [*base[:2], str(first), *base[2:], "--yes"])
    newer = runner.invoke(ui.cli.app, [*base[:2], str(second), *base[2:], "--yes"])
    listed = runner.invoke(ui.cli.app, ["dataset", "list"])
    shown = runner.invoke(ui.cli.app, ["dataset", "show", "orders", "--version", "1"])
    compared = runner.invoke(ui.cli.app, ["dataset", "compare", "orders"])
    lineage = runner.invoke(ui.cli.app, ["dataset", "lineage", "orders"])

    assert registered.exit_code == 0, registered.output
    assert "done: registered dataset orders v1 (800 rows)" in registered.output
    assert "already has this content as v1; nothing was registered" in again.output
    assert "done: registered dataset orders v2" in newer.output
    assert "orders: v2 of 2, 800 rows x 2 columns, csv" in listed.output
    assert shown.exit_code == 0
    assert "amount" in shown.output
    assert compared.exit_code == 0
    assert "orders v1 -> v2" in compared.output
    assert lineage.exit_code == 0
    assert "no run or model version used orders" in lineage.output


def test_cli_register_bad_tag_and_missing_file(tmp_path: Path, store: Store) -> None:
    bad_tag = runner.invoke(
        ui.cli.app, ["dataset", "register", "x.csv", "--name", "x", "--tag", "oops", "--yes"]
    )
    missing = runner.invoke(
        ui.cli.app,
        [
            "dataset",
            "register",
            str(tmp_path / "absent.csv"),
            "--name",
            "x",
            "--user",
            "erin",
            "--yes",
        ],
    )

    assert bad_tag.exit_code == 1
    assert "invalid --tag 'oops'" in str(bad_tag.exception)
    assert missing.exit_code == 1
    assert "no file or folder at" in str(missing.exception)
