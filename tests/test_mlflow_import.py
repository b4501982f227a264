"""The MLflow importer on stores written by MLflow's own client, so no shared data is needed."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tools.errors import ImportFailedError, InvalidInputError
from tools.mlflow_import import ImportProgress, NothingImportedError, import_mlflow
from tools.store.db import Store

START = 1_767_000_000_000  # 2025-12-29 in epoch milliseconds
TABLES = (
    "experiment",
    "run",
    "run_param",
    "run_tag",
    "metric_point",
    "latest_metric",
    "registered_model",
    "model_version",
    "model_alias",
    "alias_event",
    "note",
)


@dataclass
class Built:
    root: Path
    churn_experiment: str
    baseline: str
    failed: str
    running: str
    digits_run: str


def _model_files(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text(
        "artifact_path: model\n"
        "flavors:\n"
        "  python_function:\n"
        "    loader_module: mlflow.sklearn\n"
        "    python_version: 3.11.9\n"
        "  sklearn:\n"
        "    pickled_model: model.pkl\n"
        "    sklearn_version: 1.5.2\n"
        "mlflow_version: 2.16.0\n"
        "signature:\n"
        '  inputs: \'[{"name": "tenure", "type": "long"}, {"name": "plan", "type": "string"}]\'\n'
        '  outputs: \'[{"type": "long"}]\'\n'
    )
    (folder / "requirements.txt").write_text("mlflow==2.16.0\nscikit-learn==1.5.2\nnumpy>=1.26\n")
    (folder / "python_env.yaml").write_text("python: 3.11.9\nbuild_dependencies:\n- pip\n")
    return folder


def build_store(root: Path, staging: Path) -> Built:
    """Write a small tracking store with MLflow's client: runs, history, registry, aliases."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"file:{root}", registry_uri=f"file:{root}")
    churn = client.create_experiment(
        "churn-classifier", tags={"team": "growth", "mlflow.note.content": "Churn experiments"}
    )
    baseline = client.create_run(
        churn,
        run_name="rf-baseline",
        start_time=START,
        tags={"mlflow.note.content": "Baseline with default settings", "mlflow.user": "carol"},
    ).info.run_id
    client.log_param(baseline, "max_depth", "5")
    client.log_param(baseline, "model/criterion", "gini")
    for step in range(5):
        client.log_metric(
            baseline, "loss", 1.0 / (step + 1), timestamp=START + step * 10, step=step
        )
    # Logged last in time but at an earlier step: the highest step still decides the latest.
    client.log_metric(baseline, "loss", 9.9, timestamp=START + 5000, step=2)
    for timestamp, value in ((100, 0.70), (300, 0.80), (200, 0.75)):
        client.log_metric(baseline, "accuracy", value, timestamp=START + timestamp, step=0)
    client.log_artifacts(baseline, str(_model_files(staging / "model")), "model")
    client.set_terminated(baseline, "FINISHED", end_time=START + 60_000)

    failed = client.create_run(churn, run_name="rf-deep", start_time=START + 100_000).info.run_id
    client.log_param(failed, "max_depth", "50")
    client.set_terminated(failed, "FAILED", end_time=START + 101_000)
    running = client.create_run(
        churn, run_name="rf-still-running", start_time=START + 200_000
    ).info.run_id

    digits = client.create_experiment("digits", tags={"task": "image-classification"})
    digits_run = client.create_run(digits, run_name="cnn-1", start_time=START).info.run_id
    client.log_metric(digits_run, "val_accuracy", 0.91, timestamp=START, step=0)
    client.set_terminated(digits_run, "FINISHED", end_time=START + 1000)
    client.delete_experiment(client.create_experiment("abandoned"))

    client.create_registered_model("churn-model", description="Predicts churn from usage")
    for description in ("first cut", None):
        client.create_model_version(
            "churn-model", f"runs:/{baseline}/model", run_id=baseline, description=description
        )
    client.set_registered_model_alias("churn-model", "champion", 1)
    client.set_registered_model_alias("churn-model", "challenger", 2)
    client.set_model_version_tag("churn-model", "1", "validated", "yes")
    return Built(root, churn, baseline, failed, running, digits_run)


_BUILT: dict[str, Built] = {}


@pytest.fixture
def mlruns(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A private copy of the store built once by MLflow's client, free for the test to change."""
    if "store" not in _BUILT:
        base = tmp_path_factory.mktemp("mlflow-built")
        _BUILT["store"] = build_store(base / "mlruns", base / "staging")
    built = _BUILT["store"]
    copy = tmp_path / "project" / "mlruns"
    shutil.copytree(built.root, copy)
    return Built(
        copy, built.churn_experiment, built.baseline, built.failed, built.running, built.digits_run
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    # hold_s=0: no connection outlives a transaction, so nothing is left open after the test.
    return Store(f"duckdb:///{tmp_path / 'store.duckdb'}", hold_s=0)


def query(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.connection() as connection:
        return list(connection.execute(text(sql), params).fetchall())


def scalar(store: Store, sql: str, **params: Any) -> Any:
    return query(store, sql, **params)[0][0]


def table_counts(store: Store) -> dict[str, int]:
    return {table: scalar(store, f"SELECT count(*) FROM {table}") for table in TABLES}


# --- a store written by MLflow ---------------------------------------------------------------


def test_import_counts(mlruns: Built, store: Store) -> None:
    summary = import_mlflow(mlruns.root, store)
    counts = table_counts(store)
    assert counts["experiment"] == 4  # Default, churn-classifier, digits, abandoned
    assert counts["run"] == 4
    assert counts["run_param"] == 3
    assert counts["metric_point"] == 10
    assert counts["latest_metric"] == 3
    assert counts["registered_model"] == 1
    assert counts["model_version"] == 2
    assert counts["model_alias"] == 2
    assert summary.counts["runs"].imported == 4
    assert summary.skips == []


def test_metric_history_and_latest_value(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    history = query(
        store,
        "SELECT step, value FROM metric_point WHERE run_id = :r AND key = 'loss' "
        "ORDER BY step, timestamp",
        r=mlruns.baseline,
    )
    assert history == [(0, 1.0), (1, 0.5), (2, 1 / 3), (2, 9.9), (3, 0.25), (4, 0.2)]
    latest = dict(
        query(store, "SELECT key, value FROM latest_metric WHERE run_id = :r", r=mlruns.baseline)
    )
    assert latest == {"loss": 0.2, "accuracy": 0.80}


def test_run_fields(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    runs = {
        row[0]: row[1:]
        for row in query(store, "SELECT id, name, status, end_time IS NULL, user, note FROM run")
    }
    assert runs[mlruns.baseline] == (
        "rf-baseline",
        "FINISHED",
        False,
        "carol",
        "Baseline with default settings",
    )
    assert runs[mlruns.failed][:3] == ("rf-deep", "FAILED", False)
    assert runs[mlruns.running][:3] == ("rf-still-running", "RUNNING", True)
    params = dict(
        query(store, "SELECT key, value FROM run_param WHERE run_id = :r", r=mlruns.baseline)
    )
    assert params == {"max_depth": "5", "model/criterion": "gini"}


def test_experiments_keep_source_and_stage(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    rows = query(store, "SELECT name, lifecycle_stage, source, external_id, tags FROM experiment")
    by_name = {row[0]: row for row in rows}
    assert by_name["abandoned"][1] == "deleted"
    assert {row[2] for row in rows} == {f"mlflow:{mlruns.root.resolve().as_posix()}"}
    assert by_name["churn-classifier"][3] == mlruns.churn_experiment
    assert json.loads(by_name["churn-classifier"][4])["team"] == "growth"


def test_notes_are_written(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    notes = {
        (row[0], row[1]): row[2] for row in query(store, "SELECT entity_type, kind, body FROM note")
    }
    assert notes[("run", "run_note")] == "Baseline with default settings"
    assert notes[("experiment", "description")] == "Churn experiments"
    assert notes[("registered_model", "description")] == "Predicts churn from usage"
    assert notes[("model_version", "description")] == "first cut"
    assert len(notes) == 4


def test_registry_versions_aliases_and_artifacts(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    aliases = dict(
        query(store, "SELECT alias, version FROM model_alias WHERE model_name = 'churn-model'")
    )
    assert aliases == {"champion": 1, "challenger": 2}
    events = query(
        store, "SELECT alias, from_version, to_version, action FROM alias_event ORDER BY alias"
    )
    assert events == [("challenger", None, 2, "import"), ("champion", None, 1, "import")]
    flavor, dependencies, signature, tags, run_id = query(
        store,
        "SELECT flavor, dependencies, signature, tags, run_id FROM model_version WHERE version = 1",
    )[0]
    assert flavor == "sklearn"
    assert json.loads(dependencies) == {
        "mlflow": "2.16.0",
        "scikit-learn": "1.5.2",
        "numpy": ">=1.26",
        "python": "3.11.9",
    }
    assert [field["name"] for field in json.loads(signature)["inputs"]] == ["tenure", "plan"]
    assert json.loads(tags) == {"validated": "yes"}
    assert run_id == mlruns.baseline


def test_tasks_explicit_and_inferred(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    tasks = {
        row[0]: row[1:] for row in query(store, "SELECT name, task, task_source FROM experiment")
    }
    assert tasks["digits"] == ("image-classification", "explicit")
    assert tasks["churn-classifier"] == ("churn-prediction", "inferred")
    assert scalar(store, "SELECT task FROM registered_model") == "churn-prediction"


# --- re-import ---------------------------------------------------------------------------------


def test_reimport_is_idempotent(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    before = table_counts(store)
    summary = import_mlflow(mlruns.root, store)
    assert table_counts(store) == before
    for entity in (
        "experiments",
        "runs",
        "registered_models",
        "model_versions",
        "aliases",
        "notes",
    ):
        assert summary.counts[entity].imported == 0, entity
        assert summary.counts[entity].updated == 0, entity
    assert summary.counts["runs"].unchanged == 4


def test_file_uri_maps_to_the_same_rows(mlruns: Built, store: Store) -> None:
    import_mlflow(mlruns.root, store)
    before = table_counts(store)
    summary = import_mlflow(f"file://{mlruns.root}", store)
    assert table_counts(store) == before
    assert summary.counts["runs"].unchanged == 4


def test_reimport_picks_up_new_runs_and_points(mlruns: Built, store: Store) -> None:
    from mlflow.tracking import MlflowClient

    import_mlflow(mlruns.root, store)
    before = table_counts(store)
    client = MlflowClient(tracking_uri=f"file:{mlruns.root}")
    client.log_metric(mlruns.baseline, "loss", 0.1, timestamp=START + 9000, step=5)
    client.set_tag(mlruns.baseline, "reviewed", "yes")
    client.set_tag(mlruns.baseline, "mlflow.note.content", "Tuned later")
    extra = client.create_run(mlruns.churn_experiment, run_name="rf-2", start_time=START + 300_000)
    client.log_metric(extra.info.run_id, "loss", 0.3, timestamp=START + 300_001, step=0)

    summary = import_mlflow(mlruns.root, store)
    assert summary.counts["runs"].imported == 1
    assert summary.counts["runs"].updated == 1
    assert summary.counts["runs"].unchanged == 3
    after = table_counts(store)
    assert after["run"] == before["run"] + 1
    assert after["metric_point"] == before["metric_point"] + 2
    assert after["run_tag"] == before["run_tag"] + 2  # the new tag and the new run's name tag
    latest = scalar(
        store,
        "SELECT value FROM latest_metric WHERE run_id = :r AND key = 'loss'",
        r=mlruns.baseline,
    )
    assert latest == 0.1
    note = scalar(store, "SELECT body FROM note WHERE entity_id = :r", r=mlruns.baseline)
    assert note == "Tuned later"
    assert summary.counts["notes"].updated == 1


def test_moved_alias_logs_an_import_event(mlruns: Built, store: Store) -> None:
    from mlflow.tracking import MlflowClient

    import_mlflow(mlruns.root, store)
    MlflowClient(
        tracking_uri=f"file:{mlruns.root}", registry_uri=f"file:{mlruns.root}"
    ).set_registered_model_alias("churn-model", "champion", 2)
    summary = import_mlflow(mlruns.root, store)
    assert summary.counts["aliases"].updated == 1
    assert scalar(store, "SELECT version FROM model_alias WHERE alias = 'champion'") == 2
    events = query(
        store,
        "SELECT from_version, to_version, action FROM alias_event WHERE alias = 'champion' "
        "ORDER BY occurred_at",
    )
    assert events[-1] == (1, 2, "import")
    assert len(events) == 2


def test_runs_from_another_store_are_not_overwritten(
    mlruns: Built, store: Store, tmp_path: Path
) -> None:
    import_mlflow(mlruns.root, store)
    twin = tmp_path / "copy" / "mlruns"
    shutil.copytree(mlruns.root, twin)
    summary = import_mlflow(twin, store)
    assert summary.counts["runs"].skipped == 4
    assert "already exists in the store" in summary.skips[0].reason
    assert summary.counts["registered_models"].skipped == 1
    assert scalar(store, "SELECT count(*) FROM run") == 4


# --- damaged input -----------------------------------------------------------------------------


def test_corrupt_files_are_skipped_with_reasons(mlruns: Built, store: Store) -> None:
    run_meta = mlruns.root / mlruns.churn_experiment / mlruns.failed / "meta.yaml"
    run_meta.write_text("run_id: [unterminated\nstatus: 3\n")
    loss = mlruns.root / mlruns.churn_experiment / mlruns.baseline / "metrics" / "loss"
    loss.write_text(loss.read_text() + "not-a-number 0.5 1\n")

    summary = import_mlflow(mlruns.root, store)
    reasons = {skip.path: skip.reason for skip in summary.skips}
    assert reasons[str(run_meta)].startswith("invalid YAML")
    assert reasons[f"{loss}:7"].startswith("malformed metric line")
    assert summary.counts["runs"].imported == 3
    assert summary.counts["runs"].skipped == 1
    assert scalar(store, "SELECT count(*) FROM metric_point WHERE key = 'loss'") == 6
    stored = json.loads(scalar(store, "SELECT summary FROM import_record"))
    assert stored["skipped_total"] == 2


def test_missing_model_files_are_reported(mlruns: Built, store: Store) -> None:
    shutil.rmtree(mlruns.root / mlruns.churn_experiment / mlruns.baseline / "artifacts" / "model")
    summary = import_mlflow(mlruns.root, store)
    assert summary.counts["model_versions"].imported == 2
    assert any(skip.entity == "artifacts" and "not found" in skip.reason for skip in summary.skips)
    assert scalar(store, "SELECT flavor FROM model_version WHERE version = 1") is None


def test_nothing_importable_raises_with_summary(tmp_path: Path, store: Store) -> None:
    broken = tmp_path / "mlruns" / "0"
    broken.mkdir(parents=True)
    (broken / "meta.yaml").write_text("experiment_id: [0\nname: Default\n")
    with pytest.raises(NothingImportedError) as raised:
        import_mlflow(tmp_path / "mlruns", store)
    assert raised.value.summary.counts["experiments"].skipped == 1
    assert "invalid YAML" in str(raised.value)


def test_missing_path_and_non_mlflow_folder(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ImportFailedError, match="no such folder"):
        import_mlflow(tmp_path / "nowhere", store)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.md").write_text("hello")
    with pytest.raises(ImportFailedError, match="not an MLflow tracking folder"):
        import_mlflow(tmp_path / "notes", store)


# --- options -----------------------------------------------------------------------------------


def test_experiment_filter(mlruns: Built, store: Store) -> None:
    summary = import_mlflow(mlruns.root, store, experiments=["digits"])
    assert query(store, "SELECT name FROM experiment") == [("digits",)]
    assert query(store, "SELECT id FROM run") == [(mlruns.digits_run,)]
    assert (
        summary.counts["registered_models"].read == 0
    )  # its versions come from another experiment
    with pytest.raises(InvalidInputError, match="no experiment named 'nope'"):
        import_mlflow(mlruns.root, store, experiments=["nope"])


def test_progress_callback(mlruns: Built, store: Store) -> None:
    events: list[ImportProgress] = []
    import_mlflow(mlruns.root, store, progress=events.append)
    runs = [event for event in events if event.stage == "runs"]
    assert runs[-1].done == 4
    assert runs[-1].total == 4
    assert [event.stage for event in events][-1] == "registry"


def test_client_reader_matches_file_reader(mlruns: Built, store: Store, tmp_path: Path) -> None:
    import_mlflow(mlruns.root, store)
    other = Store(f"duckdb:///{tmp_path / 'client.duckdb'}", hold_s=0)
    import_mlflow(mlruns.root, other, reader="client")
    assert table_counts(other) == table_counts(store)
    for sql in (
        "SELECT id, experiment_id, name, status, start_time, end_time, user, note, task FROM run "
        "ORDER BY id",
        "SELECT run_id, key, value FROM run_param ORDER BY 1, 2",
        "SELECT run_id, key, value FROM run_tag ORDER BY 1, 2",
        "SELECT run_id, key, value, step, timestamp FROM metric_point ORDER BY 1, 2, 4, 5",
        "SELECT run_id, key, value, step, timestamp FROM latest_metric ORDER BY 1, 2",
        "SELECT model_name, version, run_id, flavor, dependencies, metrics, tags "
        "FROM model_version ORDER BY 1, 2",
        "SELECT model_name, alias, version FROM model_alias ORDER BY 1, 2",
        "SELECT id, name, lifecycle_stage, task, tags FROM experiment ORDER BY id",
    ):
        assert query(other, sql) == query(store, sql), sql


@pytest.mark.slow
def test_sqlite_tracking_uri(tmp_path: Path, store: Store) -> None:
    pytest.importorskip("alembic", reason="MLflow needs alembic to create a sqlite tracking store")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("fraud-scoring")
    run = client.create_run(experiment, run_name="xgb", start_time=START).info.run_id
    client.log_param(run, "eta", "0.1")
    for step in range(3):
        client.log_metric(run, "auc", 0.8 + step / 100, timestamp=START + step, step=step)
    client.set_tag(run, "mlflow.note.content", "tuned eta")
    client.set_terminated(run, "FINISHED", end_time=START + 10)
    client.create_registered_model("fraud-model")
    client.create_model_version("fraud-model", f"runs:/{run}/model", run_id=run)
    client.set_registered_model_alias("fraud-model", "champion", 1)

    summary = import_mlflow(uri, store)
    assert summary.counts["runs"].imported == 1
    assert scalar(store, "SELECT count(*) FROM metric_point WHERE run_id = :r", r=run) == 3
    assert scalar(
        store, "SELECT value FROM latest_metric WHERE run_id = :r", r=run
    ) == pytest.approx(0.82)
    assert query(store, "SELECT alias, version FROM model_alias") == [("champion", 1)]
    assert scalar(store, "SELECT body FROM note WHERE kind = 'run_note'") == "tuned eta"
    assert scalar(store, "SELECT DISTINCT source FROM run") == f"mlflow:{uri}"
    again = import_mlflow(uri, store)
    assert again.counts["runs"].unchanged == 1


# --- command line ------------------------------------------------------------------------------


def test_cli_prints_summary(mlruns: Built) -> None:
    from ui.cli import app

    result = CliRunner().invoke(app, ["import", "mlflow", str(mlruns.root)])
    assert result.exit_code == 0, result.output
    assert "runs: 4 imported, 0 updated, 0 unchanged, 0 skipped" in result.output


def test_cli_experiment_option(mlruns: Built) -> None:
    from ui.cli import app

    result = CliRunner().invoke(
        app, ["import", "mlflow", str(mlruns.root), "-e", "digits", "--experiment", "abandoned"]
    )
    assert result.exit_code == 0, result.output
    assert "experiments: 2 imported" in result.output
    assert "runs: 1 imported" in result.output


def test_cli_nothing_importable_exits_nonzero(tmp_path: Path) -> None:
    from ui.cli import app

    broken = tmp_path / "mlruns" / "0"
    broken.mkdir(parents=True)
    (broken / "meta.yaml").write_text("experiment_id: [0\n")
    result = CliRunner().invoke(app, ["import", "mlflow", str(tmp_path / "mlruns")])
    assert result.exit_code != 0
    assert isinstance(result.exception, ImportFailedError)
    assert "invalid YAML" in result.output


def test_cli_missing_path_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli import main

    monkeypatch.setattr(sys, "argv", ["modelpilot", "import", "mlflow", str(tmp_path / "absent")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [
        f"error: no such folder '{tmp_path / 'absent'}'; pass an mlruns folder, a folder that "
        "contains one, or a tracking URI such as sqlite:///mlflow.db"
    ]


def test_mlflow1_layout(tmp_path: Path, store: Store) -> None:
    """MLflow 1 wrote integer ids, run_uuid, no run_name and two-field metric lines."""
    experiment = tmp_path / "mlruns" / "0"
    run = experiment / "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    for folder in ("metrics", "params", "tags"):
        (run / folder).mkdir(parents=True)
    (experiment / "meta.yaml").write_text(
        "artifact_location: /home/old/mlruns/0\nexperiment_id: 0\nlifecycle_stage: active\n"
        "name: Default\n"
    )
    (run / "meta.yaml").write_text(
        "artifact_uri: /home/old/mlruns/0/0f1e2d3c4b5a69788796a5b4c3d2e1f0/artifacts\n"
        "end_time: null\nentry_point_name: main\nexperiment_id: 0\nlifecycle_stage: active\n"
        "name: ''\nrun_uuid: 0f1e2d3c4b5a69788796a5b4c3d2e1f0\nsource_name: train.py\n"
        "source_type: 3\nsource_version: abc123\nstart_time: 1500000000000\nstatus: 1\n"
        "tags: []\nuser_id: alice\n"
    )
    (run / "metrics" / "rmse").write_text("1500000001000 0.9\n1500000002000 0.7\n")
    (run / "params" / "alpha").write_text("0.5\n")
    (run / "tags" / "mlflow.runName").write_text("old-run")

    summary = import_mlflow(tmp_path / "mlruns", store)

    assert summary.skips == []
    row = query(
        store,
        "SELECT name, status, end_time, source_type, source_name, source_version, entry_point, "
        "user FROM run",
    )
    assert row == [("old-run", "RUNNING", None, "PROJECT", "train.py", "abc123", "main", "alice")]
    assert scalar(store, "SELECT external_id FROM experiment") == "0"
    assert query(store, "SELECT step, value FROM metric_point ORDER BY timestamp") == [
        (0, 0.9),
        (0, 0.7),
    ]
    assert scalar(store, "SELECT value FROM latest_metric") == 0.7
    assert scalar(store, "SELECT value FROM run_param") == "0.5\n"
