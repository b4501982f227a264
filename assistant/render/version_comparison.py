"""Answer template for compare_model_versions: the winner on the main metric, then a table."""

from __future__ import annotations

from typing import Any

from assistant.answer import Table
from assistant.compose import Rendered, fmt, register_renderer, zh
from assistant.plan import Plan


@register_renderer("compare_model_versions")
def _compare_model_versions(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    versions = result["versions"]
    labels = [f"v{version['version']}" for version in versions]
    rows = _version_rows(versions) + _metric_rows(result)
    return _headline(result, labels, lang), Table(["", *labels, "best"], rows), None


def _headline(result: dict[str, Any], labels: list[str], lang: str) -> str:
    model, main = result["model"], result.get("main_metric")
    listed = zh(lang, ", ".join(labels[:-1]) + f" and {labels[-1]}", "、".join(labels))
    comparison = next((m for m in result["metrics"] if m["metric"] == main), None)
    if comparison is None:
        return zh(
            lang,
            f"{model} {listed} share no metric to compare them on.",
            f"{model} 的 {listed} 没有共同的指标可供比较。",
        )

    values = dict(zip(labels, comparison["values"], strict=True))
    best = result.get("best_version")
    if best is None:
        shown = ", ".join(f"{label} {fmt(value)}" for label, value in values.items())
        return zh(
            lang,
            f"{model} {listed} tie on {main} ({shown}).",
            f"{model} 的 {listed} 在 {main} 上持平（{shown}）。",
        )

    winner = f"v{best}"
    better = zh(
        lang,
        "higher is better" if comparison["direction"] == "max" else "lower is better",
        "越高越好" if comparison["direction"] == "max" else "越低越好",
    )
    if len(labels) == 2:
        other = next(label for label in labels if label != winner)
        return zh(
            lang,
            f"{model} {winner} is better than {other} on {main} "
            f"({fmt(values[winner])} vs {fmt(values[other])}; {better}).",
            f"在 {main} 上，{model} {winner} 优于 {other}"
            f"（{fmt(values[winner])} 对 {fmt(values[other])}，{better}）。",
        )
    return zh(
        lang,
        f"{model} {winner} is the best of {listed} on {main} ({fmt(values[winner])}; {better}).",
        f"在 {main} 上，{model} {winner} 是 {listed} 中最好的（{fmt(values[winner])}，{better}）。",
    )


def _version_rows(versions: list[dict[str, Any]]) -> list[list[Any]]:
    def status(version: dict[str, Any]) -> str:
        stage = version.get("stage")
        return f"{version['status']} ({stage})" if stage else str(version["status"])

    def run(version: dict[str, Any]) -> str:
        return version.get("run_name") or (version.get("run_id") or "")[:8] or "—"

    def deployed(version: dict[str, Any]) -> str:
        found = version.get("deployments") or []
        return ", ".join(f"{d['environment']} ({d['status']})" for d in found) or "—"

    return [
        ["status", *[status(v) for v in versions], ""],
        ["aliases", *[", ".join(v.get("aliases") or []) or "—" for v in versions], ""],
        ["run", *[run(v) for v in versions], ""],
        ["created", *[fmt(v["created_at"]) for v in versions], ""],
        ["deployed", *[deployed(v) for v in versions], ""],
    ]


def _metric_rows(result: dict[str, Any]) -> list[list[Any]]:
    """Return one row per metric, main metric first. Cells after the first add the difference."""
    main = result.get("main_metric")
    ordered = sorted(result["metrics"], key=lambda m: m["metric"] != main)
    rows = []
    for comparison in ordered:
        cells = [
            _cell(value, difference, first=index == 0)
            for index, (value, difference) in enumerate(
                zip(comparison["values"], comparison["differences"], strict=True)
            )
        ]
        best = comparison.get("best_version")
        rows.append([comparison["metric"], *cells, f"v{best}" if best else "—"])
    return rows


def _cell(value: float | None, difference: float | None, *, first: bool) -> str:
    if value is None or difference is None or first:
        return fmt(value)
    sign = "+" if difference >= 0 else ""
    return f"{fmt(value)} ({sign}{fmt(difference)})"
