"""Fill the hand-written gold templates with expected values computed from the data itself.

The values never come from ModelPilot's tools or answers:

- realdata: the raw MLflow files under ../shared/realdata/mlruns (meta.yaml, metric, param
  and tag files, registry folders) are read with PyYAML and loaded into an in-memory DuckDB
  database, and each template value is a plain SQL query on it;
- demo: a demo workspace is built (or an existing one given with ``--demo-home``) and each
  value is a plain SQL query on its store.duckdb, opened read-only with the duckdb module.

Templates (evals/gold/templates/*.yaml) hold the questions, the expected tool calls and the
facts, with ``{{value}}`` or ``{{value.column}}`` placeholders. A string that is exactly one
placeholder keeps the value's type (a number stays a number; a list of facts is spliced in).

    python -m evals.gold.build_expected                 # builds a demo workspace (~3 min)
    python -m evals.gold.build_expected --demo-home DIR # reuses one built with `modelpilot demo`
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

log = logging.getLogger(__name__)

GOLD_DIR = Path(__file__).resolve().parent
TEMPLATES = GOLD_DIR / "templates"
REALDATA = GOLD_DIR.parents[2] / "shared" / "realdata"
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
# MLflow's file store writes a run's status as the number of its RunStatus enum.
_RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}

RAW_SCHEMA = """
SET TimeZone = 'UTC';
CREATE TABLE experiments (root VARCHAR, experiment_id VARCHAR, name VARCHAR);
CREATE TABLE runs (
    run_id VARCHAR, root VARCHAR, experiment VARCHAR, name VARCHAR, status VARCHAR,
    start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, user_id VARCHAR
);
CREATE TABLE metric_points (run_id VARCHAR, key VARCHAR, value DOUBLE, step BIGINT, ts BIGINT);
CREATE TABLE params (run_id VARCHAR, key VARCHAR, value VARCHAR);
CREATE TABLE tags (run_id VARCHAR, key VARCHAR, value VARCHAR);
CREATE TABLE registered_models (root VARCHAR, name VARCHAR, created TIMESTAMPTZ);
CREATE TABLE model_versions (
    root VARCHAR, model VARCHAR, version INTEGER, run_id VARCHAR, created TIMESTAMPTZ,
    stage VARCHAR
);
-- MLflow's latest value of a metric: the highest step, then the latest timestamp, then the
-- highest value.
CREATE VIEW latest AS
SELECT r.run_id, r.experiment, r.name, r.status, r.start_time, m.key, m.value, m.step
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY run_id, key ORDER BY step DESC, ts DESC, value DESC
    ) AS position
    FROM metric_points
) m JOIN runs r USING (run_id)
WHERE m.position = 1;
"""


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _instant(milliseconds: Any) -> datetime | None:
    if milliseconds in (None, "", 0):
        return None
    return datetime.fromtimestamp(int(milliseconds) / 1000, UTC)


def _tracking_roots(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("mlruns")):
        if path.is_dir() and ".trash" not in path.parts:
            yield path


def _runs_of(experiment_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for run_dir in sorted(experiment_dir.iterdir()):
        meta_path = run_dir / "meta.yaml"
        if run_dir.name == "models" or not meta_path.is_file():
            continue
        meta = _yaml(meta_path)
        if meta.get("run_id") or meta.get("run_uuid"):
            yield run_dir, meta


def _lines(folder: Path) -> Iterator[tuple[str, str]]:
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8").strip()


def load_raw_mlflow(folder: Path) -> duckdb.DuckDBPyConnection:
    """Load every MLflow tracking folder under ``folder`` into an in-memory database."""
    connection = duckdb.connect()
    connection.execute(RAW_SCHEMA)
    for root in _tracking_roots(folder):
        label = root.relative_to(folder).as_posix()
        for experiment_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            meta_path = experiment_dir / "meta.yaml"
            if experiment_dir.name in ("models", ".trash") or not meta_path.is_file():
                continue
            experiment = _yaml(meta_path)
            if experiment.get("lifecycle_stage", "active") != "active" or "name" not in experiment:
                continue
            connection.execute(
                "INSERT INTO experiments VALUES (?, ?, ?)",
                [label, str(experiment.get("experiment_id")), experiment["name"]],
            )
            for run_dir, run in _runs_of(experiment_dir):
                if run.get("lifecycle_stage", "active") != "active":
                    continue
                _load_run(connection, label, experiment["name"], run_dir, run)
        _load_registry(connection, label, root / "models")
    return connection


def _load_run(
    connection: duckdb.DuckDBPyConnection,
    root: str,
    experiment: str,
    run_dir: Path,
    run: dict[str, Any],
) -> None:
    run_id = str(run.get("run_id") or run.get("run_uuid"))
    tags = dict(_lines(run_dir / "tags"))
    # MLflow shows the mlflow.runName tag when it is set, else meta.yaml's run_name.
    name = tags.get("mlflow.runName") or str(run.get("run_name") or "")
    status = run.get("status")
    connection.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            root,
            experiment,
            name,
            _RUN_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
            _instant(run.get("start_time")),
            _instant(run.get("end_time")),
            run.get("user_id"),
        ],
    )
    for key, text in _lines(run_dir / "params"):
        connection.execute("INSERT INTO params VALUES (?, ?, ?)", [run_id, key, text])
    for key, text in tags.items():
        connection.execute("INSERT INTO tags VALUES (?, ?, ?)", [run_id, key, text])
    points = []
    for key, text in _lines(run_dir / "metrics"):
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                step = int(parts[2]) if len(parts) > 2 else 0
                points.append((run_id, key, float(parts[1]), step, int(parts[0])))
    if points:
        connection.executemany("INSERT INTO metric_points VALUES (?, ?, ?, ?, ?)", points)


def _load_registry(connection: duckdb.DuckDBPyConnection, root: str, models: Path) -> None:
    if not models.is_dir():
        return
    for model_dir in sorted(p for p in models.iterdir() if p.is_dir()):
        meta = _yaml(model_dir / "meta.yaml") if (model_dir / "meta.yaml").exists() else {}
        name = str(meta.get("name") or model_dir.name)
        connection.execute(
            "INSERT INTO registered_models VALUES (?, ?, ?)",
            [root, name, _instant(meta.get("creation_timestamp"))],
        )
        for version_dir in sorted(model_dir.glob("version-*")):
            version = _yaml(version_dir / "meta.yaml")
            connection.execute(
                "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?)",
                [
                    root,
                    name,
                    int(version.get("version") or version_dir.name.split("-")[1]),
                    version.get("run_id"),
                    _instant(version.get("creation_timestamp")),
                    version.get("current_stage"),
                ],
            )


def open_demo_store(home: Path) -> duckdb.DuckDBPyConnection:
    """Open a built demo workspace's store read-only, with timestamps in UTC."""
    connection = duckdb.connect(str(home / "store.duckdb"), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def build_demo(home: Path) -> None:
    """Build the demo workspace as the eval harness does (same pinned "now")."""
    from evals.harness.workspaces import build_demo_workspace

    build_demo_workspace(home)


# --- templates -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def compute_values(
    connection: duckdb.DuckDBPyConnection, queries: dict[str, Any]
) -> dict[str, Any]:
    """Run each named query: one row becomes {column: value}; ``many`` gives a list."""
    values: dict[str, Any] = {}
    for name, spec in queries.items():
        sql = spec["sql"] if isinstance(spec, dict) else spec
        cursor = connection.execute(sql)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        if isinstance(spec, dict) and spec.get("many"):
            values[name] = [_plain(row[0]) for row in rows]
            continue
        if not rows:
            raise ValueError(f"value {name!r} found no row; check its query")
        values[name] = {column: _plain(cell) for column, cell in zip(columns, rows[0], strict=True)}
    return values


def _lookup(values: dict[str, Any], path: str) -> Any:
    name, _, column = path.partition(".")
    if name not in values:
        raise KeyError(f"unknown value {name!r} in a template")
    value = values[name]
    if isinstance(value, dict):
        if column:
            return value[column]
        return next(iter(value.values()))
    if column:
        raise KeyError(f"value {name!r} is a list; it has no column {column!r}")
    return value


def render(node: Any, values: dict[str, Any]) -> Any:
    """Replace placeholders everywhere in ``node``; a list element that renders to a list is
    spliced into its parent list."""
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node.strip())
        if whole:
            return _lookup(values, whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _format(_lookup(values, m.group(1))), node)
    if isinstance(node, list):
        rendered: list[Any] = []
        for element in node:
            value = render(element, values)
            if isinstance(value, list) and isinstance(element, str):
                rendered.extend(value)
            else:
                rendered.append(value)
        return rendered
    if isinstance(node, dict):
        return {key: render(value, values) for key, value in node.items()}
    return node


def _format(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


ITEM_KEYS = (
    "id",
    "turns",
    "language",
    "category",
    "now",
    "workspace",
    "user",
    "expected",
    "facts",
    "store_change",
    "confirm",
    "citations",
    "setup",
    "note",
)


def render_file(path: Path, connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Render every item of one template file."""
    template = _yaml(path)
    defaults = template.get("defaults", {})
    values = compute_values(connection, template.get("values", {}))
    items = []
    for raw in template.get("items", []):
        item = {**defaults, **raw}
        rendered = render(item, values)
        items.append({key: rendered[key] for key in ITEM_KEYS if key in rendered})
    return items


def template_files(workspace: str) -> list[Path]:
    return sorted(TEMPLATES.glob(f"{workspace}_*.yaml"))


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> None:
    lines = [json.dumps(item, ensure_ascii=False, sort_keys=False) for item in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_workspace_items(workspace: str, connection: duckdb.DuckDBPyConnection) -> int:
    items: list[dict[str, Any]] = []
    for path in template_files(workspace):
        items.extend(render_file(path, connection))
    write_jsonl(GOLD_DIR / f"{workspace}.jsonl", items)
    log.info("wrote %d %s items", len(items), workspace)
    return len(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("realdata", "demo"), help="Build one workspace's items.")
    parser.add_argument("--demo-home", type=Path, help="A demo workspace that is already built.")
    parser.add_argument("--realdata", type=Path, default=REALDATA, help="The realdata folder.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.only in (None, "realdata"):
        build_workspace_items("realdata", load_raw_mlflow(args.realdata / "mlruns"))
    if args.only in (None, "demo"):
        if args.demo_home is not None:
            build_workspace_items("demo", open_demo_store(args.demo_home))
        else:
            with tempfile.TemporaryDirectory(prefix="modelpilot-gold-demo-") as folder:
                home = Path(folder) / "demo"
                build_demo(home)
                build_workspace_items("demo", open_demo_store(home))
    return 0


if __name__ == "__main__":
    sys.exit(main())
