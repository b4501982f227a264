"""Turning tool results into a short answer, a table and chart data, in the request's language.

Every number in an answer comes from a tool result; nothing here computes or invents values.
Tools without a template of their own get the generic rendering: their one-line summary fields
as a sentence and their first list of records as a table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.answer import Answer, Chart, Language, Table, ToolCallView
from assistant.plan import Plan
from tools.governance import ToolOutcome

Rendered = tuple[str, Table | None, Chart | None]
Renderer = Callable[[dict[str, Any], dict[str, Any], str, Plan], Rendered]


def fmt(value: Any) -> str:
    """Format a value for a sentence or a table cell."""
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    text = str(value)
    if len(text) >= 20 and text[10:11] == "T":
        return text[:16].replace("T", " ")  # ISO timestamps: minute precision reads better
    return text


def zh(language: str, english: str, chinese: str) -> str:
    return chinese if language == "zh" else english


def _run_label(run: dict[str, Any]) -> str:
    name = run.get("name") or run["run_id"][:8]
    return f"{name} ({run['run_id'][:8]})" if run.get("name") else name


def _window_text(result: dict[str, Any], language: str) -> str:
    window = result.get("window")
    if not window:
        return ""
    start = fmt(window.get("start")) if window.get("start") else "…"
    end = fmt(window.get("end")) if window.get("end") else zh(language, "now", "现在")
    return zh(language, f" between {start} and {end}", f"（{start} 至 {end}）")


def _render_search_runs(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    runs = result["runs"]
    metric = result.get("metric")
    window = _window_text(result, lang)
    scope = result.get("experiment") or result.get("task") or ""
    if not runs:
        return (zh(lang, f"No runs match{window}.", f"没有符合条件的运行{window}。"), None, None)
    index = min(plan.focus_index or 0, len(runs) - 1)
    top = runs[index]
    label = _run_label(top)
    versions = ", ".join(f"{v['model']} v{v['version']}" for v in top.get("model_versions", []))
    version_note = (
        zh(lang, f", registered as {versions}", f"，已注册为 {versions}") if versions else ""
    )
    if metric:
        rank = zh(
            lang,
            ["best", "second best", "third best"][index] if index < 3 else f"#{index + 1}",
            ["最好", "第二好", "第三好"][index] if index < 3 else f"第 {index + 1} 名",
        )
        value = fmt(top.get("metric_value"))
        text = zh(
            lang,
            f"The {rank} run{' for ' + scope if scope else ''} by {metric}{window} is {label} "
            f"in {top['experiment']} with {metric} = {value}{version_note} "
            f"({result['total']} runs matched).",
            f"{scope + ' ' if scope else ''}按 {metric}{window}{rank}的运行是 {top['experiment']} 中的 "
            f"{label}，{metric} = {value}{version_note}（共 {result['total']} 个运行符合条件）。",
        )
    else:
        text = zh(
            lang,
            f"{result['total']} runs match{window}; the most recent {len(runs)} are listed.",
            f"共 {result['total']} 个运行符合条件{window}，列出最近的 {len(runs)} 个。",
        )
    columns = (
        ["run", "experiment", "status", "start"] + ([metric] if metric else []) + ["model version"]
    )
    rows = []
    for run in runs:
        row = [_run_label(run), run["experiment"], run["status"], fmt(run.get("start_time"))]
        if metric:
            row.append(fmt(run.get("metric_value")))
        row.append(
            ", ".join(f"{v['model']} v{v['version']}" for v in run.get("model_versions", [])) or "—"
        )
        rows.append(row)
    return text, Table(columns, rows), None


def _render_get_run(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    metrics = ", ".join(f"{k} = {fmt(v)}" for k, v in list(result["metrics"].items())[:6])
    text = zh(
        lang,
        f"Run {_run_label(result)} in {result['experiment']} is {result['status']}, started "
        f"{fmt(result.get('start_time'))} by {result.get('user') or 'unknown'}; {metrics or 'no metrics'}.",
        f"{result['experiment']} 中的运行 {_run_label(result)} 状态为 {result['status']}，开始于 "
        f"{fmt(result.get('start_time'))}，用户 {result.get('user') or '未知'}；{metrics or '没有指标'}。",
    )
    rows = [["param", k, fmt(v)] for k, v in result["params"].items()]
    rows += [["metric", k, fmt(v)] for k, v in result["metrics"].items()]
    return text, Table(["kind", "key", "value"], rows), None


def _render_compare_runs(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    runs = result["runs"]
    labels = [_run_label(run) for run in runs]
    differing = result["params_differing"]
    best_notes = []
    for comparison in result["metrics"][:4]:
        best = next((r for r in runs if r["run_id"] == comparison["best_run"]), None)
        if best:
            best_notes.append(f"{comparison['metric']}: {_run_label(best)}")
    diff_keys = ", ".join(list(differing)[:6]) or zh(lang, "none", "无")
    text = zh(
        lang,
        f"{len(differing)} params differ ({diff_keys}); {result['params_same_count']} are the same. "
        f"Best per metric: {'; '.join(best_notes) or 'no shared metrics'}.",
        f"有 {len(differing)} 个参数不同（{diff_keys}），{result['params_same_count']} 个相同。"
        f"各指标最好的运行：{'；'.join(best_notes) or '没有共同指标'}。",
    )
    rows = [["param", key, *[fmt(v) for v in values]] for key, values in differing.items()]
    rows += [["metric", c["metric"], *[fmt(v) for v in c["values"]]] for c in result["metrics"]]
    return text, Table(["kind", "key", *labels], rows), None


def _render_metric_history(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    points = result["points"]
    if not points:
        return (
            zh(lang, "That metric has no logged points.", "这个指标没有记录任何数据点。"),
            None,
            None,
        )
    first, last = points[0], points[-1]
    best = (
        max(points, key=lambda p: p["value"])
        if "loss" not in result["metric"]
        else min(points, key=lambda p: p["value"])
    )
    label = result.get("run_name") or result["run_id"][:8]
    text = zh(
        lang,
        f"{result['metric']} of run {label} went from {fmt(first['value'])} at step {first['step']} to "
        f"{fmt(last['value'])} at step {last['step']} ({len(points)} points; best {fmt(best['value'])} "
        f"at step {best['step']}).",
        f"运行 {label} 的 {result['metric']} 从第 {first['step']} 步的 {fmt(first['value'])} 变为第 "
        f"{last['step']} 步的 {fmt(last['value'])}（共 {len(points)} 个点；最好 {fmt(best['value'])}，"
        f"第 {best['step']} 步）。",
    )
    chart = Chart(
        "line",
        f"{result['metric']} · {label}",
        "step",
        result["metric"],
        {label: [(p["step"], p["value"]) for p in points]},
    )
    table = Table(["step", "value"], [[p["step"], fmt(p["value"])] for p in points[-20:]])
    return text, table, chart


def _render_best_per_experiment(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    rows = []
    for entry in result["best"]:
        run = entry.get("run")
        rows.append(
            [
                entry["experiment"],
                _run_label(run) if run else "—",
                fmt(run.get("metric_value") if run else None),
            ]
        )
    text = zh(
        lang,
        f"Best run by {result['metric']} in each of {len(rows)} experiments:",
        f"{len(rows)} 个实验中各自按 {result['metric']} 最好的运行：",
    )
    return text, Table(["experiment", "best run", result["metric"]], rows), None


def _render_list_experiments(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    experiments = result["experiments"]
    text = zh(lang, f"{len(experiments)} experiments:", f"共 {len(experiments)} 个实验：")
    rows = [
        [
            e["name"],
            e.get("task") or "—",
            e["run_count"],
            fmt(e.get("last_run_at")),
            ", ".join(e["metrics"][:5]),
        ]
        for e in experiments
    ]
    return text, Table(["experiment", "task", "runs", "last run", "metrics"], rows), None


RENDERERS: dict[str, Renderer] = {
    "search_runs": _render_search_runs,
    "get_run": _render_get_run,
    "compare_runs": _render_compare_runs,
    "metric_history": _render_metric_history,
    "best_run_per_experiment": _render_best_per_experiment,
    "list_experiments": _render_list_experiments,
}


def register_renderer(tool: str) -> Callable[[Renderer], Renderer]:
    """Add a template for a tool's result (used by the renderer modules of each domain)."""

    def decorate(renderer: Renderer) -> Renderer:
        RENDERERS[tool] = renderer
        return renderer

    return decorate


def render_generic(result: dict[str, Any], lang: str) -> Rendered:
    """Render any result: scalar fields as a sentence, the first list of records as a table."""
    summary = result.get("summary") or result.get("message") or result.get("verdict")
    table = None
    count_text = ""
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            columns = [c for c in value[0] if not isinstance(value[0][c], (dict, list))][:8]
            table = Table(columns, [[fmt(row.get(c)) for c in columns] for row in value[:50]])
            count_text = zh(
                lang, f"{len(value)} {key.replace('_', ' ')}.", f"{key}：共 {len(value)} 条。"
            )
            break
    if not summary:
        scalars = [
            f"{k.replace('_', ' ')}: {fmt(v)}"
            for k, v in result.items()
            if not isinstance(v, (dict, list))
        ][:6]
        summary = "; ".join(scalars)
    text = " ".join(part for part in (str(summary) if summary else "", count_text) if part)
    return text or zh(lang, "Done.", "完成。"), table, None


def _error_text(outcome: ToolOutcome, lang: str) -> str:
    if outcome.status == "denied":
        return zh(lang, f"Not allowed: {outcome.error}", f"没有权限：{outcome.error}")
    return zh(lang, f"I could not do that: {outcome.error}", f"无法完成：{outcome.error}")


def compose_answer(
    question: str, language: Language, plan: Plan, outcomes: list[ToolOutcome]
) -> Answer:
    """Compose the answer to a planned request from its tool outcomes."""
    answer = Answer(question, "", language, "rules")
    if not outcomes:
        answer.answer = plan.message or ""
        return answer
    last = outcomes[-1]
    if last.status == "needs_confirmation" and last.confirmation:
        confirmation = last.confirmation
        answer.answer = zh(
            language,
            f"This will change: {confirmation.summary}. Confirm to go ahead, or cancel.",
            f"将要进行的修改：{confirmation.summary}。请确认执行，或取消。",
        )
        answer.needs_confirmation = {
            "token": confirmation.token,
            "summary": confirmation.summary,
            "tool": confirmation.tool,
            "arguments": confirmation.arguments,
            "details": confirmation.details,
        }
        return answer
    if last.status != "ok" or last.result is None:
        answer.answer = _error_text(last, language)
        return answer
    renderer = RENDERERS.get(last.name)
    if renderer is None:
        text, table, chart = render_generic(last.result, language)
    else:
        text, table, chart = renderer(last.result, last.arguments, language, plan)
    answer.answer, answer.table, answer.chart = text, table, chart
    citations = last.result.get("citations") if isinstance(last.result, dict) else None
    if isinstance(citations, list):
        answer.citations = citations
    return answer


def compose_confirmation_result(outcome: ToolOutcome, language: str) -> Answer:
    """Compose the reply to a confirmed mutation, whether it ran or was rejected."""
    lang: Language = "zh" if language == "zh" else "en"
    answer = Answer("confirm", "", lang, "none")
    answer.tool_calls = [
        ToolCallView(outcome.name, outcome.arguments, outcome.status, outcome.result, outcome.error)
    ]
    if outcome.status != "ok" or outcome.result is None:
        answer.answer = _error_text(outcome, lang)
        return answer
    renderer = RENDERERS.get(outcome.name)
    plan = Plan("tools")
    if renderer is None:
        text, table, _ = render_generic(outcome.result, lang)
    else:
        text, table, _ = renderer(outcome.result, outcome.arguments, lang, plan)
    answer.answer = zh(lang, f"Done. {text}", f"已完成。{text}")
    answer.table = table
    return answer
