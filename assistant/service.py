"""The assistant: plan a request, run the tool calls through governance, compose the answer."""

from __future__ import annotations

import logging
import time
from typing import Any

import assistant.render  # noqa: F401  (registers the answer templates)
from assistant.answer import Answer, Language, PlannerName, ToolCallView
from assistant.compose import compose_answer, compose_confirmation_result
from assistant.conversation import Conversation, ConversationStore, Turn
from assistant.messages import message
from assistant.plan import Plan
from assistant.rules.lexicon import Lexicon
from assistant.rules.planner import plan_request
from tools.catalog.overview import names_fingerprint
from tools.clock import now
from tools.governance import Actor, Governor, ToolOutcome
from tools.settings import Settings, get_settings
from tools.store.db import Store, open_store
from tools.tool_registry import REGISTRY, ToolContext
from tools.vocabulary import detect_language

log = logging.getLogger(__name__)

# The rules planner answers alone at or above this confidence when an LLM is configured.
HYBRID_CONFIDENCE = 0.8


class Assistant:
    """One assistant per process; conversations are kept per id (session, Slack thread)."""

    def __init__(
        self,
        settings: Settings | None = None,
        store: Store | None = None,
        conversations: ConversationStore | None = None,
        agent: Any | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.store = store or open_store(self.settings)
        self.governor = Governor(self.store, self.settings)
        self.conversations = conversations or ConversationStore()
        self._agent = agent
        self._lexicon: tuple[tuple[object, ...], Lexicon] | None = None

    def lexicon(self) -> Lexicon:
        """Return the workspace's names, read again only when they changed.

        They come from the overview tool (not audited: not a user call). Rebuilding them for
        every request cost more than planning it.
        """
        fingerprint = names_fingerprint(self.store)
        cached = self._lexicon
        if cached is not None and fingerprint is not None and cached[0] == fingerprint:
            return cached[1]
        tool = REGISTRY.get("workspace_overview")
        ctx = ToolContext(self.store, self.settings, "assistant", "viewer", "internal")
        overview = tool.run(ctx, tool.args_model())
        lexicon = Lexicon.from_overview(overview.model_dump(mode="json"))
        if fingerprint is not None:
            self._lexicon = (fingerprint, lexicon)
        return lexicon

    def ask(self, question: str, actor: Actor, conversation_id: str | None = None) -> Answer:
        """Answer one request; mutations come back as a confirmation request."""
        started = time.perf_counter()
        language = detect_language(question)
        conversation = self.conversations.get(conversation_id or f"{actor.channel}:{actor.user}")
        plan = plan_request(question, language, conversation, self.lexicon(), now())
        planner: PlannerName = "rules"
        if self._should_use_llm(plan):
            return self._ask_llm(question, language, actor, conversation, started)
        answer = self._run_plan(question, language, plan, actor, conversation, planner)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def confirm(self, token: str, actor: Actor, conversation_id: str | None = None) -> Answer:
        """Run a confirmed mutation and answer with what changed."""
        started = time.perf_counter()
        conversation = self.conversations.get(conversation_id or f"{actor.channel}:{actor.user}")
        language = _conversation_language(conversation)
        outcome = self.governor.confirm(token, actor)
        if conversation.pending_token == token:
            conversation.pending_token = None
        answer = compose_confirmation_result(outcome, language)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def cancel(
        self, actor: Actor, conversation_id: str | None = None, token: str | None = None
    ) -> Answer:
        """Drop the pending change and void its token, so it cannot be confirmed later."""
        conversation = self.conversations.get(conversation_id or f"{actor.channel}:{actor.user}")
        pending = token or conversation.pending_token
        if pending:
            self.governor.cancel(pending, actor)
        conversation.pending_token = None
        language = _conversation_language(conversation)
        return Answer("cancel", message("cancelled", language), language, "none")

    def _should_use_llm(self, plan: Plan) -> bool:
        if not self.settings.llm_configured:
            return False
        if plan.kind in ("confirm", "cancel", "help") or plan.intent in ("confirm", "cancel"):
            return False
        if self.settings.llm_routing == "llm":
            return True
        return plan.kind in ("refuse", "clarify") or plan.confidence < HYBRID_CONFIDENCE

    def _ask_llm(
        self,
        question: str,
        language: Language,
        actor: Actor,
        conversation: Conversation,
        started: float,
    ) -> Answer:
        from assistant.llm.agent import LLMAgent

        if self._agent is None:
            self._agent = LLMAgent(self.settings, self.governor)
        answer: Answer = self._agent.ask(question, language, actor, conversation, self.lexicon())
        for call in answer.tool_calls:
            outcome = ToolOutcome(call.name, call.arguments, call.status, call.result, call.error)  # type: ignore[arg-type]
            _update_focus(conversation, outcome, Plan("tools"))
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def _run_plan(
        self,
        question: str,
        language: Language,
        plan: Plan,
        actor: Actor,
        conversation: Conversation,
        planner: PlannerName,
    ) -> Answer:
        conversation.messages.append({"role": "user", "content": question})
        if plan.kind == "confirm" and conversation.pending_token:
            return self.confirm(conversation.pending_token, actor, conversation.id)
        if plan.kind == "cancel":
            return self.cancel(actor, conversation.id)
        if plan.kind != "tools":
            return Answer(
                question,
                plan.message or "",
                language,
                planner,  # type: ignore[arg-type]
                options=plan.options,
            )
        outcomes: list[ToolOutcome] = []
        for call in plan.calls:
            arguments = call.arguments
            if call.runs_from_previous:
                runs = _found_run_ids(outcomes[-1])
                if len(runs) < 2:
                    break  # too few runs to compare, so the search result alone is shown
                arguments = {**arguments, "runs": runs}
            outcome = self.governor.invoke(call.tool, arguments, actor)
            outcomes.append(outcome)
            if outcome.status != "ok":
                break
        answer = compose_answer(question, language, plan, outcomes)
        answer.planner = planner
        answer.tool_calls = [_view(outcome) for outcome in outcomes]
        self._remember(conversation, question, plan, outcomes)
        # The LLM agent reads this history, so it sees what the rules planner answered.
        conversation.messages.append({"role": "assistant", "content": answer.answer})
        return answer

    def _remember(
        self, conversation: Conversation, question: str, plan: Plan, outcomes: list[ToolOutcome]
    ) -> None:
        for outcome in outcomes:
            conversation.remember(Turn(question, outcome.name, outcome.arguments, outcome.result))
            if outcome.status == "needs_confirmation" and outcome.confirmation:
                conversation.pending_token = outcome.confirmation.token
            _update_focus(conversation, outcome, plan)


def _view(outcome: ToolOutcome) -> ToolCallView:
    return ToolCallView(
        name=outcome.name,
        arguments=outcome.arguments,
        status=outcome.status,
        result=outcome.result,
        error=outcome.error,
    )


def _found_run_ids(outcome: ToolOutcome) -> list[str]:
    runs = (outcome.result or {}).get("runs") or []
    return [run["run_id"] for run in runs if isinstance(run, dict) and run.get("run_id")]


def _conversation_language(conversation: Conversation) -> Language:
    for turn in reversed(conversation.turns):
        return detect_language(turn.question)
    return "en"


def _update_focus(conversation: Conversation, outcome: ToolOutcome, plan: Plan) -> None:
    arguments = outcome.arguments
    if "model" in arguments and isinstance(arguments["model"], str):
        conversation.focus_model = arguments["model"]
        version = arguments.get("version")
        conversation.focus_version = version if isinstance(version, int) else None
    result = outcome.result or {}
    runs = result.get("runs")
    if isinstance(runs, list) and runs:
        index = plan.focus_index or 0
        chosen = runs[min(index, len(runs) - 1)]
        conversation.focus_run = chosen.get("run_id")
        versions = chosen.get("model_versions") or []
        if versions:
            conversation.focus_model = versions[0]["model"]
            conversation.focus_version = versions[0]["version"]
    if outcome.name == "get_run" and result.get("run_id"):
        conversation.focus_run = result["run_id"]
    if outcome.name == "get_model_version" and result.get("version"):
        conversation.focus_version = result["version"]
