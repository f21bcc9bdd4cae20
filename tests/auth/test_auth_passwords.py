"""Password hashing: argon2id at OWASP cost, rules, rehash on login, no user-existence oracle."""

from __future__ import annotations

import argon2
import pytest

from services.auth import passwords, users
from services.kit.errors import InvalidRequest
from testkit.auth_users import PASSWORD, register


def test_hash_is_argon2id_at_owasp_cost_or_stronger():
    params = argon2.extract_parameters(passwords.hash_password_sync("a password"))
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19456 and params.time_cost >= 2 and params.parallelism >= 1
    assert params.salt_len >= 16


def test_same_password_gives_different_hashes_and_verifies():
    a, b = passwords.hash_password_sync("a password"), passwords.hash_password_sync("a password")
    assert a != b
    assert passwords.verify_sync(a, "a password") and not passwords.verify_sync(a, "another one")
    assert not passwords.verify_sync("not a hash", "a password")


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_length_rules(password):
    with pytest.raises(InvalidRequest) as err:
        passwords.validate(password)
    assert "password" in err.value.details


async def test_unknown_user_costs_a_verification():
    # Same code path as a real mismatch: returns False after spending an argon2 verification.
    assert await passwords.verify(None, "anything at all") is False
    assert await passwords.verify(None, "y" * 10_000) is False


async def test_weak_hash_is_upgraded_at_login(core, pool):
    user = await register(core)
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await users.update(pool, user.id, password_hash=weak)
    assert passwords.needs_rehash(weak)
    await core.login(user.username, PASSWORD)
    stored = (await users.by_id(pool, user.id)).password_hash
    assert stored != weak and not passwords.needs_rehash(stored)
    assert argon2.extract_parameters(stored).memory_cost == passwords.MEMORY_COST_KIB
