"""Building the chat model from the settings: the fake one, or any OpenAI-compatible server.

``MODELPILOT_LLM_MODEL=fake:NAME`` selects the scripted fake model. Anything else goes to
LangChain's ``ChatOpenAI``: OpenAI itself, or with ``MODELPILOT_LLM_BASE_URL`` a vLLM,
Ollama, llama.cpp server or gateway.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from tools.errors import ConfigError
from tools.settings import Settings

FAKE_PREFIX = "fake:"
# A local server checks no key, but the OpenAI client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"
# A server picks its loaded model whatever name is sent (llama.cpp does), so any name works.
DEFAULT_LOCAL_MODEL = "local-model"


def build_chat_model(settings: Settings) -> BaseChatModel:
    """Return the chat model the settings name."""
    model = settings.llm_model or ""
    if model.startswith(FAKE_PREFIX):
        from assistant.llm.fake import fake_chat_model

        return fake_chat_model(model[len(FAKE_PREFIX) :])
    return _openai_compatible(settings)


def _openai_compatible(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.llm_base_url and not settings.llm_api_key:
        raise ConfigError(
            f"no API key for the model {settings.llm_model!r}: set MODELPILOT_LLM_API_KEY "
            "or OPENAI_API_KEY, or MODELPILOT_LLM_BASE_URL for a local server"
        )
    options: dict[str, Any] = {
        "model": settings.llm_model or DEFAULT_LOCAL_MODEL,
        "api_key": settings.llm_api_key or PLACEHOLDER_API_KEY,
        "timeout": settings.llm_timeout_s,
        # A retry after a timeout would make the user wait twice as long for the same failure.
        "max_retries": 0,
        "max_completion_tokens": settings.llm_max_tokens,
    }
    if settings.llm_base_url:
        options["base_url"] = settings.llm_base_url
        # Some compatible servers read only the older `max_tokens`, so both are sent. A server
        # left to its default sampling temperature makes tool calls less repeatable.
        # NOTE: a gateway in front of OpenAI reasoning models may reject `max_tokens`.
        options["extra_body"] = {"max_tokens": settings.llm_max_tokens}
        options["temperature"] = 0.0
    return ChatOpenAI(**options)
