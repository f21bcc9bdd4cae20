"""Registration rules and the profile ("me") operations."""

from __future__ import annotations

import pytest

from services.kit.context import Principal
from services.kit.errors import Conflict, Forbidden, InvalidRequest, Unauthorized
from testkit.auth_users import PASSWORD, register, unique


def me(user) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=user.role, method="jwt")


async def test_register_defaults_to_student(core):
    name = unique()
    user = await core.register(name, f"{name}@example.com", PASSWORD, "Aiko", "")
    assert (user.username, user.role, user.full_name) == (name, "student", "Aiko")
    coach = await register(core, role="coach")
    assert coach.role == "coach"


@pytest.mark.parametrize("username,email,password,role,field", [
    ("ab", "a@example.com", PASSWORD, "student", "username"),
    ("x" * 33, "a@example.com", PASSWORD, "student", "username"),
    ("bad name", "a@example.com", PASSWORD, "student", "username"),
    ("okname", "not-an-email", PASSWORD, "student", "email"),
    ("okname", "a@example.com", "short", "student", "password"),
    ("okname", "a@example.com", PASSWORD, "admin", "role"),
    ("okname", "a@example.com", PASSWORD, "sensei", "role"),
])
async def test_register_rejects_bad_fields(core, username, email, password, role, field):
    with pytest.raises(InvalidRequest) as err:
        await core.register(username, email, password, "", role)
    assert field in err.value.details


async def test_duplicates_conflict(core):
    user = await register(core)
    with pytest.raises(Conflict) as err:
        await core.register(user.username.upper(), f"{unique()}@example.com", PASSWORD, "", "")
    assert "username" in err.value.details
    with pytest.raises(Conflict) as err:
        await core.register(unique(), user.email.upper(), PASSWORD, "", "")
    assert "email" in err.value.details


async def test_profile_needs_a_user_principal(core):
    with pytest.raises(Unauthorized):
        await core.profile(None)
    with pytest.raises(Forbidden):
        await core.profile(Principal("static-key-abcd1234", "api-key", "admin", "static_api_key"))
    user = await register(core)
    assert (await core.profile(me(user))).id == user.id


async def test_update_email_and_name(core):
    user = await register(core)
    new_email = f"{unique()}@example.org"
    updated = await core.update_profile(me(user), email=new_email, full_name="New Name", password=None,
                                        current_password=None)
    assert (updated.email, updated.full_name) == (new_email, "New Name")
    assert updated.updated_at >= user.updated_at
    with pytest.raises(InvalidRequest):
        await core.update_profile(me(user), email="bad", full_name=None, password=None, current_password=None)


async def test_password_change_needs_current_password_and_revokes_sessions(core):
    user = await register(core)
    session = await core.login(user.username, PASSWORD)
    with pytest.raises(InvalidRequest) as err:
        await core.update_profile(me(user), email=None, full_name=None, password="brand new pass",
                                  current_password=None)
    assert "current_password" in err.value.details
    with pytest.raises(Unauthorized):
        await core.update_profile(me(user), email=None, full_name=None, password="brand new pass",
                                  current_password="wrong password")
    await core.update_profile(me(user), email=None, full_name=None, password="brand new pass",
                              current_password=PASSWORD)
    with pytest.raises(Unauthorized):
        await core.refresh(session.refresh_token)
    with pytest.raises(Unauthorized):
        await core.login(user.username, PASSWORD)
    await core.login(user.username, "brand new pass")
