"""Who is acting in the command line: MODELPILOT_USER, else the operating-system login."""

from __future__ import annotations

import getpass

from tools.settings import Settings


def cli_user(settings: Settings, override: str | None = None) -> str:
    if override:
        return override
    if settings.user:
        return settings.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
