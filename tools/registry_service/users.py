"""Users and roles, including the bootstrap of a workspace's first admin."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from tools.clock import now
from tools.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from tools.registry_service.fingerprint import fingerprint
from tools.registry_service.views import UserView
from tools.resolve import not_found
from tools.store.schema import User
from tools.tool_registry import Role

_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


def user_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(User)).one())


def view_user(row: User) -> UserView:
    return UserView(
        name=row.name,
        role=row.role,
        known=True,
        display_name=row.display_name,
        slack_user_id=row.slack_user_id,
        created_at=row.created_at,
    )


def describe_user(session: Session, name: str) -> UserView:
    """Return the user's stored role, or the viewer role for a user the store does not list."""
    row = session.get(User, name)
    if row is None:
        return UserView(name=name, role="viewer", known=False)
    return view_user(row)


def list_users(session: Session) -> list[UserView]:
    return [view_user(row) for row in session.exec(select(User).order_by(col(User.name))).all()]


@dataclass(frozen=True)
class UserChange:
    """A planned new user or role change."""

    name: str
    role: Role
    previous_role: str | None
    slack_user_id: str | None
    bootstrap: bool
    state: list[object] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.previous_role is not None:
            return f"role of {self.name}: {self.previous_role} → {self.role}"
        text = f"add user {self.name} ({self.role})"
        if self.slack_user_id:
            text += f" with Slack id {self.slack_user_id}"
        if self.bootstrap:
            text += "; first user of this workspace"
        return text

    @property
    def fingerprint(self) -> str:
        return fingerprint("user", self.name, self.role, self.slack_user_id, self.state)


def plan_add_user(
    session: Session, name: str, role: Role, slack_user_id: str | None, acting_role: Role
) -> UserChange:
    """Check a new user; with no users yet anyone may add the first one, who must be admin."""
    if not _USER_NAME.match(name):
        raise InvalidInputError(
            f"invalid user name {name!r}; use letters, digits and . _ @ + - (at most 64)"
        )
    existing = session.get(User, name)
    if existing is not None:
        raise InvalidInputError(
            f"user {name!r} already exists ({existing.role}); change the role with set_role"
        )
    count = user_count(session)
    bootstrap = count == 0
    if bootstrap and role != "admin":
        raise InvalidInputError(
            f"the first user of a workspace must be an admin, not {role!r}; add {name} as admin"
        )
    if not bootstrap and acting_role != "admin":
        raise PermissionDeniedError(
            f"add_user needs the admin role, not {acting_role}; ask an admin to add {name}"
        )
    if slack_user_id:
        owner = session.exec(select(User.name).where(User.slack_user_id == slack_user_id)).first()
        if owner is not None:
            raise InvalidInputError(f"Slack id {slack_user_id!r} already belongs to {owner}")
    return UserChange(name, role, None, slack_user_id, bootstrap, [count])


def apply_add_user(session: Session, plan: UserChange) -> User:
    row = User(name=plan.name, role=plan.role, slack_user_id=plan.slack_user_id, created_at=now())
    session.add(row)
    return row


def plan_set_role(session: Session, name: str, role: Role) -> UserChange:
    """Check a role change; the last admin cannot be demoted, so the workspace keeps one."""
    row = session.get(User, name)
    if row is None:
        names = list(session.exec(select(User.name)).all())
        raise not_found("user", name, names, "add them with add_user")
    if row.role == role:
        raise InvalidInputError(f"{name} already has the {role} role; nothing to change")
    admins = int(
        session.exec(select(func.count()).select_from(User).where(User.role == "admin")).one()
    )
    if row.role == "admin" and admins == 1:
        raise InvalidInputError(
            f"{name} is the only admin; make another user admin before changing {name}'s role"
        )
    return UserChange(name, role, row.role, row.slack_user_id, False, [row.role, admins])


def apply_set_role(session: Session, plan: UserChange) -> User:
    row = session.get(User, plan.name)
    if row is None:
        raise NotFoundError(f"user {plan.name!r} disappeared; request the change again")
    row.role = plan.role
    session.add(row)
    return row
