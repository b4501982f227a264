"""Answer templates for the model registry, deployments and audit tools."""

from __future__ import annotations

from typing import Any

from assistant.answer import Table
from assistant.compose import Rendered, fmt, register_renderer, zh
from assistant.plan import Plan


def _aliases(aliases: dict[str, int] | list[str]) -> str:
    if isinstance(aliases, dict):
        return ", ".join(f"{alias}→v{version}" for alias, version in sorted(aliases.items())) or "—"
    return ", ".join(aliases) or "—"


@register_renderer("list_models")
def _list_models(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    models = result["models"]
    if not models:
        return zh(lang, "No registered models match.", "没有符合条件的注册模型。"), None, None
    names = ", ".join(f"{m['name']} (v{m['latest_version']})" for m in models[:8])
    text = zh(
        lang,
        f"{len(models)} registered models; latest versions: {names}.",
        f"共 {len(models)} 个注册模型，最新版本：{names}。",
    )
    rows = [
        [
            m["name"],
            m.get("task") or "—",
            m.get("latest_version"),
            m["version_count"],
            _aliases(m["aliases"]),
            fmt(m.get("updated_at")),
        ]
        for m in models
    ]
    return text, Table(["model", "task", "latest", "versions", "aliases", "updated"], rows), None


def _metrics_text(metrics: dict[str, float], limit: int = 4) -> str:
    return ", ".join(f"{key} = {fmt(value)}" for key, value in list(metrics.items())[:limit])


@register_renderer("get_model_version")
def _get_model_version(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    label = f"{result['model']} v{result['version']}"
    aliases = ", ".join(result.get("aliases") or []) or zh(lang, "no alias", "无别名")
    run = result.get("run") or {}
    run_text = run.get("name") or (run.get("run_id") or "")[:8] or "—"
    text = zh(
        lang,
        f"{label} ({result['status']}, {aliases}) comes from run {run_text}"
        f"{' in ' + run['experiment'] if run.get('experiment') else ''}; "
        f"{_metrics_text(result.get('metrics') or {}) or 'no metrics'}. "
        f"Model card: {'yes' if result.get('model_card_present') else 'missing'}; "
        f"{len(result.get('dependencies') or {})} dependencies recorded.",
        f"{label}（{result['status']}，{aliases}）来自运行 {run_text}"
        f"{'（实验 ' + run['experiment'] + '）' if run.get('experiment') else ''}；"
        f"{_metrics_text(result.get('metrics') or {}) or '没有指标'}。"
        f"模型卡：{'有' if result.get('model_card_present') else '缺失'}；记录了 {len(result.get('dependencies') or {})} 个依赖。",
    )
    rows: list[list[Any]] = [
        ["metric", key, fmt(value)] for key, value in (result.get("metrics") or {}).items()
    ]
    rows += [
        ["dependency", name, version]
        for name, version in list((result.get("dependencies") or {}).items())[:15]
    ]
    rows += [
        ["dataset", d["dataset"], f"v{d['version']} ({d['context']})"]
        for d in result.get("datasets") or []
    ]
    rows += [
        ["deployment", d["environment"], f"v{d['version']} {d['status']}"]
        for d in result.get("deployments") or []
    ]
    if result.get("structure"):
        rows.append(["structure", "summary", fmt(result["structure"])[:200]])
    return text, Table(["kind", "key", "value"], rows), None


@register_renderer("list_model_versions")
def _list_model_versions(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    versions = result["versions"]
    text = zh(
        lang,
        f"{result['model']} has {len(versions)} versions.",
        f"{result['model']} 共有 {len(versions)} 个版本。",
    )
    rows = [
        [
            f"v{v['version']}",
            v["status"],
            ", ".join(v.get("aliases") or []) or "—",
            _metrics_text(v.get("metrics") or {}, 3),
            fmt(v["created_at"]),
        ]
        for v in versions
    ]
    return text, Table(["version", "status", "aliases", "metrics", "created"], rows), None


@register_renderer("search_model_versions")
def _search_model_versions(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    versions = result["versions"]
    if not versions:
        return zh(lang, "No model versions match.", "没有符合条件的模型版本。"), None, None
    metric = result.get("metric")
    top = versions[0]
    value = f" with {metric} = {fmt(top.get('value'))}" if metric else ""
    value_zh = f"，{metric} = {fmt(top.get('value'))}" if metric else ""
    text = zh(
        lang,
        f"The top version is {top['model']} v{top['version']}{value} ({result['total']} versions matched).",
        f"排名第一的是 {top['model']} v{top['version']}{value_zh}（共 {result['total']} 个版本符合条件）。",
    )
    rows = [
        [
            v["model"],
            f"v{v['version']}",
            v.get("task") or "—",
            fmt(v.get("value")),
            ", ".join(v.get("aliases") or []) or "—",
        ]
        for v in versions
    ]
    return text, Table(["model", "version", "task", metric or "value", "aliases"], rows), None


@register_renderer("alias_history")
def _alias_history(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    events = result["events"]
    model, alias = result["model"], result["alias"]
    if result.get("at"):
        holder = result.get("version_at")
        when = result.get("as_of") or result["at"]
        text = zh(
            lang,
            f"On {fmt(when)}, {alias} of {model} was {'v' + str(holder) if holder else 'not set'}.",
            f"{fmt(when)} 时，{model} 的 {alias} 是 {'v' + str(holder) if holder else '未设置'}。",
        )
    else:
        current = result.get("current_version")
        text = zh(
            lang,
            f"{alias} of {model} is now {'v' + str(current) if current else 'not set'}; {len(events)} changes recorded.",
            f"{model} 的 {alias} 当前为 {'v' + str(current) if current else '未设置'}，共记录 {len(events)} 次变更。",
        )
    rows = [
        [
            fmt(e["occurred_at"]),
            e["action"],
            f"v{e['from_version']}" if e["from_version"] else "—",
            f"v{e['to_version']}" if e["to_version"] else "—",
            e.get("actor") or "—",
            e.get("reason") or "",
        ]
        for e in events
    ]
    return text, Table(["when", "action", "from", "to", "by", "reason"], rows), None


@register_renderer("get_deployments")
def _get_deployments(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    deployments = result["deployments"]
    if not deployments:
        return zh(lang, "Nothing is deployed.", "目前没有部署。"), None, None
    listed = ", ".join(
        f"{d['model']} v{d['version']} ({d['environment']})" for d in deployments[:8]
    )
    text = zh(lang, f"Deployed now: {listed}.", f"当前部署：{listed}。")
    rows = [
        [d["model"], d["environment"], f"v{d['version']}", d["status"], fmt(d["updated_at"])]
        for d in deployments
    ]
    return text, Table(["model", "environment", "version", "status", "since"], rows), None


@register_renderer("deployment_history")
def _deployment_history(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    events = result["events"]
    text = zh(lang, f"{len(events)} deployment events.", f"共 {len(events)} 条部署记录。")
    rows = [
        [
            fmt(e["occurred_at"]),
            e["model"],
            e["environment"],
            e["action"],
            f"v{e['from_version']}" if e["from_version"] else "—",
            f"v{e['to_version']}" if e["to_version"] else "—",
            e.get("actor") or "—",
        ]
        for e in events
    ]
    return text, Table(["when", "model", "environment", "action", "from", "to", "by"], rows), None


@register_renderer("audit_log")
def _audit_log(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    entries = result["entries"]
    if not entries:
        return (
            zh(lang, "No matching changes in the audit log.", "审计日志中没有符合条件的记录。"),
            None,
            None,
        )
    first = entries[0]
    text = zh(
        lang,
        f"{first['user']} ran {first['tool']} on {fmt(first['occurred_at'])} via {first.get('channel') or '—'} ({first['outcome']}); {len(entries)} entries in all.",
        f"{first['user']} 于 {fmt(first['occurred_at'])} 通过 {first.get('channel') or '—'} 执行了 {first['tool']}（{first['outcome']}）；共 {len(entries)} 条记录。",
    )
    rows = [
        [
            fmt(e["occurred_at"]),
            e["user"],
            e["tool"],
            e["outcome"],
            (e.get("detail") or fmt(e.get("arguments")))[:80],
        ]
        for e in entries
    ]
    return text, Table(["when", "user", "tool", "outcome", "detail"], rows), None


@register_renderer("list_promotion_requests")
def _list_promotions(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    requests = next((v for v in result.values() if isinstance(v, list)), [])
    text = zh(lang, f"{len(requests)} promotion requests.", f"共 {len(requests)} 个上线申请。")
    rows = [
        [
            r["id"][:8],
            f"{r['model']} v{r['version']}",
            r["target_alias"],
            r["status"],
            r["requested_by"],
            r.get("reviewed_by") or "—",
        ]
        for r in requests
    ]
    return (
        text,
        Table(["id", "version", "alias", "status", "requested by", "reviewed by"], rows),
        None,
    )


def _summary_only(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    return str(result.get("summary") or ""), None, None


for _tool in (
    "set_alias",
    "remove_alias",
    "rollback_model",
    "archive_model_version",
    "register_model_version",
    "add_note",
    "add_user",
    "set_role",
    "approve_promotion",
    "reject_promotion",
):
    register_renderer(_tool)(_summary_only)


@register_renderer("request_promotion")
def _request_promotion(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    request = result.get("request") or result
    checklist = request.get("checklist") or []
    failed = [item["name"] for item in checklist if not item["passed"]]
    text = str(result.get("summary") or "")
    if failed:
        text += zh(
            lang,
            f" Checklist items not met: {', '.join(failed)}.",
            f" 未满足的检查项：{'、'.join(failed)}。",
        )
    rows = [
        [
            item["name"],
            "✓" if item["passed"] else "✗",
            "required" if item["required"] else "",
            item["detail"],
        ]
        for item in checklist
    ]
    return text, Table(["check", "passed", "", "detail"], rows) if rows else None, None
