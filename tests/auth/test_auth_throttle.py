"""Login throttle: lock after N failures in the window, for known and unknown names; success resets."""

from __future__ import annotations

import asyncio

import pytest

from services.auth import throttle
from services.auth.core import AuthCore
from services.auth.mailer import OutboxMailer
from services.kit.config import replace
from services.kit.errors import RateLimited, Unauthorized
from testkit.auth_users import PASSWORD, register, unique

MAX_FAILURES = 3
WINDOW = 600


@pytest.fixture
def strict(pool, auth_settings, outbox) -> AuthCore:
    settings = replace(auth_settings, login_max_failures=MAX_FAILURES, login_lockout_seconds=WINDOW)
    return AuthCore.create(pool, settings, OutboxMailer(outbox))


async def fail(core: AuthCore, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            await core.login(username, "wrong password")


async def test_locks_after_max_failures_even_with_the_right_password(strict):
    user = await register(strict)
    await fail(strict, user.username, MAX_FAILURES)
    with pytest.raises(RateLimited) as err:
        await strict.login(user.username, PASSWORD)
    body = err.value.to_dict()
    assert body["limit"] == MAX_FAILURES and body["window"] == WINDOW
    assert 0 < body["retry_after"] <= WINDOW


async def test_unknown_usernames_lock_the_same_way(strict):
    ghost = unique("ghost")
    await fail(strict, ghost, MAX_FAILURES)
    with pytest.raises(RateLimited):
        await strict.login(ghost, PASSWORD)


async def test_success_resets_the_count(strict, pool):
    user = await register(strict)
    await fail(strict, user.username, MAX_FAILURES - 1)
    await strict.login(user.username, PASSWORD)
    assert await pool.fetchval("SELECT count(*) FROM login_throttle WHERE username_key = $1",
                               throttle.key_of(user.username)) == 0
    await fail(strict, user.username, MAX_FAILURES - 1)
    await strict.login(user.username, PASSWORD)


async def test_lock_ends_with_the_window(strict, pool):
    user = await register(strict)
    await fail(strict, user.username, MAX_FAILURES)
    await pool.execute("UPDATE login_throttle SET window_start = now() - make_interval(secs => $2) "
                       "WHERE username_key = $1", throttle.key_of(user.username), float(WINDOW + 1))
    await strict.login(user.username, PASSWORD)


async def test_parallel_guesses_cannot_exceed_the_limit(strict, pool):
    user = await register(strict)
    results = await asyncio.gather(*(strict.login(user.username, f"guess {i}") for i in range(8)),
                                   return_exceptions=True)
    assert sum(isinstance(r, Unauthorized) for r in results) == MAX_FAILURES
    assert sum(isinstance(r, RateLimited) for r in results) == 8 - MAX_FAILURES


async def test_prune_drops_ended_windows(strict, pool):
    ghost = unique("ghost")
    await fail(strict, ghost, 1)
    await pool.execute("UPDATE login_throttle SET window_start = now() - interval '1 day' WHERE username_key = $1",
                       throttle.key_of(ghost))
    assert await throttle.prune(pool, strict.settings) >= 1
    assert await pool.fetchval("SELECT count(*) FROM login_throttle WHERE username_key = $1",
                               throttle.key_of(ghost)) == 0
