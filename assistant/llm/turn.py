"""One turn of the agent: the calls it made, and the answer composed from them.

The answer's text comes from the renderers in assistant/compose.py applied to the last
successful tool result, so every number in it is the store's. The model's own words are
used only when no tool returned anything: a refusal, or a question back to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.answer import Answer, Language, ToolCallView
from assistant.compose import compose_answer
from assistant.llm.guard import TurnGuard, unsupported_numbers
from assistant.messages import message
from assistant.plan import Plan
from tools.governance import ToolOutcome
from tools.vocabulary import detect_language

Failure = Literal["timeout", "unavailable", "invalid_response", "step_limit"]
# The model's own text is a lead-in, not a report: longer text is cut at a sentence end.
MAX_MODEL_TEXT = 400
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")

FAILURE_TEXTS: dict[str, tuple[str, str]] = {
    "timeout": (
        "The language model did not answer within {timeout:g} s; please try again.",
        "语言模型在 {timeout:g} 秒内没有响应，请重试。",
    ),
    "unavailable": (
        "The language model could not be reached; please try again.",
        "无法连接语言模型，请重试。",
    ),
    "invalid_response": (
        "The language model sent a response that could not be read; please try again.",
        "语言模型返回了无法读取的响应，请重试。",
    ),
    "step_limit": (
        "I could not finish this within {steps} steps; please ask a more specific question.",
        "在 {steps} 步之内没能完成，请把问题问得更具体一些。",
    ),
    "no_answer": (
        "I could not answer that from this workspace's data; please rephrase the question.",
        "无法根据本工作区的数据回答这个问题，请换个说法。",
    ),
}


@dataclass
class AgentTurn:
    question: str
    language: Language
    guard: TurnGuard
    outcomes: list[ToolOutcome] = field(default_factory=list)
    views: list[ToolCallView] = field(default_factory=list)
    rejected: int = 0
    final_text: str = ""
    failure: Failure | None = None
    max_steps: int = 0
    timeout_s: float = 0.0

    def record(self, outcome: ToolOutcome) -> None:
        self.outcomes.append(outcome)
        self.views.append(
            ToolCallView(
                outcome.name, outcome.arguments, outcome.status, outcome.result, outcome.error
            )
        )

    def record_rejected(
        self, name: str, arguments: dict[str, Any], status: str, reason: str
    ) -> None:
        """Record a call that never reached governance: invented, unreadable or unsafe."""
        self.rejected += 1
        self.views.append(ToolCallView(name, arguments, status, None, reason))

    @property
    def pending(self) -> ToolOutcome | None:
        last = self.outcomes[-1] if self.outcomes else None
        return last if last and last.status == "needs_confirmation" else None

    @property
    def last_ok(self) -> ToolOutcome | None:
        return next((o for o in reversed(self.outcomes) if o.status == "ok"), None)

    def answer(self, number_sources: list[str]) -> Answer:
        """Compose the answer; ``number_sources`` are texts the model's numbers may come from."""
        outcome = self.pending or self.last_ok
        if outcome is not None:
            answer = compose_answer(self.question, self.language, Plan("tools"), [outcome])
        else:
            text = self._text_without_result(number_sources)
            answer = Answer(self.question, text, self.language, "llm")
        answer.planner = "llm"
        answer.tool_calls = list(self.views)
        answer.citations = self._citations()
        return answer

    def _text_without_result(self, number_sources: list[str]) -> str:
        if self.failure in ("timeout", "unavailable", "invalid_response"):
            return self._failure_text()
        text = lead_in(self.final_text)
        if text and self._trustworthy(text, number_sources):
            return text
        failed = self.outcomes[-1] if self.outcomes else None
        if failed is not None:
            return compose_answer(self.question, self.language, Plan("tools"), [failed]).answer
        if self.rejected and self.failure is None:
            return message("out_of_scope", self.language)
        return self._failure_text()

    def _trustworthy(self, text: str, number_sources: list[str]) -> bool:
        """Return whether the model's text is in the request's language and invents no number."""
        if detect_language(text) != self.language:
            return False
        return not unsupported_numbers(text, [self.question, *number_sources])

    def _failure_text(self) -> str:
        english, chinese = FAILURE_TEXTS[self.failure or "no_answer"]
        template = chinese if self.language == "zh" else english
        return template.format(timeout=self.timeout_s, steps=self.max_steps)

    def _citations(self) -> list[dict[str, Any]]:
        citations: list[dict[str, Any]] = []
        for outcome in self.outcomes:
            found = (outcome.result or {}).get("citations") if outcome.status == "ok" else None
            for citation in found if isinstance(found, list) else []:
                if citation not in citations:
                    citations.append(citation)
        return citations


def lead_in(text: str) -> str:
    """Return the model's text cut to a short lead-in, ending at a sentence end if it can."""
    text = " ".join(text.split())
    if len(text) <= MAX_MODEL_TEXT:
        return text
    cut = text[:MAX_MODEL_TEXT]
    ends = [match.start() for match in _SENTENCE_END.finditer(cut) if match.start() > 0]
    return cut[: ends[-1]] if ends else cut.rstrip() + "…"
