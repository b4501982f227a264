"""The one tool registry that the planners, the LLM binding, the channels and the docs read.

A tool is a plain function ``fn(ctx, args) -> result`` where ``args`` is a pydantic model and
``result`` a pydantic model; its docstring is the description the LLM reads. Mutating tools
also give a ``plan`` function that describes the change before it runs, so governance can ask
for confirmation.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_type_hints

from pydantic import BaseModel
from sqlmodel import Session

from tools.errors import NotFoundError
from tools.settings import Settings
from tools.store.db import Store

Role = Literal["viewer", "editor", "approver", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "approver", "admin")
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def role_allows(role: str, required: str) -> bool:
    """Return whether ``role`` is at least ``required`` in viewer < editor < approver < admin."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


@dataclass(frozen=True)
class ChangePlan:
    """What a mutating call will change, and a fingerprint of the state it was planned on."""

    summary: str
    fingerprint: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolContext:
    """Who is calling, from where, and the store; ``session`` is set inside a mutation."""

    store: Store
    settings: Settings
    user: str
    role: Role
    channel: str
    session: Session | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)


ToolFunction = Callable[[ToolContext, Any], BaseModel]
PlanFunction = Callable[[ToolContext, Any], ChangePlan]
RoleRule = Role | Callable[[Any], Role]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    category: str
    args_model: type[BaseModel]
    result_model: type[BaseModel]
    run: ToolFunction
    mutating: bool = False
    role: RoleRule = "viewer"
    plan: PlanFunction | None = None
    examples: tuple[str, ...] = ()

    def required_role(self, args: BaseModel) -> Role:
        return self.role(args) if callable(self.role) else self.role

    @property
    def summary(self) -> str:
        """The first line of the description, for tables and menus."""
        return self.description.strip().splitlines()[0]

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()


class ToolRegistry:
    """All tools by name; the catalogue modules are imported on first use."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self._loaded = False

    def register(self, tool: Tool) -> Tool:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is registered twice")
        if tool.mutating and tool.plan is None:
            raise ValueError(f"mutating tool {tool.name!r} needs a plan function")
        self._tools[tool.name] = tool
        return tool

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        import tools.catalog

        for info in sorted(pkgutil.iter_modules(tools.catalog.__path__), key=lambda m: m.name):
            importlib.import_module(f"tools.catalog.{info.name}")

    def all(self, *, read_only: bool = False) -> list[Tool]:
        """Return every tool, or only the read-only ones when the workspace is read-only."""
        self._load()
        tools = sorted(self._tools.values(), key=lambda t: (t.category, t.name))
        return [t for t in tools if not (read_only and t.mutating)]

    def get(self, name: str, *, read_only: bool = False) -> Tool:
        self._load()
        tool = self._tools.get(name)
        if tool is None or (read_only and tool.mutating):
            known = ", ".join(t.name for t in self.all(read_only=read_only))
            raise NotFoundError(f"no tool named {name!r}; available tools: {known}")
        return tool

    def names(self, *, read_only: bool = False) -> list[str]:
        return [t.name for t in self.all(read_only=read_only)]


REGISTRY = ToolRegistry()

F = TypeVar("F", bound=Callable[..., BaseModel])


def tool(
    *,
    category: str,
    name: str | None = None,
    mutating: bool = False,
    role: RoleRule = "viewer",
    plan: PlanFunction | None = None,
    examples: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Register ``fn(ctx, args) -> result`` as a tool; its docstring is what the LLM reads."""

    def decorate(fn: F) -> F:
        hints = get_type_hints(fn)
        parameters = list(inspect.signature(fn).parameters)
        args_model = hints[parameters[1]]
        REGISTRY.register(
            Tool(
                name=name or fn.__name__,
                description=inspect.cleandoc(fn.__doc__ or ""),
                category=category,
                args_model=args_model,
                result_model=hints["return"],
                run=fn,
                mutating=mutating,
                role=role,
                plan=plan,
                examples=examples,
            )
        )
        return fn

    return decorate
