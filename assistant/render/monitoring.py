"""Answer templates for the monitoring tools: health, drift, latency and alerts."""

from __future__ import annotations

from typing import Any

from assistant.answer import Chart, Table
from assistant.compose import Rendered, fmt, register_renderer, zh
from assistant.plan import Plan

VERDICTS_ZH = {
    "healthy": "健康",
    "degraded": "性能下降",
    "unhealthy": "不健康",
    "no_data": "没有数据",
}


@register_renderer("model_health")
def _model_health(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    latency = result["latency"]
    drifted = [d["feature"] for d in (result.get("drift") or {}).get("drifted", [])]
    alerts = result.get("open_alerts") or []
    text = zh(
        lang,
        f"{result['model']} is {result['verdict']}: {result['requests']} requests, p95 latency "
        f"{fmt(latency.get('p95_ms'))} ms, error rate {fmt(result.get('error_rate'))}, "
        f"{'drift in ' + ', '.join(drifted) if drifted else 'no feature drift'}, {len(alerts)} open alerts.",
        f"{result['model']} 状态：{VERDICTS_ZH.get(result['verdict'], result['verdict'])}；请求 {result['requests']} 次，"
        f"p95 延迟 {fmt(latency.get('p95_ms'))} 毫秒，错误率 {fmt(result.get('error_rate'))}，"
        f"{'漂移特征：' + '、'.join(drifted) if drifted else '没有特征漂移'}，未处理告警 {len(alerts)} 个。",
    )
    rows = [
        [c["rule"], c["status"], fmt(c.get("value")), fmt(c.get("threshold")), c["message"]]
        for c in result.get("checks") or []
    ]
    return text, Table(["check", "status", "value", "threshold", "message"], rows), None


@register_renderer("drift_report")
def _drift_report(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    drifted = result["drifted"]
    features = result["features"]
    if drifted:
        top = max((f for f in features if f["drifted"]), key=lambda f: f.get("score") or 0)
        text = zh(
            lang,
            f"Yes: {len(drifted)} of {len(features)} features of {result['model']} drifted against {result['reference']} "
            f"({', '.join(drifted)}); the largest is {top['feature']} with {top['method']} = {fmt(top['score'])} "
            f"(threshold {fmt(top['threshold'])}).",
            f"有漂移：{result['model']} 的 {len(features)} 个特征中有 {len(drifted)} 个相对 {result['reference']} 发生漂移"
            f"（{'、'.join(drifted)}）；最大的是 {top['feature']}，{top['method']} = {fmt(top['score'])}（阈值 {fmt(top['threshold'])}）。",
        )
    else:
        text = zh(
            lang,
            f"No: none of the {len(features)} features of {result['model']} drifted against {result['reference']}.",
            f"没有漂移：{result['model']} 的 {len(features)} 个特征相对 {result['reference']} 都没有漂移。",
        )
    rows = [
        [
            f["feature"],
            f["method"],
            fmt(f.get("score")),
            fmt(f["threshold"]),
            "drifted" if f["drifted"] else "ok",
            fmt(f.get("reference_mean")),
            fmt(f.get("current_mean")),
        ]
        for f in features
    ]
    chart = Chart(
        "bar",
        f"drift · {result['model']}",
        "feature",
        "score",
        {"score": [(f["feature"], f.get("score") or 0.0) for f in features]},
    )
    return (
        text,
        Table(
            ["feature", "method", "score", "threshold", "status", "reference mean", "current mean"],
            rows,
        ),
        chart,
    )


@register_renderer("latency_report")
def _latency_report(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    latency = result["latency"]
    window = f"{fmt(result['window_start'])} – {fmt(result['window_end'])}"
    text = zh(
        lang,
        f"{result['model']} from {window}: p50 {fmt(latency.get('p50_ms'))} ms, p95 {fmt(latency.get('p95_ms'))} ms, "
        f"p99 {fmt(latency.get('p99_ms'))} ms over {result['requests']} requests (error rate {fmt(result.get('error_rate'))}).",
        f"{result['model']} 在 {window}：p50 {fmt(latency.get('p50_ms'))} 毫秒，p95 {fmt(latency.get('p95_ms'))} 毫秒，"
        f"p99 {fmt(latency.get('p99_ms'))} 毫秒，共 {result['requests']} 次请求（错误率 {fmt(result.get('error_rate'))}）。",
    )
    points = result.get("points") or []
    rows = [
        [
            fmt(p["time"]),
            p["requests"],
            fmt(p.get("p50_ms")),
            fmt(p.get("p95_ms")),
            fmt(p.get("p99_ms")),
        ]
        for p in points[-30:]
    ]
    series = {
        "p95 ms": [(fmt(p["time"]), p["p95_ms"]) for p in points if p.get("p95_ms") is not None],
        "requests": [(fmt(p["time"]), float(p["requests"])) for p in points],
    }
    chart = Chart("line", f"latency · {result['model']}", "time", "ms / requests", series)
    return text, Table(["time", "requests", "p50 ms", "p95 ms", "p99 ms"], rows), chart


@register_renderer("list_alerts")
def _list_alerts(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    alerts = result.get("alerts") or []
    if not alerts:
        return zh(lang, "No alerts match.", "没有符合条件的告警。"), None, None
    text = zh(
        lang,
        f"{len(alerts)} alerts; the latest: {alerts[0]['title']}.",
        f"共 {len(alerts)} 个告警；最新的是：{alerts[0]['title']}。",
    )
    rows = [
        [
            a["id"][:8],
            a.get("model") or "—",
            a["kind"],
            a["severity"],
            a["status"],
            a["title"],
            fmt(a["created_at"]),
        ]
        for a in alerts
    ]
    return text, Table(["id", "model", "kind", "severity", "status", "title", "opened"], rows), None
