"""The MLflow importer on four real mlruns folders from public projects (MLflow 2.2 to 3.11).

Expected numbers come from REPOS.tsv and from walking the files here in the test, never from
the importer itself. All four folders are imported once into one store shared by the tests.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from tools.mlflow_import import ImportSummary, import_mlflow
from tools.store.db import Store

FOLDERS = (
    "CriscaosMetOsp__ML_UdeM_Fraud_Detection",
    "arantzaghg__Proyecto_3_Deep_Learning",
    "suhailchougle__capstone",
    "yijing0612__mlops-customer-churn",
)
_RUN_DIR = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Imported:
    store: Store
    root: Path
    summaries: dict[str, ImportSummary] = field(default_factory=dict)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.store.connection() as connection:
            return connection.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.store.connection() as connection:
            return list(connection.execute(text(sql), params).fetchall())


_CACHE: dict[str, Imported] = {}


@pytest.fixture
def imported(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """All four folders imported once per test session into one store."""
    if "store" not in _CACHE:
        folder = tmp_path_factory.mktemp("mlflow-realdata")
        store = Store(f"duckdb:///{folder / 'store.duckdb'}", hold_s=0)
        state = Imported(store, (realdata / "mlruns").resolve())
        for name in FOLDERS:
            state.summaries[name] = import_mlflow(state.root / name, store)
        _CACHE["store"] = state
    return _CACHE["store"]


def _prefix(state: Imported, folder: str) -> str:
    return f"mlflow:{(state.root / folder).as_posix()}/%"


def _repos(root: Path) -> dict[str, dict[str, str]]:
    with (root / "REPOS.tsv").open(newline="") as handle:
        return {row["folder"]: row for row in csv.DictReader(handle, delimiter="\t")}


def _total(cell: str) -> int:
    """Sum the numbers of a REPOS.tsv cell such as "2 (+2 in notebooks/mlruns)"."""
    return sum(int(number) for number in re.findall(r"\d+", cell))


@dataclass
class FileCounts:
    experiments: int = 0
    runs: int = 0
    params: int = 0
    tags: int = 0
    metric_files: int = 0
    metric_points: int = 0
    registered_models: int = 0
    model_versions: int = 0
    logged_models: int = 0
    failed_runs: int = 0


def _files_below(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []


def _count_files(folder: Path) -> FileCounts:
    """Count what an mlruns folder contains by walking it, independently of the importer."""
    counts = FileCounts()
    for mlruns in sorted(folder.rglob("mlruns")):
        for experiment in mlruns.iterdir():
            if experiment.name == "models":
                counts.registered_models += len(list(experiment.glob("*/meta.yaml")))
                counts.model_versions += len(list(experiment.glob("*/version-*/meta.yaml")))
                continue
            if not (experiment / "meta.yaml").is_file():
                continue
            counts.experiments += 1
            counts.logged_models += len(list(experiment.glob("models/m-*/meta.yaml")))
            for run in experiment.iterdir():
                if not _RUN_DIR.match(run.name):
                    continue
                counts.runs += 1
                if "status: 4" in (run / "meta.yaml").read_text():
                    counts.failed_runs += 1
                counts.params += len(_files_below(run / "params"))
                counts.tags += len(_files_below(run / "tags"))
                for metric in _files_below(run / "metrics"):
                    counts.metric_files += 1
                    counts.metric_points += sum(
                        1 for line in metric.read_text().splitlines() if line.strip()
                    )
    return counts


def _table_count(state: Imported, table: str, folder: str) -> int:
    return state.scalar(
        f"SELECT count(*) FROM {table} t JOIN run r ON r.id = t.run_id WHERE r.source LIKE :p",
        p=_prefix(state, folder),
    )


def _source_count(state: Imported, table: str, folder: str, where: str = "") -> int:
    sql = f"SELECT count(*) FROM {table} WHERE source LIKE :p {where}"
    return int(state.scalar(sql, p=_prefix(state, folder)))


@pytest.mark.parametrize("folder", FOLDERS)
def test_counts_match_files(imported: Imported, folder: str) -> None:
    expected = _count_files(imported.root / folder)

    assert _source_count(imported, "experiment", folder) == expected.experiments
    assert _source_count(imported, "run", folder) == expected.runs
    assert _source_count(imported, "run", folder, "AND status = 'FAILED'") == expected.failed_runs
    assert _source_count(imported, "registered_model", folder) == expected.registered_models

    assert _table_count(imported, "run_param", folder) == expected.params
    assert _table_count(imported, "run_tag", folder) == expected.tags
    assert _table_count(imported, "metric_point", folder) == expected.metric_points
    assert _table_count(imported, "latest_metric", folder) == expected.metric_files

    versions = imported.scalar(
        "SELECT count(*) FROM model_version v JOIN registered_model m ON m.name = v.model_name "
        "WHERE m.source LIKE :p",
        p=_prefix(imported, folder),
    )
    assert versions == expected.model_versions
    summary = imported.summaries[folder]
    assert summary.counts["logged_models"].imported == expected.logged_models


@pytest.mark.parametrize("folder", FOLDERS)
def test_counts_match_repos_tsv(imported: Imported, folder: str) -> None:
    row = _repos(imported.root)[folder]
    counts = imported.summaries[folder].counts
    assert counts["experiments"].imported == _total(row["experiments"])
    assert counts["runs"].imported == int(row["runs"])
    assert counts["latest_metrics"].imported == int(row["metric_files"])
    assert counts["metric_points"].imported == int(row["metric_points"])
    assert counts["params"].imported == int(row["params"])
    assert counts["tags"].imported == int(row["tags"])
    assert counts["registered_models"].imported == int(row["registered_models"])
    assert counts["model_versions"].imported == int(row["model_versions"])
    assert counts["logged_models"].imported == int(row["logged_models(MLflow3)"])
    assert imported.summaries[folder].skips == []


def _metric_lines(path: Path) -> list[tuple[int, float, int]]:
    lines = []
    for line in path.read_text().splitlines():
        parts = line.split()
        lines.append((int(parts[0]), float(parts[1]), int(parts[2])))
    return lines


def test_per_epoch_history_is_complete(imported: Imported) -> None:
    experiment = (
        imported.root / "arantzaghg__Proyecto_3_Deep_Learning" / "mlruns" / "892837230964170359"
    )
    path = next(
        p
        for p in sorted(experiment.glob("*/metrics/val_loss"))
        if len(p.read_text().splitlines()) >= 40
    )
    run_id = path.parent.parent.name
    lines = _metric_lines(path)
    stored = imported.rows(
        "SELECT step, value, timestamp FROM metric_point WHERE run_id = :r AND key = 'val_loss' "
        "ORDER BY step, timestamp",
        r=run_id,
    )
    assert len(stored) == len(lines)
    assert [row[0] for row in stored] == sorted(step for _, _, step in lines)
    first = min(lines, key=lambda line: (line[2], line[0]))
    assert stored[0][1] == first[1]
    assert stored[0][2] == datetime.fromtimestamp(first[0] / 1000, tz=UTC)


def test_latest_metric_is_highest_step_then_latest_time(imported: Imported) -> None:
    experiment = (
        imported.root / "arantzaghg__Proyecto_3_Deep_Learning" / "mlruns" / "892837230964170359"
    )
    checked = 0
    # validation_loss is logged at step 0 every time, so the latest timestamp decides;
    # val_loss carries epochs as steps, so the highest step decides.
    for key in ("validation_loss", "val_loss"):
        for path in sorted(experiment.glob(f"*/metrics/{key}"))[:5]:
            lines = _metric_lines(path)
            timestamp, value, step = max(lines, key=lambda line: (line[2], line[0], line[1]))
            row = imported.rows(
                "SELECT value, step, timestamp FROM latest_metric WHERE run_id = :r AND key = :k",
                r=path.parent.parent.name,
                k=key,
            )
            assert row == [(value, step, datetime.fromtimestamp(timestamp / 1000, tz=UTC))]
            checked += 1
    assert checked == 10


def test_failed_runs_keep_status_and_times(imported: Imported) -> None:
    metas = [
        yaml.safe_load(path.read_text())
        for path in (imported.root / "arantzaghg__Proyecto_3_Deep_Learning").rglob("meta.yaml")
        if "status: 4" in path.read_text() and "run_id" in path.read_text()
    ]
    assert len(metas) == 2
    for meta in metas:
        row = imported.rows(
            "SELECT status, start_time, end_time, name FROM run WHERE id = :r", r=meta["run_id"]
        )
        assert row == [
            (
                "FAILED",
                datetime.fromtimestamp(meta["start_time"] / 1000, tz=UTC),
                datetime.fromtimestamp(meta["end_time"] / 1000, tz=UTC),
                meta["run_name"],
            )
        ]


def test_windows_artifact_uris_are_kept_and_resolved(imported: Imported) -> None:
    # MLflow 3.11 wrote the malformed "file:C:/..." form; the version's model files are found
    # on this machine anyway through the logged model folder.
    uri = imported.scalar(
        "SELECT artifact_uri FROM run WHERE id = '43813c5b497d4e58bcd10ca276ce7fde'"
    )
    assert uri.startswith("file:C:/Users/c_cam/")
    version = imported.rows(
        "SELECT flavor, source_uri, run_id, structure FROM model_version "
        "WHERE model_name = 'FraudDetectionModel'"
    )
    flavor, source_uri, run_id, structure = version[0]
    assert flavor == "xgboost"
    assert source_uri == "models:/m-d0f60c04bc614ae48b84ffed1ab5423f"
    assert run_id == "43813c5b497d4e58bcd10ca276ce7fde"
    assert json.loads(structure)["model_class"] == "xgboost.sklearn.XGBClassifier"
    # A lower-case drive (file:///c:/) and MLflow 2.2's file:///C:/ resolve as well.
    for model in ("ChurnModel", "sentiment_classifier"):
        flavors = imported.rows(
            "SELECT DISTINCT flavor FROM model_version WHERE model_name = :m", m=model
        )
        assert flavors == [("sklearn",)]


def test_paths_with_spaces_resolve(imported: Imported) -> None:
    rows = imported.rows("SELECT source_name FROM run WHERE source_name LIKE '%Semestre 7%'")
    assert rows, "expected runs logged from the folder with a space in its name"


def test_two_roots_get_separate_experiments(imported: Imported) -> None:
    folder = imported.root / "yijing0612__mlops-customer-churn"
    rows = imported.rows(
        "SELECT source, external_id, name, "
        "(SELECT count(*) FROM run r WHERE r.experiment_id = e.id) "
        "FROM experiment e WHERE source LIKE :p ORDER BY source, external_id",
        p=_prefix(imported, "yijing0612__mlops-customer-churn"),
    )
    sources = {row[0] for row in rows}
    assert sources == {
        f"mlflow:{(folder / 'mlruns').as_posix()}",
        f"mlflow:{(folder / 'notebooks' / 'mlruns').as_posix()}",
    }
    notebook_rows = [row for row in rows if "/notebooks/" in row[0]]
    assert [(row[1], row[3]) for row in notebook_rows] == [("0", 0), ("575443600868928771", 0)]
    assert len({row[1] for row in rows}) == 3  # experiment "0" exists in both roots


def test_registry_versions_link_runs(imported: Imported) -> None:
    models = dict(
        imported.rows(
            "SELECT name, count(*) FROM model_version v "
            "JOIN registered_model m ON m.name = v.model_name GROUP BY name"
        )
    )
    assert models == {
        "FraudDetectionModel": 1,
        "CNN": 8,
        "MLP": 4,
        "Models": 1,
        "sentiment_classifier": 3,
        "ChurnModel": 1,
        "RF_200_10": 3,
    }
    for path in (imported.root / "yijing0612__mlops-customer-churn" / "mlruns" / "models").glob(
        "*/version-*/meta.yaml"
    ):
        meta = yaml.safe_load(path.read_text())
        row = imported.rows(
            "SELECT run_id, source_uri, stage, status FROM model_version "
            "WHERE model_name = :m AND version = :v",
            m=meta["name"],
            v=meta["version"],
        )
        assert row == [(meta["run_id"], meta["source"], None, "READY")]
    orphans = imported.scalar(
        "SELECT count(*) FROM model_version v LEFT JOIN run r ON r.id = v.run_id WHERE r.id IS NULL"
    )
    assert orphans == 0


def test_version_environment_and_metrics(imported: Imported) -> None:
    dependencies, metrics, script = imported.rows(
        "SELECT dependencies, metrics, training_script FROM model_version "
        "WHERE model_name = 'RF_200_10' AND version = 1"
    )[0]
    requirements = (
        imported.root
        / "yijing0612__mlops-customer-churn"
        / "mlruns"
        / "574751808031189678"
        / "ae9bfcd097a14253a7e72f4e354f4f11"
        / "artifacts"
        / "model"
        / "requirements.txt"
    )
    expected = dict(line.split("==") for line in requirements.read_text().split())
    stored = json.loads(dependencies)
    assert {name: stored[name] for name in expected} == expected
    assert stored["python"] == "3.10.1"
    assert json.loads(metrics)["accuracy"] == pytest.approx(0.7619047619047619)
    assert script.endswith("train_model.py")


def test_signature_is_parsed(imported: Imported) -> None:
    run_id = imported.scalar(
        "SELECT run_id FROM model_version WHERE model_name = 'sentiment_classifier' AND version = 3"
    )
    mlmodel = (
        imported.root
        / "suhailchougle__capstone"
        / "mlruns"
        / "0"
        / run_id
        / "artifacts"
        / "model"
        / "MLmodel"
    )
    inputs = json.loads(yaml.safe_load(mlmodel.read_text())["signature"]["inputs"])
    signature = json.loads(
        imported.scalar(
            "SELECT signature FROM model_version "
            "WHERE model_name = 'sentiment_classifier' AND version = 3"
        )
    )
    assert signature["inputs"] == inputs
    assert signature["outputs"][0]["type"] == "tensor"


def test_logged_models_attach_to_runs(imported: Imported) -> None:
    prefix = _prefix(imported, "arantzaghg__Proyecto_3_Deep_Learning")
    environments = [
        json.loads(row[0])
        for row in imported.rows(
            "SELECT environment FROM run WHERE source LIKE :p AND environment IS NOT NULL", p=prefix
        )
    ]
    logged = [
        model for environment in environments for model in environment.get("logged_models", [])
    ]
    assert len(logged) == 92
    statuses = sorted({model["status"] for model in logged})
    assert statuses == ["FAILED", "READY"]
    ready = next(model for model in logged if model["status"] == "READY")
    assert ready["artifacts"]["flavor"] == "tensorflow"
    assert ready["metrics"]


def test_version_from_logged_model_carries_its_metrics(imported: Imported) -> None:
    model_dir = (
        imported.root
        / "CriscaosMetOsp__ML_UdeM_Fraud_Detection"
        / "mlruns"
        / "550687090619340603"
        / "models"
        / "m-d0f60c04bc614ae48b84ffed1ab5423f"
        / "metrics"
    )
    expected = {path.name: float(path.read_text().split()[1]) for path in model_dir.iterdir()}
    metrics = json.loads(
        imported.scalar(
            "SELECT metrics FROM model_version WHERE model_name = 'FraudDetectionModel'"
        )
    )
    assert metrics == expected


def test_tasks_are_inferred_from_names(imported: Imported) -> None:
    tasks = dict(imported.rows("SELECT name, task FROM registered_model"))
    assert tasks["FraudDetectionModel"] == "fraud-detection"
    assert tasks["ChurnModel"] == "churn-prediction"
    sources = imported.rows("SELECT DISTINCT task_source FROM experiment WHERE task IS NOT NULL")
    assert sources == [("inferred",)]


def test_reimport_changes_nothing(imported: Imported) -> None:
    tables = (
        "experiment",
        "run",
        "run_param",
        "run_tag",
        "metric_point",
        "latest_metric",
        "model_version",
        "note",
    )
    before = {table: imported.scalar(f"SELECT count(*) FROM {table}") for table in tables}
    summary = import_mlflow(imported.root / "yijing0612__mlops-customer-churn", imported.store)
    after = {table: imported.scalar(f"SELECT count(*) FROM {table}") for table in tables}
    assert after == before
    assert summary.counts["runs"].unchanged == 36
    assert summary.counts["runs"].imported == 0
    assert summary.counts["runs"].updated == 0
    assert summary.counts["model_versions"].unchanged == 4


def test_parent_folder_finds_every_root(imported: Imported) -> None:
    from tools.mlflow_import.discovery import find_tracking_roots

    roots = [
        path.relative_to(imported.root).as_posix() for path in find_tracking_roots(imported.root)
    ]
    assert roots == [
        "CriscaosMetOsp__ML_UdeM_Fraud_Detection/mlruns",
        "arantzaghg__Proyecto_3_Deep_Learning/mlruns",
        "suhailchougle__capstone/mlruns",
        "yijing0612__mlops-customer-churn/mlruns",
        "yijing0612__mlops-customer-churn/notebooks/mlruns",
    ]


def test_import_record_is_stored(imported: Imported) -> None:
    records = imported.rows("SELECT source, kind, summary FROM import_record ORDER BY started_at")
    sources = [row[0] for row in records]
    assert str(imported.root / "suhailchougle__capstone") in sources
    summary = json.loads(records[0][2])
    assert summary["counts"]["runs"]["imported"] == 35
