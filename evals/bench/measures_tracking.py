"""Measures over runs, the registry and monitoring, with MLflow's client beside ours."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from evals.bench.generate import QUERY_METRIC, QUERY_PERIOD, QUERY_TASK
from evals.bench.results import Bench, Result, invoke, timed
from tools.clock import now
from tools.store.schema import Run
from tools.timerange import parse_period
from tools.tool_registry import REGISTRY
from tools.tracking import queries

TOP_N = 10
HISTORY_METRIC = "val_loss"
MONITORING_PERIOD = "last 30 days"


def search_measures(bench: Bench) -> list[Result]:
    """Query 1: the best N runs of a task by a metric within a time window."""
    window = parse_period(QUERY_PERIOD, now())
    arguments = {"task": QUERY_TASK, "metric": QUERY_METRIC, "period": QUERY_PERIOD}
    tool, tool_result = timed(
        bench,
        "search_tool",
        f"best {TOP_N} {QUERY_TASK} runs by {QUERY_METRIC}, {QUERY_PERIOD} (tool)",
        invoke(bench, "search_runs", {**arguments, "limit": TOP_N}),
    )
    tool.details["matches"] = tool_result["total"]

    query = queries.RunQuery(
        task=QUERY_TASK, metric=QUERY_METRIC, start=window.start, end=window.end, limit=TOP_N
    )

    def direct() -> list[float | None]:
        with bench.store.session() as session:
            runs, _, _ = queries.search_runs(session, query)
        return [run.metric_value for run in runs]

    direct_result, ours = timed(
        bench, "search_query", "the same query, query function only", direct
    )
    results = [tool, direct_result]
    results.extend(_mlflow_search(bench, window.start, window.end, ours))
    return results


def _millis(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def _mlflow_search(bench: Bench, start: Any, end: Any, ours: list[float | None]) -> list[Result]:
    if bench.mlflow is None:
        return [_mlflow_skip("search_mlflow", "MLflow search_runs", bench)]
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=bench.mlflow.uri)
    window = f"attributes.start_time >= {_millis(start)} and attributes.start_time < {_millis(end)}"
    order = [f"metrics.{QUERY_METRIC} DESC"]
    every = bench.mlflow.experiment_ids()
    of_task = bench.mlflow.task_experiment_ids(QUERY_TASK)

    def search(experiment_ids: list[str], filter_string: str) -> list[float | None]:
        runs = client.search_runs(experiment_ids, filter_string, order_by=order, max_results=TOP_N)
        return [run.data.metrics.get(QUERY_METRIC) for run in runs]

    all_result, theirs = timed(
        bench,
        "search_mlflow",
        f"MLflow search_runs over all {len(every)} experiments, tags.task filter",
        lambda: search(every, f"tags.task = '{QUERY_TASK}' and {window}"),
    )
    # Same ranking on both sides is the check that the two queries ask the same thing.
    all_result.details["same_top_values"] = ours == theirs
    task_result, _ = timed(
        bench,
        "search_mlflow_task",
        f"MLflow search_runs over the task's {len(of_task)} experiments only",
        lambda: search(of_task, window),
    )
    return [all_result, task_result]


def _mlflow_skip(key: str, title: str, bench: Bench) -> Result:
    return Result(key, title, skipped=bench.mlflow_skipped or "MLflow comparison turned off")


def run_measures(bench: Bench) -> list[Result]:
    """Compare two runs, and one run's metric history, through our tools and MLflow's."""
    first, second = bench.workspace.compare_runs[0], bench.workspace.compare_runs[-1]
    compare, _ = timed(
        bench,
        "compare_tool",
        "compare two runs (tool)",
        invoke(bench, "compare_runs", {"runs": [first, second]}),
    )
    history, points = timed(
        bench,
        "history_tool",
        f"{HISTORY_METRIC} history of one run (tool)",
        invoke(bench, "metric_history", {"run": first, "metric": HISTORY_METRIC}),
    )
    history.details["points"] = len(points["points"])
    results = [compare, history]
    if bench.mlflow is None:
        results.append(_mlflow_skip("compare_mlflow", "MLflow get_run twice", bench))
        results.append(_mlflow_skip("history_mlflow", "MLflow get_metric_history", bench))
        return results

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=bench.mlflow.uri)
    ids = _run_ids(bench, [first, second])
    mlflow_compare, _ = timed(
        bench,
        "compare_mlflow",
        "MLflow get_run for both runs (by id)",
        lambda: [client.get_run(run_id) for run_id in ids],
    )
    mlflow_history, _ = timed(
        bench,
        "history_mlflow",
        "MLflow get_metric_history (by id)",
        lambda: client.get_metric_history(ids[0], HISTORY_METRIC),
    )
    return [*results, mlflow_compare, mlflow_history]


def _run_ids(bench: Bench, names: list[str]) -> list[str]:
    with bench.store.session() as session:
        rows = session.exec(select(Run.name, Run.id).where(col(Run.name).in_(names))).all()
    by_name = dict(rows)
    return [str(by_name[name]) for name in names]


def registry_measures(bench: Bench) -> list[Result]:
    model = bench.workspace.busiest_model
    calls = (
        ("list_model_versions", {"model": model}, f"versions of {model}"),
        (
            "alias_history",
            {"model": model, "alias": "production"},
            f"production alias history of {model}",
        ),  # fmt: skip
    )
    return _tool_measures(bench, calls)


def monitoring_measures(bench: Bench) -> list[Result]:
    model = bench.workspace.monitored_model
    traffic = bench.workspace.traffic.get(model, 0)
    calls = (
        (
            "drift_report",
            {"model": model, "period": MONITORING_PERIOD},
            f"drift of {model}, {MONITORING_PERIOD}",
        ),  # fmt: skip
        (
            "latency_report",
            {"model": model, "period": MONITORING_PERIOD},
            f"latency percentiles of {model}, {MONITORING_PERIOD}",
        ),  # fmt: skip
    )
    results = _tool_measures(bench, calls)
    for result in results:
        result.details["inference_records_of_model"] = traffic
    return results


def _tool_measures(
    bench: Bench, calls: tuple[tuple[str, dict[str, Any], str], ...]
) -> list[Result]:
    results = []
    names = set(REGISTRY.names())
    for tool, arguments, title in calls:
        if tool not in names:
            results.append(Result(tool, title, skipped=f"the {tool} tool is not registered"))
            continue
        result, _ = timed(bench, tool, f"{title} (tool)", invoke(bench, tool, arguments))
        results.append(result)
    return results
