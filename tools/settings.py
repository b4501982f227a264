"""All settings in one object, read from ``MODELPILOT_*`` environment variables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.errors import ConfigError

DEFAULT_HOME = Path(".modelpilot")


class Settings(BaseSettings):
    """Workspace, store, LLM, Slack and governance settings."""

    model_config = SettingsConfigDict(env_prefix="MODELPILOT_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="Workspace folder.")
    store_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the store; default: a DuckDB file in home."
    )
    now: datetime | None = Field(default=None, description="Pinned 'now' (ISO 8601).")
    read_only: bool = Field(default=False, description="Remove every mutating tool.")
    user: str | None = Field(default=None, description="Acting user for the CLI.")
    lock_timeout_s: float = Field(
        default=30.0, description="Seconds to keep retrying while another process writes."
    )
    lock_hold_s: float = Field(
        default=0.25,
        description="Seconds an idle process keeps the store open before letting others in.",
    )

    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MODELPILOT_LLM_API_KEY", "OPENAI_API_KEY"),
    )
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 512
    llm_max_steps: int = 6
    llm_routing: Literal["hybrid", "llm"] = Field(
        default="hybrid",
        description=(
            "hybrid: the rules planner answers what it maps with confidence and the LLM the "
            "rest; llm: the LLM plans every request but the replies to a pending change."
        ),
    )
    llm_max_tools: int | None = Field(
        default=None,
        description="Bind at most this many tools per request; small local models need ~8.",
    )

    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "MODELPILOT_SLACK_BOT_TOKEN")
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "MODELPILOT_SLACK_APP_TOKEN")
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "MODELPILOT_SLACK_SIGNING_SECRET"),
    )
    slack_alert_channel: str | None = None
    slack_api_url: str | None = Field(
        default=None, description="Slack Web API base URL; tests point it at a local stub."
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model or self.llm_base_url)

    @property
    def resolved_store_url(self) -> str:
        if self.store_url:
            return self.store_url
        return f"duckdb:///{(self.home / 'store.duckdb').resolve()}"

    @property
    def knowledge_dir(self) -> Path:
        return self.home / "knowledge"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"


def get_settings() -> Settings:
    """Read the settings from the environment now; cheap, so never cached.

    An invalid value raises ConfigError with one line naming the variable, not pydantic's
    multi-line report.
    """
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        variable = f"MODELPILOT_{field.upper()}"
        raise ConfigError(
            f"invalid {variable}={error.get('input')!r}: {error['msg']}; fix or unset {variable}"
        ) from exc
