"""Fixed sentences the assistant writes, in English and Chinese."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "out_of_scope": (
        "I can only help with this workspace's experiments, runs, models, deployments, "
        "pipelines, datasets, monitoring and notes.",
        "我只能回答本工作区的实验、运行、模型、部署、流水线、数据集、监控和笔记相关的问题。",
    ),
    "help": (
        'Ask me things like: "best image classifier in the last three months", "compare run A '
        'and run B", "which models are registered?", "is the fraud model drifting?", "roll '
        'back the fraud model", "why did the churn pipeline fail?".',
        "可以这样问我：“最近三个月最好的图像分类模型”、“比较运行 A 和 B”、“有哪些注册的模型？”、"
        "“欺诈模型有没有数据漂移？”、“把欺诈模型回滚到上一个版本”、“流失流水线为什么失败？”。",
    ),
    "which_model": ("Which model do you mean? {options}", "你指的是哪个模型？{options}"),
    "which_of_task": (
        "There are {count} {task} models: {options}. Which one?",
        "有 {count} 个{task}模型：{options}。你指的是哪一个？",
    ),
    "which_run": (
        'Which runs? Give run names or ids, e.g. "compare run abc123 and run def456".',
        "哪些运行？请给出运行名称或 ID，例如“比较运行 abc123 和 def456”。",
    ),
    "which_version": ("Which version of {model}?", "{model} 的哪个版本？"),
    "which_pipeline": ("Which pipeline? {options}", "哪条流水线？{options}"),
    "which_dataset": ("Which dataset? {options}", "哪个数据集？{options}"),
    "which_request": (
        'Which promotion request? Give its id (see "list promotion requests").',
        "哪个上线申请？请给出申请 ID（可以先问“列出上线申请”）。",
    ),
    "which_alert": (
        'Which alert? Give its id (see "open alerts").',
        "哪个告警？请给出告警 ID（可以先问“未处理的告警”）。",
    ),
    "no_metric": (
        "Which metric should I use? Logged metrics: {options}",
        "按哪个指标？已记录的指标：{options}",
    ),
    "nothing_pending": ("There is nothing waiting for confirmation.", "目前没有等待确认的操作。"),
    "cancelled": ("Cancelled; nothing was changed.", "已取消，没有做任何修改。"),
    "no_previous": (
        "I have no earlier result to refer to; please ask the full question.",
        "没有可以参考的上一个结果，请完整地提问。",
    ),
    "unclear": (
        "I am not sure what you want. Try: {example}",
        "我不确定你想做什么。可以试试：{example}",
    ),
    "note_text": (
        'What should the note say? Write it as "note on MODEL vN: text".',
        "备注内容是什么？请写成“备注 模型 vN：内容”。",
    ),
}


def message(key: str, language: str, **values: Any) -> str:
    english, chinese = MESSAGES[key]
    template = chinese if language == "zh" else english
    return template.format(**values)


def join_options(options: list[str], language: str) -> str:
    if language == "zh":
        return "、".join(options)
    return ", ".join(options)
