"""Auth users for the auth service's tests: fresh usernames and registered accounts."""

from __future__ import annotations

import uuid

from services.auth.core import AuthCore
from services.auth.users import User

PASSWORD = "correct horse battery"


def unique(stem: str = "u") -> str:
    """A username no other test uses (3-32 chars)."""
    return f"{stem}_{uuid.uuid4().hex[:10]}"


async def register(core: AuthCore, *, role: str = "student", password: str = PASSWORD) -> User:
    name = unique()
    return await core.register(name, f"{name}@example.com", password, "Test User", role)
