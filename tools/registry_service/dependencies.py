"""Reading package requirements out of a run's recorded environment."""

from __future__ import annotations

import re
from typing import Any

# The keys under which MLflow's python_env.yaml / conda.yaml, pip freeze dumps and our own
# trainers keep package lists.
_LIST_KEYS = ("dependencies", "packages", "requirements", "pip", "build_dependencies")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*?)\s*$")


def dependencies_from_environment(environment: dict[str, Any] | None) -> dict[str, str]:
    """Return ``{package: version spec}`` from a run environment of any common shape.

    A bare requirement such as ``numpy`` maps to an empty spec. When none of the known keys
    exist, top-level string values are taken as ``package: version``.
    """
    if not environment:
        return {}
    found: dict[str, str] = {}
    python = environment.get("python") or environment.get("python_version")
    if isinstance(python, str):
        found["python"] = python
    known = [environment[key] for key in _LIST_KEYS if key in environment]
    for value in known:
        found.update(_packages(value))
    if not known:
        found.update({k: v for k, v in environment.items() if isinstance(v, str)})
    return found


def _packages(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        if "pip" in value:
            return _packages(value["pip"])
        return {str(k): str(v) for k, v in value.items() if not isinstance(v, dict | list)}
    if isinstance(value, list):
        found: dict[str, str] = {}
        for item in value:
            found.update(_packages(item) if isinstance(item, dict | list) else _requirement(item))
        return found
    return {}


def _requirement(item: Any) -> dict[str, str]:
    match = _REQUIREMENT.match(str(item))
    if match is None:
        return {}
    name, spec = match.groups()
    # conda pins use a single '=' ("numpy=1.26"); keep the pin readable as '=='.
    if spec.startswith("=") and not spec.startswith("=="):
        spec = "=" + spec
    return {name: spec.removeprefix("==")}
