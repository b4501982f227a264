"""Choosing which tools to bind when the model's context cannot hold all of them.

All of the registry's schemas take about 20,000 characters (some 6,000 tokens), more than a
small local model with an 8k context can spare. With a limit, the agent binds a few core
tools plus the ones whose name, description and examples share the most words with the
request. Chinese requests are matched through a short table of domain words.
"""

from __future__ import annotations

import re

from tools.tool_registry import Tool

# Always bound: the name lookup, the general run search and the document search.
CORE_TOOLS = ("workspace_overview", "search_runs", "search_knowledge", "list_models")

CHINESE_TERMS: dict[str, str] = {
    "运行": "run",
    "实验": "experiment",
    "模型": "model",
    "版本": "version",
    "别名": "alias",
    "生产": "production",
    "上线": "promotion production",
    "部署": "deployment deploy",
    "回滚": "rollback roll back",
    "回退": "rollback",
    "流水线": "pipeline",
    "管道": "pipeline",
    "失败": "fail failure",
    "数据集": "dataset",
    "漂移": "drift",
    "监控": "monitoring",
    "告警": "alert",
    "指标": "metric",
    "比较": "compare",
    "对比": "compare",
    "最好": "best rank",
    "最佳": "best rank",
    "历史": "history",
    "曲线": "history metric",
    "用户": "user",
    "角色": "role",
    "审计": "audit",
    "谁": "who audit",
    "备注": "note",
    "笔记": "note",
    "文档": "document",
    "模型卡": "model card",
    "申请": "request promotion",
    "批准": "approve",
    "驳回": "reject",
    "归档": "archive",
    "注册": "register",
    "触发": "trigger",
    "训练": "train",
    "为什么": "why",
    "原因": "why",
    "局限": "limitation",
}

_STOPWORDS = frozenset({
    "the", "and", "for", "with", "what", "which", "who", "how", "why", "are", "was", "were",
    "did", "does", "this", "that", "from", "have", "has", "show", "list", "give", "tell",
    "about", "into", "over", "last", "month", "months", "week", "weeks", "year",
})  # fmt: skip


def select_tools(question: str, tools: list[Tool], limit: int | None) -> list[Tool]:
    """Return at most ``limit`` tools for ``question``: the core ones, then the best matches."""
    if limit is None or len(tools) <= limit:
        return tools
    terms = request_terms(question)
    core = [tool for tool in tools if tool.name in CORE_TOOLS]
    others = [tool for tool in tools if tool.name not in CORE_TOOLS]
    ranked = sorted(others, key=lambda tool: -_score(tool, terms))
    chosen = (core + ranked)[: max(limit, 1)]
    return [tool for tool in tools if tool in chosen]


def request_terms(question: str) -> set[str]:
    """Return the stemmed content words of a request, Chinese domain words translated."""
    text = question.casefold()
    translated = " ".join(english for word, english in CHINESE_TERMS.items() if word in text)
    words = re.findall(r"[a-z][a-z0-9]+", f"{text} {translated}")
    return {_stem(word) for word in words if len(word) > 2 and word not in _STOPWORDS}


def _score(tool: Tool, terms: set[str]) -> int:
    name_words = {_stem(word) for word in tool.name.split("_")}
    text = " ".join((tool.description, *tool.examples, tool.category)).casefold()
    text_words = {_stem(word) for word in re.findall(r"[a-z][a-z0-9]+", text)}
    score = 0
    for term in terms:
        if term in name_words:
            score += 3
        elif term in text_words:
            score += 1
    return score


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
