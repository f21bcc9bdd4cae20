"""Administrators: create_admin (CLI) is idempotent and promotes; start-up bootstrap only creates."""

from __future__ import annotations

import pytest

from services.auth import admin, users
from services.kit.config import replace
from services.kit.errors import InvalidRequest
from testkit.auth_users import PASSWORD, register, unique


async def test_create_admin_creates_then_is_idempotent(core, base_settings, pool):
    name = unique("root")
    user_id = await admin.create_admin(base_settings, name, "admin password 1")
    again = await admin.create_admin(base_settings, name, "admin password 2", email=f"{name}@example.com")
    assert again == user_id
    user = await users.by_id(pool, user_id)
    assert user.role == "admin" and user.email == f"{name}@example.com"
    pair = await core.login(name, "admin password 2")
    assert pair.access_token


async def test_create_admin_promotes_an_existing_user(core, base_settings, pool):
    student = await register(core)
    assert await admin.create_admin(base_settings, student.username, "promoted password") == student.id
    assert (await users.by_id(pool, student.id)).role == "admin"


async def test_create_admin_validates(base_settings):
    with pytest.raises(InvalidRequest):
        await admin.create_admin(base_settings, "x", PASSWORD)
    with pytest.raises(InvalidRequest):
        await admin.create_admin(base_settings, unique(), "short")


async def test_bootstrap_creates_once_and_leaves_existing_alone(core, base_settings, pool):
    name = unique("boot")
    settings = replace(base_settings, admin_username=name, admin_password="bootstrap password")
    user_id = await admin.bootstrap(pool, settings)
    assert (await users.by_id(pool, user_id)).role == "admin"
    # A restart with another DOJO_ADMIN_PASSWORD must not reset the existing admin's password.
    changed = replace(settings, admin_password="a different one")
    assert await admin.bootstrap(pool, changed) == user_id
    await core.login(name, "bootstrap password")
    assert await admin.bootstrap(pool, replace(base_settings, admin_username="", admin_password="")) is None
