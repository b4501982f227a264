"""The demo's team: one user per role."""

from __future__ import annotations

from tools.store.db import Store
from tools.store.schema import User

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("alice", "admin", "Alice (ML platform lead)"),
    ("bob", "approver", "Bob (vision and fraud owner)"),
    ("carol", "editor", "Carol (data scientist)"),
    ("dave", "viewer", "Dave (product manager)"),
)


def seed_users(store: Store) -> str:
    """Create the demo users that do not exist yet; return their names."""
    with store.session() as session:
        for name, role, display in DEMO_USERS:
            if session.get(User, name) is None:
                session.add(User(name=name, role=role, display_name=display))
    return ", ".join(f"{name} ({role})" for name, role, _ in DEMO_USERS)
