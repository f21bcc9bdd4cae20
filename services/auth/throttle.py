"""Per-account login throttle in PostgreSQL, shared by all replicas.

A window opens at an account's first failure and lasts settings.login_lockout_seconds; once
settings.login_max_failures failures fall in it, every attempt is refused until the window ends.
Unknown usernames are counted exactly like real ones, so the lock does not reveal which exist."""

from __future__ import annotations

import hashlib
import math
from typing import Awaitable, Callable

import asyncpg

from services.kit.config import Settings
from services.kit.errors import RateLimited

KEY_CHARS = 64  # real usernames are at most 32; longer input is bounded before it is stored


def key_of(username: str) -> str:
    return username.strip().lower()[:KEY_CHARS]


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"kataforge:auth:login:{key}".encode()).digest()[:8], "big", signed=True)


async def guarded(pool: asyncpg.Pool, username: str, settings: Settings,
                  attempt: Callable[[], Awaitable[bool]]) -> bool:
    """Run `attempt` (a password check) unless the account is locked; record its outcome.

    Attempts on one account are serialised by a transaction-scoped advisory lock, so a burst of
    parallel guesses cannot all slip in before the failures are counted."""
    key = key_of(username)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_id(key))
        # Time is read from the database clock only, so replicas with skewed clocks agree.
        row = await conn.fetchrow(
            "SELECT failures, extract(epoch FROM window_start + make_interval(secs => $2) - now())::float8 AS left_s "
            "FROM login_throttle WHERE username_key = $1", key, float(settings.login_lockout_seconds))
        if row is not None:
            left = row["left_s"]
            if left > 0 and row["failures"] >= settings.login_max_failures:
                raise RateLimited("Too many failed login attempts; try again later",
                                  limit=settings.login_max_failures, window=settings.login_lockout_seconds,
                                  retry_after=math.ceil(left))
        ok = await attempt()
        if ok:
            await conn.execute("DELETE FROM login_throttle WHERE username_key = $1", key)
        else:
            await conn.execute(
                """INSERT INTO login_throttle AS t (username_key, failures, window_start) VALUES ($1, 1, now())
                   ON CONFLICT (username_key) DO UPDATE SET
                     failures = CASE WHEN t.window_start <= now() - make_interval(secs => $2) THEN 1
                                     ELSE t.failures + 1 END,
                     window_start = CASE WHEN t.window_start <= now() - make_interval(secs => $2) THEN now()
                                         ELSE t.window_start END""",
                key, float(settings.login_lockout_seconds))
        return ok


async def prune(pool: asyncpg.Pool, settings: Settings) -> int:
    """Drop rows whose window has ended (guesses at made-up usernames would otherwise pile up)."""
    status = await pool.execute("DELETE FROM login_throttle WHERE window_start <= now() - make_interval(secs => $1)",
                                float(settings.login_lockout_seconds))
    return int(status.split()[-1])
