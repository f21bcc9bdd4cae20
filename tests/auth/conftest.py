"""Auth fixtures: the real auth schema in the session's PostgreSQL and a core over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.auth import admin
from services.auth.core import AuthCore
from services.auth.mailer import OutboxMailer
from services.kit import db
from services.kit.config import Settings, replace


@pytest.fixture(scope="session")
async def pool(base_settings):
    pool = await db.open_pool(base_settings, "auth", admin.MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
def outbox(tmp_path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def auth_settings(base_settings) -> Settings:
    return replace(base_settings, api_keys=("static-operator-key-1", "static-operator-key-2"))


@pytest.fixture
def core(pool, auth_settings, outbox) -> AuthCore:
    return AuthCore.create(pool, auth_settings, OutboxMailer(outbox))
