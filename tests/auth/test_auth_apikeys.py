"""API keys: shown once, hashed at rest, owner-only listing and revocation, static operator keys."""

from __future__ import annotations

import hashlib

import pytest

from services.kit.context import Principal
from services.kit.errors import InvalidRequest, NotFound, Unauthorized
from testkit.auth_users import register


def me(user) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=user.role, method="jwt")


async def test_create_verify_and_hashed_at_rest(core, pool):
    user = await register(core, role="coach")
    row, key = await core.create_api_key(me(user), "ci")
    kf, prefix, secret = key.split("_", 2)
    assert kf == "kf" and prefix == row.prefix and len(prefix) == 8 and len(secret) >= 43
    stored = await pool.fetchrow("SELECT * FROM api_keys WHERE id = $1::uuid", row.id)
    for value in stored.values():
        assert secret not in str(value) and key not in str(value)
        if isinstance(value, bytes):
            assert secret.encode() not in value
    assert stored["key_hash"] == hashlib.sha256(key.encode()).digest()
    assert stored["last_used_at"] is None
    principal = await core.verify_api_key(key)
    assert principal == Principal(user_id=user.id, username=user.username, role="coach", method="api_key")
    assert await pool.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1::uuid", row.id) is not None


async def test_wrong_secret_with_right_prefix_rejected(core):
    user = await register(core)
    _, key = await core.create_api_key(me(user), "k")
    for bad in (key[:-1] + ("A" if key[-1] != "A" else "B"), "kf_deadbeef_nothing", "random", ""):
        with pytest.raises(Unauthorized) as err:
            await core.verify_api_key(bad)
        assert err.value.message == "Invalid or revoked API key"


async def test_list_shows_own_keys_only(core):
    alice, bob = await register(core), await register(core)
    await core.create_api_key(me(alice), "one")
    await core.create_api_key(me(alice), "two")
    await core.create_api_key(me(bob), "bob's")
    assert [k.name for k in await core.list_api_keys(me(alice))] == ["one", "two"]
    assert [k.name for k in await core.list_api_keys(me(bob))] == ["bob's"]


async def test_revoke_own_only_admin_any_and_revoked_rejected(core, pool):
    alice, bob = await register(core), await register(core)
    row, key = await core.create_api_key(me(alice), "alice key")
    with pytest.raises(NotFound):
        await core.revoke_api_key(me(bob), row.id)
    with pytest.raises(NotFound):
        await core.revoke_api_key(me(bob), "not-a-uuid")
    await core.verify_api_key(key)
    await core.revoke_api_key(me(alice), row.id)
    await core.revoke_api_key(me(alice), row.id)  # idempotent
    with pytest.raises(Unauthorized):
        await core.verify_api_key(key)
    assert [k.revoked for k in await core.list_api_keys(me(alice))] == [True]

    row2, key2 = await core.create_api_key(me(bob), "bob key")
    admin = Principal(user_id="00000000-0000-0000-0000-000000000000", username="root", role="admin", method="jwt")
    await core.revoke_api_key(admin, row2.id)
    with pytest.raises(Unauthorized):
        await core.verify_api_key(key2)


async def test_me_rules_for_api_keys(core):
    with pytest.raises(Unauthorized):
        await core.create_api_key(None, "x")
    with pytest.raises(Unauthorized):
        await core.list_api_keys(None)
    with pytest.raises(Unauthorized):
        await core.revoke_api_key(None, "x")
    user = await register(core)
    with pytest.raises(InvalidRequest):
        await core.create_api_key(me(user), "   ")


async def test_static_operator_keys(core):
    principal = await core.verify_api_key("static-operator-key-2")
    digest = hashlib.sha256(b"static-operator-key-2").hexdigest()[:8]
    assert principal == Principal(user_id=f"static-key-{digest}", username="api-key", role="admin",
                                  method="static_api_key")
    with pytest.raises(Unauthorized):
        await core.verify_api_key("static-operator-key-3")
