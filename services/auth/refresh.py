"""Refresh tokens: opaque, stored hashed, rotated on every use, with reuse revoking the family.

Tokens are secrets.token_urlsafe(32): 256 random bits, which no one can brute-force, so a fast
SHA-256 is enough to keep them useless if the table leaks (a slow hash like argon2 only helps
low-entropy passwords) and it keeps lookup a single indexed equality."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from services.auth.secret_hash import secret_hash
from services.kit.errors import Unauthorized

REUSE_MESSAGE = "Refresh token reuse detected; please log in again"



@dataclass(frozen=True)
class Rotated:
    user_id: str
    token: str


async def _insert(conn: asyncpg.Connection, family_id: uuid.UUID, ttl_seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute("INSERT INTO refresh_tokens (token_hash, family_id, expires_at) "
                       "VALUES ($1, $2, now() + make_interval(secs => $3))",
                       secret_hash(token), family_id, float(ttl_seconds))
    return token


async def start_family(pool: asyncpg.Pool, user_id: str, ttl_seconds: int) -> str:
    """A new session (login): a new family and its first token."""
    async with pool.acquire() as conn, conn.transaction():
        family_id = await conn.fetchval("INSERT INTO refresh_families (user_id) VALUES ($1) RETURNING id",
                                        uuid.UUID(user_id))
        return await _insert(conn, family_id, ttl_seconds)


async def rotate(pool: asyncpg.Pool, token: str, ttl_seconds: int) -> Rotated:
    """Spend the token and issue its successor in the same family.

    A token presented twice means it was copied: whoever holds the newer token may be the thief,
    so the whole family is revoked and both parties must log in again."""
    reused = False
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT t.family_id, t.used_at, t.expires_at <= now() AS expired, f.revoked_at, f.user_id
               FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
               WHERE t.token_hash = $1 FOR UPDATE OF t, f""", secret_hash(token))
        if row is None:
            raise Unauthorized("Invalid refresh token")
        if row["revoked_at"] is not None:
            raise Unauthorized("Refresh token has been revoked; please log in again")
        if row["used_at"] is not None:
            await revoke_family(conn, row["family_id"], "reuse")
            reused = True
        elif row["expired"]:
            raise Unauthorized("Refresh token expired; please log in again")
        else:
            await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", secret_hash(token))
            new = await _insert(conn, row["family_id"], ttl_seconds)
    if reused:  # raised after the commit, so the revocation sticks
        raise Unauthorized(REUSE_MESSAGE)
    return Rotated(user_id=str(row["user_id"]), token=new)


async def revoke_family(conn: asyncpg.Connection | asyncpg.Pool, family_id: uuid.UUID, reason: str) -> None:
    await conn.execute("UPDATE refresh_families SET revoked_at = now(), revoke_reason = $2 "
                       "WHERE id = $1 AND revoked_at IS NULL", family_id, reason)


async def logout(pool: asyncpg.Pool, token: str) -> None:
    """Revoke the session the token belongs to (idempotent); unknown tokens are Unauthorized."""
    family_id = await pool.fetchval("SELECT family_id FROM refresh_tokens WHERE token_hash = $1", secret_hash(token))
    if family_id is None:
        raise Unauthorized("Invalid refresh token")
    await revoke_family(pool, family_id, "logout")


async def revoke_user(conn: asyncpg.Connection | asyncpg.Pool, user_id: str, reason: str) -> int:
    """Revoke every live session of a user (after a password change or reset)."""
    status = await conn.execute("UPDATE refresh_families SET revoked_at = now(), revoke_reason = $2 "
                                "WHERE user_id = $1 AND revoked_at IS NULL", uuid.UUID(user_id), reason)
    return int(status.split()[-1])
