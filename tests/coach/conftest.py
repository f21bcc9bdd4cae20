"""Coach test fixtures: the real `coach` schema on the session's PostgreSQL, unique coach ids, and a real
pose service for video references."""

from __future__ import annotations

import uuid

import pytest

from services.coach.main import MIGRATIONS, SCHEMA
from services.coach.reference_store import ReferenceStore
from services.coach.references import ReferenceLibrary
from services.coach.registry import CoachRegistry
from services.coach.store import CoachStore
from services.kit.config import replace
from services.kit.context import Principal
from services.kit.db import open_pool
from testkit.loopback import free_port


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
def library(coach_pool, base_settings) -> ReferenceLibrary:
    """References over the real database; no pose service (pose-sequence sources only)."""
    return ReferenceLibrary(CoachStore(coach_pool), ReferenceStore(coach_pool), None,
                            max_video_bytes=base_settings.max_request_size)


@pytest.fixture(scope="module")
async def video_settings(base_settings, start_service):
    """A real pose service (MediaPipe) for the module, on ports of its own so that it never meets the
    integration suite's system; yields settings whose pose_addr and coach_addr are those ports."""
    from services.pose.main import build

    settings = replace(base_settings, pose_addr=f"127.0.0.1:{free_port()}", coach_addr=f"127.0.0.1:{free_port()}")
    pose = await start_service(build(settings), settings)
    yield settings
    await pose.stop()


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
