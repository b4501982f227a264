"""The rules planner: maps a request to tool calls, a clarifying question or a refusal.

It only acts when it is confident. A mutating intent whose target is not certain gets a
clarifying question, never a guessed call. A request with no intent and no known entity is
out of scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from assistant.conversation import Conversation
from assistant.messages import join_options, message
from assistant.plan import Plan, PlannedCall
from assistant.rules.intents import (
    CANCEL_WORDS,
    CONFIRM_WORDS,
    FOLLOW_UP,
    detect_intent,
)
from assistant.rules.lexicon import Lexicon
from assistant.rules.mentions import Mentions, extract

Handler = Callable[["Request"], Plan]


class Request:
    """One request with its language, mentions, lexicon and conversation."""

    def __init__(
        self,
        text: str,
        language: str,
        mentions: Mentions,
        lexicon: Lexicon,
        conversation: Conversation,
    ) -> None:
        self.text = text
        self.language = language
        self.mentions = mentions
        self.lexicon = lexicon
        self.conversation = conversation

    def clarify(self, key: str, options: list[str] | None = None, **values: object) -> Plan:
        options = options or []
        text = message(key, self.language, options=join_options(options, self.language), **values)
        return Plan("clarify", message=text, options=options, confidence=1.0)

    def model(self) -> str | Plan:
        """Return the one model the request is about, or a clarifying question."""
        m = self.mentions
        if len(m.models) == 1:
            return m.models[0]
        if len(m.models) > 1:
            return self.clarify("which_model", m.models)
        if m.task_models:
            if len(m.task_models) == 1:
                return m.task_models[0]
            return self.clarify(
                "which_of_task", m.task_models, count=len(m.task_models), task=m.task or ""
            )
        if self.conversation.focus_model:
            return self.conversation.focus_model
        candidates = sorted(self.lexicon.models)
        return self.clarify("which_model", candidates[:8])


def plan_request(
    text: str, language: str, conversation: Conversation, lexicon: Lexicon, now: datetime
) -> Plan:
    """Plan a request; the conversation supplies context for follow-ups."""
    if CONFIRM_WORDS.match(text):
        if conversation.pending_token:
            return Plan("confirm", intent="confirm")
        return Plan("refuse", message=message("nothing_pending", language), intent="confirm")
    if CANCEL_WORDS.match(text):
        if conversation.pending_token:
            return Plan("cancel", message=message("cancelled", language), intent="cancel")
        return Plan("refuse", message=message("nothing_pending", language), intent="cancel")

    mentions = extract(text, lexicon, now)
    request = Request(text, language, mentions, lexicon, conversation)
    intent = detect_intent(text)

    follow_up = _plan_follow_up(request, intent)
    if follow_up is not None:
        return follow_up
    about_model = mentions.models and not mentions.period and not _asks_for_ranking(text)
    if intent == "search" and about_model:
        intent = "version_detail"  # "show fraud-detector v3" is about the model, not its runs
    guessed = intent is None
    if _asks_about_one_run(request, intent):
        intent = "get_run"  # "params of run sassy-hare-450", "运行 5eedb907 的详细信息"
    elif _asks_about_pipeline_runs(request, intent):
        intent = "pipeline_status"  # "status of the latest fraud-retrain run"
    if intent is None:
        if mentions.models:
            intent = "version_detail"
        elif mentions.any_entity:
            intent = "search"
        else:
            return Plan("refuse", message=message("out_of_scope", language), confidence=0.9)
    handler = HANDLERS[intent]
    plan = handler(request)
    plan.intent = plan.intent or intent
    if guessed:
        # Only entities matched, no intent: a configured LLM should take this one.
        plan.confidence = min(plan.confidence, 0.5)
    return plan


# --- follow-ups ------------------------------------------------------------------------------


def _plan_follow_up(request: Request, intent: str | None) -> Plan | None:
    m = request.mentions
    conversation = request.conversation
    last = conversation.last_with_tool()
    if last is None or last.tool is None or _is_mutating(last.tool):
        # A follow-up never repeats a change: "and last month?" after a rollback is not one.
        return None
    text = request.text
    follows = bool(FOLLOW_UP.search(text)) or intent is None

    # "and the second best?", "第二名呢": the ranked result of the last search.
    ranked_tools = ("search_runs", "search_model_versions")
    if m.ordinal is not None and (follows or intent == "search") and last.tool in ranked_tools:
        limit = max(m.ordinal + 1, int(last.arguments.get("limit", 1)))
        plan = Plan.call(last.tool, "search", **dict(last.arguments, limit=limit))
        plan.focus_index = m.ordinal
        return plan

    # "and last month?", "那上个月的呢？": the same question over another window.
    short = len(text) < 40
    if m.period and short and follows and not m.models and _takes_period(last.tool):
        arguments = {k: v for k, v in last.arguments.items() if k not in ("start", "end")}
        arguments["period"] = m.period
        return Plan.call(str(last.tool), "follow_up", **arguments)

    # "what about the fraud model?", "那欺诈模型呢？": the same question for another model.
    if short and follows and intent is None and (m.models or m.task_models):
        target = request.model()
        if isinstance(target, Plan):
            return target
        if "model" in last.arguments:
            return Plan.call(str(last.tool), "follow_up", **dict(last.arguments, model=target))
    return None


def _takes_period(tool_name: str) -> bool:
    from tools.tool_registry import REGISTRY

    try:
        return "period" in REGISTRY.get(tool_name).args_model.model_fields
    except Exception:  # an unknown tool takes nothing
        return False


def _is_mutating(tool_name: str) -> bool:
    from tools.tool_registry import REGISTRY

    try:
        return REGISTRY.get(tool_name).mutating
    except Exception:  # an unknown tool name cannot be repeated either
        return True


# --- handlers --------------------------------------------------------------------------------


def _help(request: Request) -> Plan:
    return Plan("help", message=message("help", request.language))


def _search(request: Request) -> Plan:
    m = request.mentions
    experiment = m.experiments[0] if len(m.experiments) == 1 else m.unknown_experiment
    task = m.task if not experiment else None
    model_filter = None
    if m.models and not experiment and not task:
        task = request.lexicon.models.get(m.models[0])
        if task is None:
            model_filter = m.models[0]
    metric = m.metric
    if metric is None and _asks_for_ranking(request.text):
        metric = _default_metric(request)
    status = _status(request.text)
    limit = m.top_k or (1 if _asks_for_single_best(request.text) else 10)
    return Plan.call(
        "search_runs",
        "search",
        experiment=experiment,
        task=task,
        metric=metric,
        period=m.period,
        status=status,
        limit=limit,
        name_contains=model_filter,
    )


def _asks_for_ranking(text: str) -> bool:
    return bool(
        re.search(r"\b(best|top|worst|highest|lowest|rank|most accurate|leaderboard)\b", text, re.I)
        or re.search(r"最好|最佳|最高|最低|排名|前\d+|最优|表现最", text)
    )


# Intents that a request naming exactly one run means as "tell me about that run".
_RUN_LOOKUP_INTENTS = (None, "search", "version_detail", "experiments")
_RUN_ID = re.compile(r"[0-9a-f]{8,32}")


def _asks_about_one_run(request: Request, intent: str | None) -> bool:
    m = request.mentions
    if intent not in _RUN_LOOKUP_INTENTS or len(m.runs) != 1 or m.period:
        return False
    if _asks_for_ranking(request.text) or m.top_k or m.ordinal is not None:
        return False
    return _looks_like_run(m.runs[0], m.quoted)


_PIPELINE_RUN_WORDS = re.compile(
    r"\b(status|latest|last run|how many times|succeed(ed)?|state)\b"
    r"|状态|最近一次|上一次|几次|怎么样",
    re.IGNORECASE,
)


def _asks_about_pipeline_runs(request: Request, intent: str | None) -> bool:
    """Return whether a named pipeline is asked about its runs (names may match experiments)."""
    m = request.mentions
    if not m.pipelines or _asks_for_ranking(request.text):
        return False
    lookup = intent in _RUN_LOOKUP_INTENTS or (intent == "health" and not m.models)
    return lookup and bool(_PIPELINE_RUN_WORDS.search(request.text))


def _looks_like_run(name: str, quoted: list[str]) -> bool:
    """Return whether ``name`` is a run id or has a digit, "-" or "_" (unlike "were")."""
    return bool(_RUN_ID.fullmatch(name) or re.search(r"[\-_0-9]", name) or name in quoted)


def _asks_for_single_best(text: str) -> bool:
    plural = re.search(r"\b(runs|models|top\s*\d+|\d+\s+best)\b|前\s*\d+|哪些", text, re.I)
    return _asks_for_ranking(text) and not plural


def _default_metric(request: Request) -> str | None:
    """Pick the usual headline metric when the user says "best" without naming one."""
    for preferred in (
        "accuracy",
        "val_accuracy",
        "test_accuracy",
        "f1",
        "f1_score",
        "roc_auc",
        "auc",
    ):
        if preferred in request.lexicon.metrics:
            return preferred
    return None


def _status(text: str) -> str | None:
    if re.search(r"\bfail(ed|ing|ures?)?\b|失败", text, re.I):
        return "FAILED"
    if re.search(r"\b(running|in progress|unfinished)\b|运行中|未完成", text, re.I):
        return "RUNNING"
    return None


def _compare(request: Request) -> Plan:
    m = request.mentions
    if m.datasets:
        return _compare_datasets(request)
    model = m.models[0] if m.models else request.conversation.focus_model
    versions = list(m.versions)
    if model and versions and (len(versions) >= 2 or request.conversation.focus_version):
        if len(versions) == 1 and request.conversation.focus_version:
            versions.insert(0, request.conversation.focus_version)
        return Plan.call("compare_model_versions", "compare", model=model, versions=versions[:5])
    if len(m.runs) >= 2:
        return Plan.call("compare_runs", "compare", runs=m.runs[:10])
    if len(m.runs) == 1 and request.conversation.focus_run:
        return Plan.call(
            "compare_runs", "compare", runs=[request.conversation.focus_run, m.runs[0]]
        )
    if not m.runs and (m.experiments or m.task) and _asks_for_ranking(request.text):
        return _compare_best(request)
    return request.clarify("which_run")


def _compare_best(request: Request) -> Plan:
    """Plan "compare the two best breast cancer runs": rank the runs, then compare the top ones."""
    request.mentions.top_k = min(max(request.mentions.top_k or 2, 2), 10)
    plan = _search(request)
    plan.calls.append(PlannedCall("compare_runs", {}, runs_from_previous=True))
    plan.intent = "compare"
    return plan


def _metric_history(request: Request) -> Plan:
    m = request.mentions
    run = m.runs[0] if m.runs else request.conversation.focus_run
    if run is None:
        return request.clarify("which_run")
    metric = m.metric or _default_metric(request)
    if metric is None:
        return request.clarify("no_metric", request.lexicon.metrics[:12])
    return Plan.call("metric_history", "metric_history", run=run, metric=metric)


def _best_per_experiment(request: Request) -> Plan:
    metric = request.mentions.metric or _default_metric(request)
    if metric is None:
        return request.clarify("no_metric", request.lexicon.metrics[:12])
    return Plan.call(
        "best_run_per_experiment",
        "best_per_experiment",
        metric=metric,
        task=request.mentions.task,
        period=request.mentions.period,
    )


def _experiments(request: Request) -> Plan:
    if _asks_for_ranking(request.text) or request.mentions.unknown_experiment:
        return _search(request)
    return Plan.call("list_experiments", "experiments", task=request.mentions.task)


def _list_models(request: Request) -> Plan:
    return Plan.call("list_models", "list_models", task=request.mentions.task)


def _with_model(build: Callable[[Request, str], Plan]) -> Handler:
    def handler(request: Request) -> Plan:
        model = request.model()
        if isinstance(model, Plan):
            return model
        return build(request, model)

    return handler


def _version_detail(request: Request, model: str) -> Plan:
    m = request.mentions
    if m.version is not None:
        return Plan.call("get_model_version", "version_detail", model=model, version=m.version)
    return Plan.call("get_model_version", "version_detail", model=model, alias=m.alias)


def _list_versions(request: Request, model: str) -> Plan:
    return Plan.call("list_model_versions", "list_versions", model=model)


def _alias_history(request: Request, model: str) -> Plan:
    m = request.mentions
    return Plan.call(
        "alias_history", "alias_history", model=model, alias=m.alias or "production", at=m.period
    )


def _deployments(request: Request) -> Plan:
    m = request.mentions
    model = (
        m.models[0]
        if len(m.models) == 1
        else (m.task_models[0] if len(m.task_models) == 1 else None)
    )
    environment = m.alias if m.alias in ("production", "staging") else None
    return Plan.call("get_deployments", "deployments", model=model, environment=environment)


def _deployment_history(request: Request, model: str) -> Plan:
    return Plan.call(
        "deployment_history", "deployment_history", model=model, period=request.mentions.period
    )


def _rollback(request: Request, model: str) -> Plan:
    m = request.mentions
    return Plan.call(
        "rollback_model",
        "rollback",
        model=model,
        alias=m.alias or "production",
        to_version=m.version,
    )


def _set_alias(request: Request, model: str) -> Plan:
    m = request.mentions
    if m.version is None:
        return request.clarify("which_version", model=model)
    return Plan.call(
        "set_alias", "set_alias", model=model, alias=m.alias or "production", version=m.version
    )


def _archive(request: Request, model: str) -> Plan:
    if request.mentions.version is None:
        return request.clarify("which_version", model=model)
    return Plan.call(
        "archive_model_version", "archive", model=model, version=request.mentions.version
    )


def _request_promotion(request: Request, model: str) -> Plan:
    m = request.mentions
    if m.version is None:
        return request.clarify("which_version", model=model)
    return Plan.call(
        "request_promotion",
        "request_promotion",
        model=model,
        version=m.version,
        alias=m.alias or "production",
    )


def _review(tool: str) -> Handler:
    def handler(request: Request) -> Plan:
        if request.mentions.request_id is None:
            return request.clarify("which_request")
        return Plan.call(tool, tool, request_id=request.mentions.request_id)

    return handler


def _register_version(request: Request) -> Plan:
    m = request.mentions
    run = m.runs[0] if m.runs else request.conversation.focus_run
    if run is None:
        return request.clarify("which_run")
    model = _registration_target(request)
    if model is None:
        return request.clarify("which_model", sorted(request.lexicon.models)[:8])
    return Plan.call("register_model_version", "register_version", run_id=run, model=model)


_AS_MODEL = re.compile(
    r"\bas\s+(?:a\s+)?(?:new\s+)?(?:model\s+)?[\"'`]?([A-Za-z0-9][\w.\-]*)", re.I
)


def _registration_target(request: Request) -> str | None:
    """Find the model to register under: "as model X" wins over a known name inside X."""
    named = _AS_MODEL.search(request.text)
    if named and named.group(1).casefold() not in ("model", "a", "new"):
        return named.group(1)
    if request.mentions.models:
        return request.mentions.models[0]
    if request.mentions.quoted:
        return request.mentions.quoted[-1]
    return None


def _pipeline_target(request: Request) -> str | Plan:
    m = request.mentions
    if len(m.pipelines) == 1:
        return m.pipelines[0]
    candidates: list[str] = []
    for model in m.models or m.task_models:
        candidates.extend(request.lexicon.pipelines_for_model(model))
    if not candidates and m.task:
        task_word = m.task.split("-")[0]
        candidates = [p for p in request.lexicon.pipelines if task_word in p]
    if len(set(candidates)) == 1:
        return candidates[0]
    options = sorted(set(candidates)) or request.lexicon.pipelines
    return request.clarify("which_pipeline", options[:8])


def _trigger_pipeline(request: Request) -> Plan:
    target = _pipeline_target(request)
    if isinstance(target, Plan):
        return target
    return Plan.call("trigger_pipeline", "trigger_pipeline", pipeline=target)


def _explain_failure(request: Request) -> Plan:
    m = request.mentions
    if not (m.pipelines or m.models or m.task_models or m.task):
        return Plan.call("explain_pipeline_failure", "explain_failure")
    target = _pipeline_target(request)
    if isinstance(target, Plan):
        return target
    return Plan.call("explain_pipeline_failure", "explain_failure", pipeline=target)


# "list the pipelines", "which pipeline trains X", "有哪些流水线": the pipelines, not their runs.
_LIST_PIPELINES = re.compile(
    r"^(?!.*\bruns?\b).*(\b(list|which|what|show)\b.*\bpipelines?\b|\bwho owns\b)"
    r"|^(?!.*运行).*((有哪些|列出|所有|哪条|哪个).*(流水线|管道)|(流水线|管道).*(负责人|归谁))",
    re.IGNORECASE,
)
_LATEST_RUN = re.compile(r"\b(latest|last)\b|最近一次|上一次", re.IGNORECASE)


def _pipeline_status(request: Request) -> Plan:
    m = request.mentions
    if _LIST_PIPELINES.search(request.text):
        model = m.models[0] if len(m.models) == 1 else None
        if model is None and len(m.task_models) == 1:
            model = m.task_models[0]
        return Plan.call("list_pipelines", "list_pipelines", model=model)
    if len(m.pipelines) == 1 and _LATEST_RUN.search(request.text) and not m.period:
        return Plan.call("pipeline_run_status", "pipeline_status", pipeline=m.pipelines[0])
    pipeline = None
    if m.pipelines or m.models or m.task_models:
        target = _pipeline_target(request)
        if isinstance(target, Plan):
            return target
        pipeline = target
    status = _status(request.text)
    return Plan.call(
        "list_pipeline_runs",
        "pipeline_status",
        pipeline=pipeline,
        status=status.lower() if status else None,
        period=m.period,
    )


def _monitoring(tool: str, intent: str) -> Handler:
    def build(request: Request, model: str) -> Plan:
        return Plan.call(tool, intent, model=model, period=request.mentions.period)

    return _with_model(build)


def _health(request: Request, model: str) -> Plan:
    return Plan.call("model_health", "health", model=model)


def _alerts(request: Request) -> Plan:
    m = request.mentions
    model = (
        m.models[0]
        if len(m.models) == 1
        else (m.task_models[0] if len(m.task_models) == 1 else None)
    )
    return Plan.call("list_alerts", "alerts", model=model)


def _acknowledge(request: Request) -> Plan:
    if request.mentions.alert_id is None:
        return request.clarify("which_alert")
    return Plan.call("acknowledge_alert", "acknowledge_alert", alert_id=request.mentions.alert_id)


def _dataset(request: Request) -> Plan:
    m = request.mentions
    if not m.datasets:
        return Plan.call("list_datasets", "dataset")
    return Plan.call("get_dataset_version", "dataset", dataset=m.datasets[0], version=m.version)


def _compare_datasets(request: Request) -> Plan:
    m = request.mentions
    if not m.datasets:
        return request.clarify("which_dataset", request.lexicon.datasets[:8])
    versions = m.versions
    arguments: dict[str, object] = {"dataset": m.datasets[0]}
    if len(versions) >= 2:
        arguments.update(from_version=versions[0], to_version=versions[1])
    return Plan.call("compare_dataset_versions", "compare_datasets", **arguments)


def _dataset_lineage(request: Request) -> Plan:
    m = request.mentions
    if not m.datasets:
        return request.clarify("which_dataset", request.lexicon.datasets[:8])
    return Plan.call("dataset_lineage", "dataset_lineage", dataset=m.datasets[0], version=m.version)


def _knowledge(request: Request) -> Plan:
    m = request.mentions
    model = m.models[0] if len(m.models) == 1 else None
    return Plan.call("search_knowledge", "knowledge", query=request.text, model=model)


def _who_changed(request: Request) -> Plan:
    m = request.mentions
    model = (
        m.models[0]
        if len(m.models) == 1
        else (m.task_models[0] if len(m.task_models) == 1 else None)
    )
    tool = _audited_tool(request.text)
    return Plan.call("audit_log", "who_changed", model=model, tool=tool, period=m.period)


def _audited_tool(text: str) -> str | None:
    table = (
        (r"roll(ed)?[ -]?back|回滚", "rollback_model"),
        (r"promot|上线申请", "approve_promotion"),
        (r"archiv|归档", "archive_model_version"),
        (r"register|注册", "register_model_version"),
        (r"trigger|retrain|触发|重新训练", "trigger_pipeline"),
        (r"moved|alias|deployed|部署|别名", "set_alias"),
    )
    for pattern, tool in table:
        if re.search(pattern, text, re.I):
            return tool
    return None


def _add_note(request: Request) -> Plan:
    m = request.mentions
    parts = re.split(r"[:：]", request.text, maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        return request.clarify("note_text")
    if m.models:
        entity = f"{m.models[0]} v{m.version}" if m.version else m.models[0]
    elif m.runs:
        entity = f"run {m.runs[0]}"
    elif m.experiments:
        entity = f"experiment {m.experiments[0]}"
    else:
        return request.clarify("which_model", sorted(request.lexicon.models)[:8])
    return Plan.call("add_note", "add_note", entity=entity, text=parts[1].strip())


def _whoami(request: Request) -> Plan:
    return Plan.call("get_user", "whoami")


def _list_users(request: Request) -> Plan:
    return Plan.call("list_users", "list_users")


def _get_run(request: Request) -> Plan:
    return Plan.call("get_run", "get_run", run=request.mentions.runs[0])


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "add_note": _add_note,
    "who_changed": _who_changed,
    "rollback": _with_model(_rollback),
    "approve_promotion": _review("approve_promotion"),
    "reject_promotion": _review("reject_promotion"),
    "request_promotion": _with_model(_request_promotion),
    "archive": _with_model(_archive),
    "register_version": _register_version,
    "set_alias": _with_model(_set_alias),
    "acknowledge_alert": _acknowledge,
    "trigger_pipeline": _trigger_pipeline,
    "explain_failure": _explain_failure,
    "pipeline_status": _pipeline_status,
    "drift": _monitoring("drift_report", "drift"),
    "latency": _monitoring("latency_report", "latency"),
    "health": _with_model(_health),
    "alerts": _alerts,
    "dataset_lineage": _dataset_lineage,
    "compare_datasets": _compare_datasets,
    "dataset": _dataset,
    "knowledge": _knowledge,
    "alias_history": _with_model(_alias_history),
    "deployment_history": _with_model(_deployment_history),
    "deployments": _deployments,
    "compare": _compare,
    "metric_history": _metric_history,
    "best_per_experiment": _best_per_experiment,
    "list_versions": _with_model(_list_versions),
    "version_detail": _with_model(_version_detail),
    "list_models": _list_models,
    "experiments": _experiments,
    "whoami": _whoami,
    "list_users": _list_users,
    "get_run": _get_run,
    "search": _search,
}
