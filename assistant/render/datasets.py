"""Answer templates for the dataset tools."""

from __future__ import annotations

from typing import Any

from assistant.answer import Table
from assistant.compose import Rendered, fmt, register_renderer, zh
from assistant.plan import Plan


@register_renderer("list_datasets")
def _list_datasets(result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan) -> Rendered:
    datasets = result["datasets"]
    if not datasets:
        return zh(lang, "No datasets are registered.", "还没有注册任何数据集。"), None, None
    text = zh(
        lang, f"{len(datasets)} datasets are registered.", f"共注册了 {len(datasets)} 个数据集。"
    )
    rows = [
        [
            d["name"],
            f"v{d['latest_version']}",
            d["versions"],
            d.get("rows"),
            d["columns"],
            d.get("format") or "—",
            d.get("split") or "—",
            d.get("warnings", 0),
        ]
        for d in datasets
    ]
    return (
        text,
        Table(
            ["dataset", "latest", "versions", "rows", "columns", "format", "split", "warnings"],
            rows,
        ),
        None,
    )


@register_renderer("get_dataset_version")
def _get_dataset_version(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    findings = result.get("quality") or []
    worst = [f for f in findings if f["severity"] in ("error", "warning")]
    text = zh(
        lang,
        f"{result['dataset']} v{result['version']}: {result.get('rows')} rows, {len(result['columns'])} columns, "
        f"{len(worst)} quality warnings{': ' + '; '.join(f['message'] for f in worst[:3]) if worst else ''}.",
        f"{result['dataset']} v{result['version']}：{result.get('rows')} 行，{len(result['columns'])} 列，"
        f"{len(worst)} 个数据质量警告{'：' + '；'.join(f['message'] for f in worst[:3]) if worst else ''}。",
    )
    rows = [
        [
            c["name"],
            c["type"],
            fmt(c["missing_rate"]),
            c["distinct"],
            fmt(c.get("min")),
            fmt(c.get("max")),
            fmt(c.get("mean")),
        ]
        for c in result["columns"]
    ]
    return text, Table(["column", "type", "missing", "distinct", "min", "max", "mean"], rows), None


@register_renderer("compare_dataset_versions")
def _compare_dataset_versions(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    changes = result.get("schema_changes") or []
    changed = result.get("changed_columns") or []
    text = zh(
        lang,
        f"{result['dataset']} v{result['from_version']} → v{result['to_version']}: rows {result['rows_from']} → "
        f"{result['rows_to']}, {len(changes)} schema changes, distribution changed in {', '.join(changed) or 'no column'}.",
        f"{result['dataset']} v{result['from_version']} → v{result['to_version']}：行数 {result['rows_from']} → "
        f"{result['rows_to']}，{len(changes)} 处结构变化，分布变化的列：{'、'.join(changed) or '无'}。",
    )
    rows = [
        [
            c["column"],
            "changed" if c["changed"] else "",
            fmt(c.get("psi")),
            fmt(c.get("mean_shift_sd")),
            f"{fmt(c['missing_rate_from'])} → {fmt(c['missing_rate_to'])}",
        ]
        for c in result["columns"]
    ]
    return text, Table(["column", "status", "psi", "mean shift (sd)", "missing rate"], rows), None


@register_renderer("dataset_lineage")
def _dataset_lineage(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    models = result.get("models") or []
    text = zh(
        lang,
        f"{len(models)} models were trained on {result['dataset']}: {', '.join(models) or 'none'} "
        f"({len(result.get('runs') or [])} runs).",
        f"有 {len(models)} 个模型使用 {result['dataset']} 训练：{'、'.join(models) or '无'}（共 {len(result.get('runs') or [])} 个运行）。",
    )
    rows = [
        [m.get("model"), f"v{m.get('version')}", m.get("dataset_version")]
        for m in result.get("model_versions") or []
    ]
    return text, Table(["model", "version", "dataset version"], rows) if rows else None, None
