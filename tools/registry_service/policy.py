"""The workspace's registry policy, read from ``policy.yaml`` in the workspace folder.

The file is optional; every key falls back to the default below. Example::

    # Aliases that need the approver role to move or remove.
    protected_aliases: [production, champion, prod]
    # Moving one of these aliases also deploys the version to the named environment.
    alias_environments: {production: production, staging: staging}
    promotion:
      # Admission checklist items that must pass before a promotion request is accepted:
      # model_card, evaluation_metrics, lineage, dependencies.
      required_checks: [model_card, evaluation_metrics]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.errors import ConfigError
from tools.settings import Settings

POLICY_FILE = "policy.yaml"
DEFAULT_PROTECTED_ALIASES = ("production", "champion", "prod")
DEFAULT_ALIAS_ENVIRONMENTS = {"production": "production", "staging": "staging"}
CHECK_NAMES = ("model_card", "evaluation_metrics", "lineage", "dependencies")


@dataclass(frozen=True)
class RegistryPolicy:
    """Protected aliases, alias-to-environment mapping and required admission checks."""

    protected_aliases: tuple[str, ...] = DEFAULT_PROTECTED_ALIASES
    alias_environments: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_ALIAS_ENVIRONMENTS)
    )
    # Empty by default: the checklist is always computed and shown, but rejects no request
    # until a workspace opts in.
    required_checks: tuple[str, ...] = ()

    def is_protected(self, alias: str) -> bool:
        return alias.casefold() in self.protected_aliases

    def environment_of(self, alias: str) -> str | None:
        """Return the environment that moving ``alias`` deploys to, if any."""
        return self.alias_environments.get(alias.casefold())


def policy_path(settings: Settings) -> Path:
    return settings.home / POLICY_FILE


def load_policy(settings: Settings) -> RegistryPolicy:
    """Read the workspace policy; a missing file gives the defaults."""
    path = policy_path(settings)
    if not path.is_file():
        return RegistryPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in {path}: {exc}; fix or remove the file") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of settings; fix or remove the file")
    return _policy_from_mapping(raw, path)


def _policy_from_mapping(raw: dict[str, Any], path: Path) -> RegistryPolicy:
    protected = raw.get("protected_aliases", list(DEFAULT_PROTECTED_ALIASES))
    environments = raw.get("alias_environments", DEFAULT_ALIAS_ENVIRONMENTS)
    promotion = raw.get("promotion") or {}
    required = promotion.get("required_checks", []) if isinstance(promotion, dict) else None
    if not isinstance(protected, list) or not all(isinstance(a, str) for a in protected):
        raise ConfigError(f"protected_aliases in {path} must be a list of alias names")
    if not isinstance(environments, dict):
        raise ConfigError(f"alias_environments in {path} must map aliases to environments")
    if not isinstance(required, list):
        raise ConfigError(f"promotion.required_checks in {path} must be a list of check names")
    unknown = [name for name in required if name not in CHECK_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown check {unknown[0]!r} in {path}; use some of: {', '.join(CHECK_NAMES)}"
        )
    return RegistryPolicy(
        protected_aliases=tuple(a.casefold() for a in protected),
        alias_environments={str(k).casefold(): str(v) for k, v in environments.items()},
        required_checks=tuple(required),
    )
