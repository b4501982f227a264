"""Entities mentioned in a request: models, versions, aliases, runs, metrics, tasks, periods."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from assistant.rules.lexicon import Lexicon, find_names
from tools.timerange import find_time_range
from tools.vocabulary import find_metric, find_task

_VERSION = re.compile(
    r"(?:\bv(?:ersion)?\s*#?(\d+)\b|版本\s*(\d+)|第\s*(\d+)\s*(?:个)?版|(\d+)\s*号版本|\bv(\d+))",
    re.IGNORECASE,
)
_ALIASES = {
    "production": "production",
    "prod": "production",
    "生产": "production",
    "线上": "production",
    "staging": "staging",
    "预发": "staging",
    "预发布": "staging",
    "测试环境": "staging",
    "champion": "champion",
    "challenger": "challenger",
    "冠军": "champion",
}
_TOP_K = re.compile(
    r"(?:\btop\s*(\d+)|\b(\d+)\s+best|\bbest\s+(\d+)|前\s*(\d+)|最好的\s*(\d+)\s*个|(\d+)\s*个最好)",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10,
    "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "十": 10,
}  # fmt: skip
_TOP_K_WORDS = re.compile(
    r"\b(?:top|best)\s+(two|three|four|five|ten)\b|\b(two|three|four|five|ten)\s+best\b"
    r"|前(三|五|十)|最好的(两|二|三|四|五)个|(两|二|三|四|五)个最好",
    re.IGNORECASE,
)
_ORDINALS = {
    "first": 0,
    "second": 1,
    "third": 2,
    "fourth": 3,
    "fifth": 4,
    "1st": 0,
    "2nd": 1,
    "3rd": 2,
    "4th": 3,
    "5th": 4,
    "第一": 0,
    "第二": 1,
    "第三": 2,
    "第四": 3,
    "第五": 4,
}
_RUN_ID = re.compile(r"\b([0-9a-f]{8,32})\b")
_RUN_NAME = re.compile(r"(?:\bruns?\s+|运行\s*)[\"'`]?([A-Za-z0-9][\w.\-]*)[\"'`]?", re.IGNORECASE)
_AND_RUN = re.compile(
    r"(?:\band\b|\bwith\b|\bvs\.?|和|与|跟)\s*(?:run\s+|运行\s*)?[\"'`]?([A-Za-z0-9][\w.\-]*[\-_0-9][\w.\-]*)[\"'`]?",
    re.IGNORECASE,
)
# A Chinese request runs words together ("实验有哪些"), so only an ASCII name counts there.
_NAMED_EXPERIMENT = re.compile(
    r"\bexperiment\s+[\"'`]?([\w.\-]+)[\"'`]?|实验\s*[\"'`「]?([A-Za-z0-9][A-Za-z0-9_.\-]*)",
    re.IGNORECASE,
)
# "knn-k5 这个运行", "rf-200 运行": a run name written before the word for run. The name must
# carry a digit, "-" or "_" so that ordinary words are not taken for runs.
_NAME_BEFORE_RUN = re.compile(
    r"(?<![A-Za-z0-9_.\-])([A-Za-z0-9][A-Za-z0-9_.\-]*[\-_0-9][A-Za-z0-9_.\-]*)\s*(?:这个|这次|那个|那次)?\s*运行"
)
# "compare logreg-baseline and logreg-strong-l2", "knn-k1, knn-k3 and knn-k5": a run name
# before "and", "vs" or a comma in a list of runs.
_RUN_BEFORE_AND = re.compile(
    r"(?<![A-Za-z0-9_.\-])([A-Za-z0-9][A-Za-z0-9_.\-]*[\-_0-9][A-Za-z0-9_.\-]*)\s*(?:,|，|、|\band\b|\bvs\.?|\bversus\b|和|与|跟)",
    re.IGNORECASE,
)
_VERSION_WORD = re.compile(r"v\d+", re.IGNORECASE)
_QUOTED = re.compile(r"[\"'`“‘「]([^\"'`”’」]{1,80})[\"'`”’」]")
_REQUEST_ID = re.compile(r"\b(?:request|req|申请)\s*#?\s*([0-9a-f]{6,32})\b", re.IGNORECASE)
_ALERT_ID = re.compile(
    r"\balert\s*#?\s*([0-9a-f]{6,32})\b|告警\s*#?\s*([0-9a-f]{6,32})", re.IGNORECASE
)
_NOT_RUN_WORDS = {
    "from",
    "in",
    "with",
    "of",
    "by",
    "for",
    "the",
    "that",
    "which",
    "a",
    "and",
    "last",
    "this",
}


@dataclass
class Mentions:
    models: list[str] = field(default_factory=list)
    task: str | None = None
    task_models: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    alias: str | None = None
    experiments: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    pipelines: list[str] = field(default_factory=list)
    metric: str | None = None
    metric_phrase_known: bool = True
    period: str | None = None
    top_k: int | None = None
    ordinal: int | None = None
    runs: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    unknown_experiment: str | None = None
    request_id: str | None = None
    alert_id: str | None = None

    @property
    def version(self) -> int | None:
        return self.versions[0] if self.versions else None

    @property
    def any_entity(self) -> bool:
        return bool(
            self.models
            or self.task
            or self.experiments
            or self.datasets
            or self.pipelines
            or self.metric
            or self.runs
            or self.versions
        )


def extract(text: str, lexicon: Lexicon, now: datetime) -> Mentions:
    """Find every entity the request mentions, resolved against the workspace's names."""
    mentions = Mentions()
    window = find_time_range(text, now)
    rest = text
    if window is not None:
        mentions.period = window.phrase
        rest = text.replace(window.phrase, " ")

    mentions.models = find_names(rest, list(lexicon.models))
    mentions.experiments = [
        e for e in find_names(rest, lexicon.experiments) if e not in mentions.models
    ]
    mentions.datasets = find_names(rest, lexicon.datasets)
    mentions.pipelines = find_names(rest, lexicon.pipelines)
    mentions.task = find_task(rest)
    if mentions.task:
        mentions.task_models = lexicon.models_for_task(mentions.task)
    mentions.metric = find_metric(rest, lexicon.metrics) if lexicon.metrics else None
    mentions.versions = [int(next(g for g in m.groups() if g)) for m in _VERSION.finditer(rest)]
    mentions.alias = _find_alias(rest)
    mentions.top_k = _find_top_k(rest)
    mentions.ordinal = _find_ordinal(rest)
    mentions.quoted = [q.strip() for q in _QUOTED.findall(rest)]
    mentions.runs = _find_runs(rest, mentions)
    named = _NAMED_EXPERIMENT.search(rest)
    if named and not mentions.experiments:
        name = next(g for g in named.groups() if g)
        if name.casefold() not in _NOT_RUN_WORDS and name not in ("runs", "run"):
            mentions.unknown_experiment = name
            mentions.runs = [r for r in mentions.runs if r != name]
    request = _REQUEST_ID.search(rest)
    mentions.request_id = request.group(1) if request else None
    alert = _ALERT_ID.search(rest)
    mentions.alert_id = next((g for g in alert.groups() if g), None) if alert else None
    return mentions


def _find_alias(text: str) -> str | None:
    lowered = text.casefold()
    for word, alias in _ALIASES.items():
        if word.isascii():
            if re.search(rf"\b{word}\b", lowered):
                return alias
        elif word in text:
            return alias
    return None


def _find_top_k(text: str) -> int | None:
    match = _TOP_K.search(text)
    if match:
        return int(next(g for g in match.groups() if g))
    words = _TOP_K_WORDS.search(text)
    if words:
        return _WORD_NUMBERS[next(g for g in words.groups() if g).casefold()]
    return None


def _find_ordinal(text: str) -> int | None:
    lowered = text.casefold()
    for word, index in _ORDINALS.items():
        if (word.isascii() and re.search(rf"\b{word}\b", lowered)) or (
            not word.isascii() and word in text
        ):
            return index
    return None


def _find_runs(text: str, mentions: Mentions) -> list[str]:
    runs = [match for match in _RUN_ID.findall(text) if not match.isdigit()]
    named = _NAME_BEFORE_RUN.findall(text) + _RUN_NAME.findall(text)
    paired = _RUN_BEFORE_AND.findall(text) + _AND_RUN.findall(text)
    for name in named + [p for p in paired if not _VERSION_WORD.fullmatch(p)]:
        known = name in mentions.models or name in mentions.experiments
        if (
            name.casefold() not in _NOT_RUN_WORDS
            and name not in runs
            and not name.isdigit()
            and not known
        ):
            runs.append(name)
    for quoted in mentions.quoted:
        if (
            quoted not in runs
            and quoted not in mentions.models
            and quoted not in mentions.experiments
        ):
            runs.append(quoted)
    return runs
