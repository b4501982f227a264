"""Every piece of console UI text, in English and Simplified Chinese.

Answers come back in the language of the question. These strings are the labels, buttons,
headings and empty states around them, and the sidebar's language control switches them.
"""

from __future__ import annotations

from typing import Any, Literal

UiLanguage = Literal["en", "zh"]
LANGUAGE_NAMES: dict[UiLanguage, str] = {"en": "English", "zh": "中文"}

STRINGS: dict[str, tuple[str, str]] = {
    # shell and sidebar
    "page_title": ("ModelPilot console", "ModelPilot 控制台"),
    "language_label": ("Language · 语言", "Language · 语言"),
    "local_mode": (
        "Local mode: there is no sign-in. Pick the user you act as; their role decides "
        "what you may change.",
        "本地模式：没有登录。请选择以哪个用户身份操作，其角色决定你可以修改什么。",
    ),
    "acting_as": ("Acting as", "当前用户"),
    "role_line": ("Role: {role}", "角色：{role}"),
    "no_users": (
        "This workspace has no users yet, so you act as '{user}', a viewer. Add one with "
        "`modelpilot users add NAME --role admin`.",
        "此工作区还没有用户，你将以查看者“{user}”的身份操作。可以用 "
        "`modelpilot users add NAME --role admin` 添加用户。",
    ),
    "workspace": ("Workspace: {path}", "工作区：{path}"),
    "read_only": (
        "Read-only workspace: changes are switched off.",
        "只读工作区：已关闭所有修改操作。",
    ),
    "role_viewer": ("viewer", "查看者"),
    "role_editor": ("editor", "编辑者"),
    "role_approver": ("approver", "审批者"),
    "role_admin": ("admin", "管理员"),
    "page_chat": ("Chat", "对话"),
    "page_models": ("Models", "模型"),
    "page_runs": ("Compare runs", "比较运行"),
    "page_pipelines": ("Pipeline runs", "流水线运行"),
    "page_monitoring": ("Monitoring", "监控"),
    "page_audit": ("Audit log", "审计日志"),
    # asking
    "ask_label": ("Ask ModelPilot", "向 ModelPilot 提问"),
    "ask_placeholder": (
        "Ask a question, e.g. which model is in production for fraud?",
        "输入问题，例如：欺诈模型的生产版本是哪个？",
    ),
    "ask_button": ("Ask", "提问"),
    "thinking": ("Working on it…", "正在处理…"),
    "chat_title": ("Chat", "对话"),
    "chat_placeholder": ("Ask about runs, models, pipelines…", "询问运行、模型、流水线等…"),
    "chat_empty": (
        "No questions yet. Type one below, or start with an example:",
        "还没有提问。请在下方输入问题，或从示例开始：",
    ),
    "example_1": ("Which registered models exist?", "有哪些注册的模型？"),
    "example_2": ("What is the best run by accuracy?", "按准确率最好的运行是哪个？"),
    "example_3": ("Roll back the fraud model", "把欺诈模型回滚到上一个版本"),
    "asked_by": ("{user} asked", "{user} 提问"),
    "clear_chat": ("Clear the chat", "清空对话"),
    # answers
    "sources": ("Sources", "来源"),
    "tool_calls": ("Tool calls", "工具调用"),
    "no_rows": ("No rows.", "没有数据。"),
    "more_rows": ("Showing {shown} of {total} rows.", "显示 {total} 行中的 {shown} 行。"),
    # confirmation
    "change_heading": ("Change waiting for confirmation", "等待确认的修改"),
    "change_requested_by": ("Requested by {user}", "由 {user} 发起"),
    "confirm_button": ("Confirm", "确认"),
    "cancel_button": ("Cancel", "取消"),
    "only_requester": (
        "Only {user}, who asked for this change, can confirm it.",
        "只有发起这项修改的 {user} 可以确认。",
    ),
    "role_too_low": (
        "Your role is {role}; confirming this change needs {required}.",
        "你的角色是{role}，确认这项修改需要{required}。",
    ),
    "confirmed": ("Confirmed.", "已确认。"),
    "cancelled": ("Cancelled; nothing changed.", "已取消，没有做任何修改。"),
    # errors and tools
    "tool_unavailable": (
        "The {tool} tool is not available in this workspace yet.",
        "此工作区暂时没有 {tool} 工具。",
    ),
    "unexpected_error": (
        "Something went wrong ({error}); the console log has the details.",
        "出现了意外错误（{error}），详情请查看控制台日志。",
    ),
    # models page
    "models_title": ("Registered models", "注册的模型"),
    "models_empty": (
        "No registered models yet. Import MLflow data with `modelpilot import mlflow SOURCE`.",
        "还没有注册的模型。可以用 `modelpilot import mlflow SOURCE` 导入 MLflow 数据。",
    ),
    "pick_model": ("Model", "模型"),
    "tab_versions": ("Versions", "版本"),
    "tab_aliases": ("Aliases", "别名"),
    "tab_deployments": ("Deployments", "部署"),
    "pick_alias": ("Alias", "别名"),
    "no_aliases": ("This model has no aliases.", "这个模型没有别名。"),
    "alias_current": (
        "{alias} points at version {version}.",
        "{alias} 当前指向版本 {version}。",
    ),
    "alias_unset": ("{alias} points at no version.", "{alias} 当前没有指向任何版本。"),
    "alias_chart_title": ("{alias} over time", "{alias} 的版本变化"),
    "version_axis": ("version", "版本"),
    "time_axis": ("time", "时间"),
    "no_deployments": ("No deployments for this model.", "这个模型没有部署。"),
    # runs page
    "runs_title": ("Compare runs", "比较运行"),
    "runs_empty": ("No runs yet.", "还没有运行。"),
    "pick_runs": ("Runs to compare", "要比较的运行"),
    "pick_two_runs": ("Pick at least two runs.", "请至少选择两个运行。"),
    "curve_metric": ("Metric curve", "指标曲线"),
    "curve_title": ("{metric} by step", "{metric} 随步数变化"),
    "step_axis": ("step", "步数"),
    "no_shared_metrics": ("These runs share no metric.", "这些运行没有共同的指标。"),
    # pipelines page
    "pipelines_title": ("Pipeline runs", "流水线运行"),
    "pipelines_empty": ("No pipeline runs yet.", "还没有流水线运行。"),
    "pick_failed_run": ("Explain a failed run", "解释失败的运行"),
    "no_failed_runs": ("No failed pipeline runs.", "没有失败的流水线运行。"),
    # monitoring page
    "monitoring_title": ("Monitoring", "监控"),
    "open_alerts": ("Open alerts", "未处理的告警"),
    "no_alerts": ("No open alerts.", "没有未处理的告警。"),
    "health_heading": ("Model health", "模型健康状况"),
    "latency_heading": ("Latency and volume", "延迟与请求量"),
    "drift_heading": ("Drift per feature", "各特征的漂移"),
    "pick_period": ("Period", "时间范围"),
    # audit page
    "audit_title": ("Audit log", "审计日志"),
    "audit_empty": ("No audit entries match.", "没有符合条件的审计记录。"),
    "filter_user": ("User", "用户"),
    "filter_tool": ("Tool contains", "工具名包含"),
    "filter_model": ("Model", "模型"),
    "filter_changes_only": ("Changes only", "只看修改"),
    "any": ("(any)", "（全部）"),
    # periods offered by the pages; the values sent to the tools stay English phrases
    "period_any": ("any time", "全部时间"),
    "period_today": ("today", "今天"),
    "period_7d": ("last 7 days", "最近 7 天"),
    "period_30d": ("last 30 days", "最近 30 天"),
    "period_90d": ("last 3 months", "最近三个月"),
}


def text(key: str, language: UiLanguage, **values: Any) -> str:
    """Return the UI string ``key`` in ``language``, with ``values`` filled in."""
    english, chinese = STRINGS[key]
    template = chinese if language == "zh" else english
    return template.format(**values) if values else template
