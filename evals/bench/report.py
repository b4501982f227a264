"""Write a benchmark run as JSON and as the Markdown page docs/benchmarks.md."""

from __future__ import annotations

import json
from pathlib import Path

from evals.bench.results import Result
from evals.bench.runner import BenchRun, ScaleRun
from evals.bench.targets import check

DEFAULT_SCALE = 1.0
# Pairs of (ModelPilot, MLflow) measures that answer the same question.
PAIRS = (
    ("search_tool", "search_mlflow"),
    ("search_query", "search_mlflow"),
    ("search_tool", "search_mlflow_task"),
    ("compare_tool", "compare_mlflow"),
    ("history_tool", "history_mlflow"),
)
COUNT_LABELS = {
    "experiment": "experiments", "run": "runs", "run_param": "params", "run_tag": "tags",
    "metric_point": "metric points", "latest_metric": "latest metrics",
    "registered_model": "registered models", "model_version": "model versions",
    "alias_event": "alias events", "inference_record": "inference records",
    "inference_feature": "inference feature values", "pipeline_run": "pipeline runs",
}  # fmt: skip


def write_json(run: BenchRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_dict(), indent=2, default=str))


def write_markdown(run: BenchRun, path: Path, command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, command))


def render(run: BenchRun, command: str) -> str:
    parts = [_header(run, command), _machine(run), _demo(run), _workspaces(run)]
    for scale_run in run.runs:
        parts.append(_latencies(scale_run))
        parts.append(_throughputs(scale_run))
        parts.append(_side_by_side(scale_run))
    if len(run.runs) > 1:
        parts.append(_growth(run.runs[0], run.runs[-1]))
    parts.append(_targets(run))
    parts.append(_method())
    return "\n\n".join(part for part in parts if part).rstrip() + "\n"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _header(run: BenchRun, command: str) -> str:
    load = run.load_before
    load_text = f"{load[0]:.1f}" if load else "unknown"
    return (
        "# Benchmarks\n\n"
        "ModelPilot's queries, tools, planner, knowledge index and MLflow import timed on a "
        "synthetic workspace, with MLflow's own client answering the same queries on a "
        "SQLite tracking store that holds the same runs. Written by\n\n"
        f"    {command}\n\n"
        f"on {run.started_at[:16].replace('T', ' ')} UTC. The one-minute load average was "
        f"{load_text} when the run started; other jobs on the machine make every figure slower, "
        "so compare figures of the same run rather than runs of different days."
    )


def _machine(run: BenchRun) -> str:
    info = run.machine
    rows = [[key, str(value)] for key, value in info.items()]
    return "## Machine\n\n" + _table(["what", "value"], rows)


def _workspaces(run: BenchRun) -> str:
    if not run.runs:
        return ""
    header = ["rows", *[f"scale {r.scale:g}" for r in run.runs]]
    rows = []
    for table, label in COUNT_LABELS.items():
        rows.append([label, *[f"{r.workspace['counts'].get(table, 0):,}" for r in run.runs]])
    rows.append(["generation (s)", *[f"{r.workspace['generation_s']:.0f}" for r in run.runs]])
    rows.append(["MLflow SQLite load (s)", *[_mlflow_load(r) for r in run.runs]])
    return "## Workspaces\n\n" + _table(header, rows)


def _mlflow_load(run: ScaleRun) -> str:
    return f"{run.mlflow['load_s']:.0f}" if run.mlflow else "skipped"


def _latencies(run: ScaleRun) -> str:
    rows = []
    for result in run.results:
        if result.rate is not None:
            continue
        if result.skipped:
            rows.append([result.title, "–", "–", "–", "–", "–", f"skipped: {result.skipped}"])
            continue
        if result.timing is None:
            continue
        memory = result.memory
        rows.append(
            [
                result.title,
                _ms(result.timing.median_ms),
                _ms(result.timing.p95_ms),
                str(result.timing.samples),
                f"{memory.python_peak_mb:.1f}" if memory else "–",
                f"{memory.rss_growth_mb:.1f}" if memory else "–",
                _notes(result),
            ]
        )
    header = ["measure", "median ms", "p95 ms", "calls", "Python peak MiB", "RSS growth MiB"]
    header.append("notes")
    return f"## Latency at scale {run.scale:g}\n\n" + _table(header, rows)


def _notes(result: Result) -> str:
    shown = {k: v for k, v in result.details.items() if k not in ("slowest",)}
    return "; ".join(f"{key}: {value}" for key, value in shown.items())


def _throughputs(run: ScaleRun) -> str:
    rows = []
    for result in run.results:
        if result.rate is None:
            continue
        memory = result.memory
        rows.append(
            [
                result.title,
                f"{result.rate:,.1f} {result.rate_unit}",
                f"{memory.python_peak_mb:.1f}" if memory else "–",
                f"{memory.rss_growth_mb:.1f}" if memory else "–",
                _notes(result),
            ]
        )
    header = ["measure", "figure", "Python peak MiB", "RSS growth MiB", "notes"]
    text = f"### Throughput and memory at scale {run.scale:g}\n\n" + _table(header, rows)
    planner = next((r for r in run.results if r.key == "planner" and r.details), None)
    if planner is not None and planner.details.get("slowest"):
        slow = [[text, _ms(ms)] for text, ms in planner.details["slowest"].items()]
        text += "\n\nSlowest planner requests (worst call):\n\n" + _table(["request", "ms"], slow)
    return text


def _side_by_side(run: ScaleRun) -> str:
    if run.mlflow is None:
        return f"### MLflow side by side at scale {run.scale:g}\n\nSkipped: {run.mlflow_skipped}"
    by_key = {result.key: result for result in run.results}
    rows = []
    for ours_key, theirs_key in PAIRS:
        ours, theirs = by_key.get(ours_key), by_key.get(theirs_key)
        if not (ours and theirs and ours.timing and theirs.timing):
            continue
        rows.append(
            [
                ours.title,
                theirs.title,
                f"{_ms(ours.timing.median_ms)} / {_ms(ours.timing.p95_ms)}",
                f"{_ms(theirs.timing.median_ms)} / {_ms(theirs.timing.p95_ms)}",
                f"{theirs.timing.median_ms / ours.timing.median_ms:.1f}x",
            ]
        )
    header = ["ModelPilot", "MLflow", "ModelPilot ms (median / p95)", "MLflow ms (median / p95)"]
    header.append("MLflow ÷ ModelPilot (median)")
    same = by_key.get("search_mlflow")
    check_text = ""
    if same and "same_top_values" in same.details:
        verdict = "the same" if same.details["same_top_values"] else "NOT the same"
        check_text = f"\n\nThe top {10} accuracy values of query 1 are {verdict} on both sides."
    return f"### MLflow side by side at scale {run.scale:g}\n\n" + _table(header, rows) + check_text


def _figure(result: Result) -> float | None:
    if result.timing is not None:
        return result.timing.p95_ms
    return result.rate


def _growth(small: ScaleRun, large: ScaleRun) -> str:
    smaller = {r.key: r for r in small.results}
    rows = []
    for result in large.results:
        before = smaller.get(result.key)
        now_value = _figure(result)
        then_value = _figure(before) if before else None
        if now_value is None or then_value is None:
            continue
        unit = "p95 ms" if result.timing is not None else result.rate_unit or ""
        factor = f"{now_value / then_value:.2f}x" if then_value else "–"
        rows.append([result.title, unit, _ms(then_value), _ms(now_value), factor])
    header = ["measure", "figure", f"scale {small.scale:g}", f"scale {large.scale:g}", "growth"]
    intro = (
        f"## Growth from scale {small.scale:g} to {large.scale:g}\n\n"
        "Ten times the rows; a factor near 1 means the figure does not depend on the "
        "workspace's size.\n\n"
    )
    return intro + _table(header, rows)


def _demo(run: BenchRun) -> str:
    result = next((r for r in run.demo if r.key == "planner_demo"), None)
    if result is None:
        return ""
    if result.timing is None:
        return f"## Rules planner on the demo workspace\n\nNot measured: {result.skipped}"
    timing, details = result.timing, result.details
    text = (
        "## Rules planner on the demo workspace\n\n"
        f"{result.title}: {details['passes']} timed passes"
        + (" after one untimed pass" if details.get("untimed_pass") else "")
        + ", each request as its gold item's user with the item's pinned now."
        + _load_note(details.get("load_before"))
        + "\n\n"
        + _table(
            ["calls", "median ms", "p95 ms", "max ms", "share under 50 ms"],
            [
                [
                    str(timing.samples),
                    _ms(timing.median_ms),
                    _ms(timing.p95_ms),
                    _ms(timing.max_ms),
                    f"{details['under_50_ms']:.1%}",
                ]
            ],
        )
    )
    slow = [[text, _ms(ms)] for text, ms in details.get("slowest", {}).items()]
    if slow:
        text += "\n\nSlowest requests (worst call):\n\n" + _table(["request", "ms"], slow)
    return text


def _load_note(load: float | None) -> str:
    return "" if load is None else f" The one-minute load average was {load:.1f} when it started."


def _targets(run: BenchRun) -> str:
    default = next((r for r in run.runs if r.scale == DEFAULT_SCALE), None)
    chosen = default or (run.runs[-1] if run.runs else None)
    title = "## Targets at the default size (scale 1), 2 cores"
    if chosen is None:
        title += "\n\nThis run measured the demo workspace only."
    elif default is None:
        title += (
            f"\n\nThis run did not include scale 1; the figures are from scale {chosen.scale:g}."
        )
    rows = []
    notes = []
    for target in check([*(chosen.results if chosen else []), *run.demo]):
        verdict = {True: "met", False: "missed", None: "not measured"}[target.met]
        rows.append([target.goal, target.value, verdict])
        if target.note:
            notes.append(f"- {target.goal}: {target.note}")
    text = title + "\n\n" + _table(["target", "measured", "verdict"], rows)
    if notes:
        text += "\n\nWhy a target is missed, and what would fix it:\n\n" + "\n".join(notes)
    return text


def _method() -> str:
    return _METHOD


_METHOD = """## Method

- **Workspace.** `evals/bench/generate.py` creates the store with `open_store` (schema and
  version row), then fills it through one DuckDB connection with `INSERT ... SELECT` from Arrow
  tables built with numpy, in chunks of 25,000 runs: experiments over every task of
  `tools/vocabulary.py`, runs spread over two and a half years with recent months busiest,
  about 8% FAILED and 3% KILLED runs that stop part-way, six params per run (model family,
  learning rate, depth, estimators, batch size, seed), loss curves with one point per epoch
  and final metrics per task (accuracy, f1, roc_auc, rmse, mape, ndcg_at_10, ...), registered
  models whose aliases move and are rolled back over time, deployments, pipelines with failed
  steps, and an inference log over 45 days whose busiest model drifts in the last 10 days. The
  feature values of inference records are computed in SQL from the record id.
- **MLflow store.** MLflow's client creates its SQLite schema, and the same experiments, runs,
  tags (the task is the `task` tag), params, metrics and latest metrics are then copied into
  its tables with `executemany`, secondary indexes rebuilt after the copy. Logging 200,000
  runs through `MlflowClient` makes one transaction per call and would take hours; the rows are
  the ones those calls write. Query 1 in MLflow is `search_runs(experiment_ids,
  "tags.task = '...' and attributes.start_time >= ... and attributes.start_time < ...",
  order_by=["metrics.accuracy DESC"], max_results=10)`, over all experiments and, as a second
  line, over only the task's experiments.
- **Timing.** Each measure is called a few times untimed, then 30 times (fewer when one call
  is slow enough to exceed 90 s in total; the calls column says how many); the table gives the
  median and the 95th percentile (linear interpolation). Tool calls go through
  `Governor.invoke`, so they include argument validation and the audit entry; "query function
  only" calls `tools.tracking.queries.search_runs` on an open session.
- **Memory.** "Python peak" is tracemalloc's peak during one call; "RSS growth" is the peak
  resident set size during another call minus the RSS before it (VmHWM reset through
  /proc/self/clear_refs), which also counts DuckDB's and ONNX Runtime's native memory. The
  console figure is the RSS of a separate process that keeps an Assistant with its lexicon
  and has answered the 50 requests twice (so the embedding model is loaded).
- **Knowledge.** Notes are Markdown files whose sections chunk one to one. Indexing throughput
  embeds a fresh sample with MiniLM. Embedding 10,000 chunks that way takes tens of minutes on
  two cores, so the retrieval index stores token-hashing vectors for the corpus (unless
  `--real-corpus`) while each query is embedded by MiniLM: the latency includes the query
  embedding, the HNSW search over every chunk, BM25 and fusion.
- **Planner.** The 50 requests of `evals/bench/requests.py` (25 English, 25 Chinese) go
  through `Assistant.ask` with no LLM configured, each in a new conversation; two are
  mutations and stop at the confirmation request."""
