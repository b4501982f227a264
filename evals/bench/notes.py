"""Synthetic team notes for the knowledge benchmark: experiment notes, model cards, postmortems.

Each note is a Markdown file whose sections are 70 to 170 words, so the chunker keeps one
section per chunk and ``SECTIONS_PER_NOTE`` sections make that many chunks. About one section
in seven is written in Chinese, as in a bilingual team's notes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evals.bench.names import MODEL_STEMS, TABULAR_FAMILIES, USERS

SECTIONS_PER_NOTE = 8
CHINESE_SHARE = 1 / 7

_HEADINGS = (
    "Context", "Data", "Features", "Training setup", "Results", "Error analysis",
    "Known limitations", "Decision", "Monitoring", "Follow-ups", "Bias review", "Rollback plan",
)  # fmt: skip
_SENTENCES = (
    "We retrained {model} on the {month} snapshot of the {data} table after the {metric} on "
    "the holdout set dropped from {a} to {b}.",
    "The {family} baseline reached {metric} {a}, while the tuned run with learning rate {lr} "
    "and depth {depth} reached {b}.",
    "{user} found that the {feature} feature leaks the label through the settlement date, so "
    "it was removed before the final run.",
    "Latency at p95 stayed under {latency} ms on the canary, which is inside the budget agreed "
    "with the {team} team.",
    "Class imbalance is severe: positives are {share} percent of rows, so we report roc_auc and "
    "f1 instead of accuracy.",
    "The model underperforms on new customers with fewer than {days} days of history; treat "
    "its scores there as advisory.",
    "Drift in {feature} started after the {month} release of the mobile app changed how the "
    "field is filled.",
    "We keep version {version} as the rollback target because it passed the fairness review "
    "and the shadow test.",
    "Calibration was checked with a reliability plot; isotonic regression fixed the "
    "overconfident scores above {a}.",
    "Training takes about {minutes} minutes on two cores; the feature build dominates the "
    "wall time.",
    "The evaluation set excludes {month} because a labelling backlog left most of its "
    "outcomes unknown.",
    "Approval needs {user} and one reviewer from risk; the checklist lives next to the model card.",
)
_CHINESE = (
    "我们在{month}的数据快照上重新训练了{model}，因为留出集上的{metric}从{a}下降到了{b}。",
    "{family}基线模型的{metric}为{a}，调参后学习率{lr}、深度{depth}的运行达到了{b}。",
    "{user}发现{feature}特征通过结算日期泄露了标签，因此在最终训练前将其删除。",
    "金丝雀发布期间p95延迟保持在{latency}毫秒以内，符合与{team}团队约定的预算。",
    "对于历史不足{days}天的新客户，模型效果较差，这部分评分只能作为参考。",
    "{feature}的数据漂移始于{month}移动端版本发布之后，该字段的填写方式发生了变化。",
    "我们保留版本{version}作为回滚目标，因为它通过了公平性评审和影子测试。",
    "训练在两核机器上大约需要{minutes}分钟，其中特征构建占用了大部分时间。",
)
_MONTHS = ("January", "March", "May", "June", "August", "October", "November")
_FEATURES = (
    "amount", "merchant_category", "account_age_days", "country", "device_type",
    "tenure_months", "monthly_charges", "support_calls", "pixel_mean", "session_length",
)  # fmt: skip
_METRICS = ("roc_auc", "f1", "accuracy", "recall", "rmse", "val_loss")
_TEAMS = ("payments", "risk", "growth", "platform", "vision")


def write_notes(folder: Path, chunks: int, seed: int) -> int:
    """Write notes under ``folder`` that chunk into about ``chunks`` chunks; return the notes."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    models = list(MODEL_STEMS.values())
    notes = max(1, round(chunks / SECTIONS_PER_NOTE))
    for number in range(notes):
        model = models[number % len(models)]
        sections = [_section(rng, model) for _ in range(SECTIONS_PER_NOTE)]
        title = f"# {model}: note {number}"
        (folder / f"note-{number:05d}.md").write_text(title + "\n\n" + "\n\n".join(sections))
    return notes


def _section(rng: np.random.Generator, model: str) -> str:
    heading = _HEADINGS[int(rng.integers(0, len(_HEADINGS)))]
    chinese = rng.random() < CHINESE_SHARE
    templates = _CHINESE if chinese else _SENTENCES
    count = int(rng.integers(6, 10)) if chinese else int(rng.integers(4, 8))
    picks = rng.choice(len(templates), size=count)
    text = "".join if chinese else " ".join
    body = text(templates[int(i)].format(**_values(rng, model)) for i in picks)
    return f"## {heading}\n\n{body}"


def _values(rng: np.random.Generator, model: str) -> dict[str, object]:
    a, b = sorted(np.round(rng.uniform(0.6, 0.99, 2), 3).tolist(), reverse=True)
    return {
        "model": model,
        "month": _MONTHS[int(rng.integers(0, len(_MONTHS)))],
        "data": f"{model.split('-')[0]}_events",
        "metric": _METRICS[int(rng.integers(0, len(_METRICS)))],
        "a": a,
        "b": b,
        "family": TABULAR_FAMILIES[int(rng.integers(0, len(TABULAR_FAMILIES)))],
        "lr": round(float(10 ** rng.uniform(-3, -1)), 4),
        "depth": int(rng.integers(3, 12)),
        "user": USERS[int(rng.integers(0, len(USERS)))],
        "feature": _FEATURES[int(rng.integers(0, len(_FEATURES)))],
        "latency": int(rng.integers(20, 200)),
        "team": _TEAMS[int(rng.integers(0, len(_TEAMS)))],
        "share": round(float(rng.uniform(0.1, 8)), 1),
        "days": int(rng.integers(7, 90)),
        "version": int(rng.integers(1, 40)),
        "minutes": int(rng.integers(3, 90)),
    }
