"""Small readers of the MLflow importer: metric lines, artifact URIs, field values, requirements."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.mlflow_import import fields
from tools.mlflow_import.artifacts import read_dependencies
from tools.mlflow_import.discovery import find_tracking_roots
from tools.mlflow_import.files import parse_metric_line, read_key_files, read_metric_file
from tools.mlflow_import.paths import local_folder, rebase, uri_path
from tools.mlflow_import.records import MetricRecord, latest_points
from tools.mlflow_import.sources import is_uri, strip_credentials
from tools.mlflow_import.summary import ImportSummary


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1700000000000 0.5", (1700000000000, 0.5, 0)),  # MLflow 1: no step
        ("1700000000000 0.5 3", (1700000000000, 0.5, 3)),
        ("1700000000000 0.5 3 0123456789abcdef0123456789abcdef", (1700000000000, 0.5, 3)),
        ("1700000000000 0.5 3 train d41d8cd9", (1700000000000, 0.5, 3)),
        ("1700000000000 nan 1", None),
    ],
)
def test_metric_line_forms(line: str, expected: tuple[int, float, int] | None) -> None:
    parsed = parse_metric_line(line)
    if expected is None:
        assert parsed is not None
        assert parsed[1] != parsed[1]  # NaN is a value MLflow can log
    else:
        assert parsed == expected


@pytest.mark.parametrize("line", ["", "1700000000000", "abc 0.5 1", "1 2 3 4 5 6", "1 x 2"])
def test_malformed_metric_lines(line: str) -> None:
    assert parse_metric_line(line) is None


def test_metric_file_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "loss"
    path.write_text("1000 0.5 0\nbroken\n2000 0.4 1\n\n3000 oops 2\n")
    summary = ImportSummary(source="test")
    points = read_metric_file(path, "loss", summary)
    assert [(point.step, point.value) for point in points] == [(0, 0.5), (1, 0.4)]
    assert [skip.path for skip in summary.skips] == [f"{path}:2", f"{path}:5"]
    assert points[0].timestamp == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_key_files_keep_values_and_nested_keys(tmp_path: Path) -> None:
    (tmp_path / "params" / "model").mkdir(parents=True)
    (tmp_path / "params" / "lr").write_text("0.01")
    (tmp_path / "params" / "model" / "depth").write_text("5\n")
    values = read_key_files(tmp_path / "params", "params", ImportSummary(source="test"))
    assert values == {"lr": "0.01", "model/depth": "5\n"}


def test_latest_point_rule() -> None:
    def point(value: float, step: int, millis: int) -> MetricRecord:
        return MetricRecord("loss", value, step, fields.from_millis(millis))

    points = [point(0.9, 0, 100), point(0.1, 2, 50), point(0.5, 1, 999), point(0.2, 2, 60)]
    assert latest_points(points)["loss"].value == 0.2
    with_nan = [point(0.3, 1, 100), point(float("nan"), 1, 100)]
    assert latest_points(with_nan)["loss"].value == 0.3


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///C:/Users/a/mlruns/1", "/C:/Users/a/mlruns/1"),
        ("file:C:/Users/a/mlruns/1", "C:/Users/a/mlruns/1"),
        ("file:///tmp/mlruns/1", "/tmp/mlruns/1"),
        ("file:/tmp/mlruns/1", "/tmp/mlruns/1"),
        ("file:///c:/Semestre%207/mlruns", "/c:/Semestre 7/mlruns"),
        ("/tmp/mlruns", "/tmp/mlruns"),
        ("runs:/abc/model", None),
        ("models:/m-123", None),
        ("s3://bucket/key", None),
    ],
)
def test_uri_path(uri: str, path: str | None) -> None:
    assert uri_path(uri) == path


def test_windows_uris_rebase_onto_local_root(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    model = root / "12" / "abc" / "artifacts" / "model"
    model.mkdir(parents=True)
    for uri in (
        "file:C:/Users/c cam/repo/mlruns/12/abc/artifacts/model",
        "file:///c:/Users/x/0/mlruns/12/abc/artifacts/model",
        r"C:\Users\x\mlruns\12\abc\artifacts\model",
    ):
        assert local_folder(uri, root) == model, uri
    assert rebase("C:/Users/x/mlruns/12/other/artifacts", root) is None
    assert local_folder("file:///C:/Users/x/mlruns/12/abc/artifacts/model", None) is None


def test_field_values() -> None:
    assert fields.run_status(3) == "FINISHED"
    assert fields.run_status("4") == "FAILED"
    assert fields.run_status("RunStatus.KILLED") == "KILLED"
    assert fields.run_status("odd") == "UNKNOWN"
    assert fields.source_type(4) == "LOCAL"
    assert fields.stage("None") is None
    assert fields.stage("Production") == "Production"
    assert fields.logged_model_status(2) == "READY"
    assert fields.logged_model_status(3) == "FAILED"
    assert fields.from_millis(None) is None
    assert fields.from_millis("n/a") is None
    assert fields.from_millis(1_700_000_000_000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert fields.version_number("7") == 7
    assert fields.version_number("v7") is None


def test_dependencies_from_environment_files(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "mlflow==2.22.0\n-r extra.txt\n# comment\nnumpy>=1.26,<2\n"
        'contourpy==1.3.2; python_full_version < "3.11"\ncontourpy==1.3.3\n'
    )
    (tmp_path / "conda.yaml").write_text(
        "dependencies:\n- python=3.10.1\n- pip<=25.1\n- pip:\n  - pandas==2.2.3\n  - mlflow==9.9\n"
    )
    (tmp_path / "python_env.yaml").write_text("python: 3.10.1\n")
    dependencies = read_dependencies(tmp_path, ImportSummary(source="test"))
    assert dependencies == {
        "mlflow": "2.22.0",
        "numpy": ">=1.26,<2",
        "contourpy": '1.3.2; python_full_version < "3.11"',
        "pandas": "2.2.3",
        "python": "3.10.1",
        "pip": "<=25.1",
    }


def test_discovery_ignores_a_parent_named_mlruns(tmp_path: Path) -> None:
    collection = tmp_path / "mlruns"
    for name in ("one/mlruns/0", "two/notebooks/mlruns/5"):
        (collection / name).mkdir(parents=True)
        (collection / name / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    (collection / ".git" / "mlruns" / "0").mkdir(parents=True)
    roots = [path.relative_to(collection).as_posix() for path in find_tracking_roots(collection)]
    assert roots == ["one/mlruns", "two/notebooks/mlruns"]


def test_uri_helpers() -> None:
    assert is_uri("sqlite:///mlflow.db")
    assert is_uri("http://127.0.0.1:5000")
    assert not is_uri("C:/Users/a/mlruns")
    assert not is_uri("./mlruns")
    assert (
        strip_credentials("postgresql://bob:secret@db:5432/mlflow")
        == "postgresql://bob@db:5432/mlflow"
    )
    assert strip_credentials("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
