"""Login and refresh tokens: rotation, reuse detection revoking the family, expiry, logout."""

from __future__ import annotations

import pytest

from services.auth.secret_hash import secret_hash
from services.kit.errors import Unauthorized
from services.kit.tokens import JwksVerifier
from testkit.auth_users import PASSWORD, register


async def verifier(core) -> JwksVerifier:
    return JwksVerifier(await core.jwks(), issuer=core.settings.jwt_issuer, audience=core.settings.jwt_audience)


async def test_login_issues_verifiable_access_token(core):
    user = await register(core, role="coach")
    pair = await core.login(user.username, PASSWORD)
    assert pair.token_type == "bearer" and pair.expires_in == core.settings.access_token_ttl
    claims = (await verifier(core)).verify(pair.access_token)
    assert (claims["sub"], claims["username"], claims["role"]) == (user.id, user.username, "coach")


async def test_login_is_case_insensitive_on_username(core):
    user = await register(core)
    await core.login(user.username.upper(), PASSWORD)


async def test_wrong_password_and_unknown_user_get_the_same_error(core):
    user = await register(core)
    with pytest.raises(Unauthorized) as wrong:
        await core.login(user.username, "not the password")
    with pytest.raises(Unauthorized) as unknown:
        await core.login(user.username + "x", PASSWORD)
    assert wrong.value.to_dict() == unknown.value.to_dict()
    assert wrong.value.message == "Invalid username or password"


async def test_refresh_token_is_stored_hashed(core, pool):
    user = await register(core)
    pair = await core.login(user.username, PASSWORD)
    rows = await pool.fetch("SELECT t.token_hash FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                            "WHERE f.user_id = $1::uuid", user.id)
    assert [r["token_hash"] for r in rows] == [secret_hash(pair.refresh_token)]
    assert pair.refresh_token.encode() not in rows[0]["token_hash"]


async def test_rotation_and_reuse_revokes_the_family(core):
    user = await register(core)
    first = await core.login(user.username, PASSWORD)
    second = await core.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert (await verifier(core)).verify(second.access_token)["sub"] == user.id
    third = await core.refresh(second.refresh_token)
    # Replaying the spent first token: reuse detected ...
    with pytest.raises(Unauthorized) as err:
        await core.refresh(first.refresh_token)
    assert err.value.message == "Refresh token reuse detected; please log in again"
    # ... and the newest token of the family dies with it.
    with pytest.raises(Unauthorized):
        await core.refresh(third.refresh_token)


async def test_reuse_does_not_touch_other_sessions(core):
    user = await register(core)
    stolen = await core.login(user.username, PASSWORD)
    other = await core.login(user.username, PASSWORD)
    await core.refresh(stolen.refresh_token)
    with pytest.raises(Unauthorized):
        await core.refresh(stolen.refresh_token)
    await core.refresh(other.refresh_token)


async def test_expired_refresh_token_rejected(core, pool):
    user = await register(core)
    pair = await core.login(user.username, PASSWORD)
    await pool.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
                       secret_hash(pair.refresh_token))
    with pytest.raises(Unauthorized) as err:
        await core.refresh(pair.refresh_token)
    assert "expired" in err.value.message


async def test_unknown_refresh_token_rejected(core):
    for token in ("", "made-up-token"):
        with pytest.raises(Unauthorized):
            await core.refresh(token)


async def test_logout_revokes_the_family_and_is_idempotent(core):
    user = await register(core)
    pair = await core.login(user.username, PASSWORD)
    newer = await core.refresh(pair.refresh_token)
    await core.logout(pair.refresh_token)  # an older token of the family still identifies the session
    await core.logout(newer.refresh_token)  # already revoked: still a success
    with pytest.raises(Unauthorized):
        await core.refresh(newer.refresh_token)
    with pytest.raises(Unauthorized):
        await core.logout("never-issued")
