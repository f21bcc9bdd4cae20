"""Signing keys: persisted in the auth schema, one active key even when replicas start together."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.auth import keys
from services.kit import db


@pytest.fixture
async def scratch_pool(base_settings):
    """A throwaway schema with the auth migrations, for first-start behaviour on an empty table."""
    schema = "auth_scratch_keys"
    pool = await db.open_pool(base_settings, schema, "services.auth.migrations")
    yield pool
    await pool.close()
    conn = await asyncpg.connect(base_settings.database_url)
    await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    await conn.close()


async def test_concurrent_first_starts_create_one_key(scratch_pool):
    got = await asyncio.gather(*(keys.ensure_active(scratch_pool) for _ in range(6)))
    assert len({k.kid for k in got}) == 1
    assert await scratch_pool.fetchval("SELECT count(*) FROM signing_keys") == 1
    assert got[0].private_key.key_size >= 2048


async def test_key_is_persisted_and_reused(scratch_pool):
    first = await keys.ensure_active(scratch_pool)
    again = await keys.Keyring(scratch_pool).active()  # a "restarted replica" reads the same key
    assert again.kid == first.kid and again.n == first.n
    assert first.kid == keys.thumbprint(first.n, first.e)


async def test_rotation_keeps_old_key_published_for_a_while(scratch_pool):
    old = await keys.ensure_active(scratch_pool)
    new = await keys.rotate(scratch_pool)
    assert new.kid != old.kid
    assert (await keys.ensure_active(scratch_pool)).kid == new.kid
    published = [k["kid"] for k in await keys.public_jwks(scratch_pool, 900)]
    assert published == [new.kid, old.kid]
    await scratch_pool.execute("UPDATE signing_keys SET retired_at = now() - interval '1 hour' WHERE kid = $1",
                               old.kid)
    assert [k["kid"] for k in await keys.public_jwks(scratch_pool, 900)] == [new.kid]


async def test_jwks_shape(core):
    jwks = await core.jwks()
    assert jwks, "the active key is published"
    for jwk in jwks:
        assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["alg"] == "RS256"
        assert jwk["e"] == "AQAB" and "=" not in jwk["n"] and "+" not in jwk["n"] and "/" not in jwk["n"]
