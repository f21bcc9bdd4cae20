"""Coach test fixtures: the real `coach` schema on the session's PostgreSQL, and unique coach ids."""

from __future__ import annotations

import uuid

import pytest

from services.coach.main import MIGRATIONS, SCHEMA
from services.coach.registry import CoachRegistry
from services.coach.store import CoachStore
from services.kit.context import Principal
from services.kit.db import open_pool


@pytest.fixture(scope="session")
async def coach_pool(base_settings):
    pool = await open_pool(base_settings, SCHEMA, MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
def store(coach_pool) -> CoachStore:
    return CoachStore(coach_pool)


@pytest.fixture
def registry(store) -> CoachRegistry:
    return CoachRegistry(store)


@pytest.fixture
def new_id():
    """Coach ids unique across tests (the database is shared by the whole session)."""
    return lambda prefix="c": f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_principal():
    """A verified caller of the given role, with a fresh user id unless one is given."""
    def make(role: str, user_id: str | None = None) -> Principal:
        user_id = user_id or f"u_{uuid.uuid4().hex[:8]}"
        return Principal(user_id=user_id, username=f"{role}_{user_id}", role=role, method="jwt")
    return make
