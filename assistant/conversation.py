"""Per-conversation memory so follow-ups ("and the second best?", "那上个月的呢？") resolve."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Turn:
    question: str
    tool: str | None
    arguments: dict[str, Any]
    result: dict[str, Any] | None


@dataclass
class Conversation:
    """What a follow-up may refer to: the last call, its result and the entities in focus."""

    id: str
    turns: list[Turn] = field(default_factory=list)
    focus_model: str | None = None
    focus_version: int | None = None
    focus_run: str | None = None
    pending_token: str | None = None
    pending_options: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)  # for the LLM agent

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def last_with_tool(self, *names: str) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.tool and (not names or turn.tool in names):
                return turn
        return None

    def remember(self, turn: Turn) -> None:
        self.turns.append(turn)
        del self.turns[:-20]


class ConversationStore:
    """Conversations by id (CLI session, console session, Slack thread), kept in memory."""

    def __init__(self, max_conversations: int = 1000) -> None:
        self._conversations: dict[str, Conversation] = {}
        self._lock = threading.Lock()
        self._max = max_conversations

    def get(self, conversation_id: str) -> Conversation:
        with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None:
                if len(self._conversations) >= self._max:
                    oldest = next(iter(self._conversations))
                    del self._conversations[oldest]
                conversation = Conversation(conversation_id)
                self._conversations[conversation_id] = conversation
            return conversation
