"""Coach records kept between reads (services/coach/record_cache.py) against the real PostgreSQL: a kept record
is answered without the database; a change made anywhere (another replica, plain SQL) is seen as soon as
its notification arrives, the writer's own at once; a lost LISTEN connection keeps nothing."""

from __future__ import annotations

import asyncio

import pytest

from services.coach import record_cache
from services.coach.record_cache import CoachRecordCache
from services.coach.store import CoachStore
from services.coach.validation import validate_new
from services.kit.db import database_url


def coach(coach_id: str, **extra) -> dict:
    return validate_new({"id": coach_id, "name": "Nagato", "style": "Karate", **extra})


@pytest.fixture
async def replicas(coach_pool, base_settings):
    """Two coach stores on the same database, each with its own record cache (two replicas)."""
    stores = [CoachStore(coach_pool, CoachRecordCache(database_url(base_settings))) for _ in range(2)]
    for s in stores:
        assert await s.cache.open()
    yield stores
    for s in stores:
        await s.cache.close()


class Unreachable:
    """A pool whose every use fails, as a database that is down would."""

    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name})")


async def until(condition, seconds: float = 2.0) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_a_kept_record_is_answered_without_the_database(replicas, new_id, coach_pool):
    a, _ = replicas
    coach_id = new_id()
    created = await a.insert(coach(coach_id), owner_id="u")
    assert await a.get(coach_id) == created  # read once: kept
    a.pool = Unreachable()
    try:
        got = await a.get(coach_id)
        assert got == created
        got["name"] = "changed by a caller"  # a copy: what is kept does not change
        assert (await a.get(coach_id))["name"] == "Nagato"
    finally:
        a.pool = coach_pool


async def test_changes_by_another_replica_or_plain_sql_are_seen(replicas, new_id, coach_pool):
    a, b = replicas
    coach_id = new_id()
    await a.insert(coach(coach_id), owner_id="u")
    assert (await b.get(coach_id))["name"] == "Nagato"  # b keeps it
    # The writer itself answers its change at once, without waiting for the notification.
    await a.update(coach_id, lambda current: {"name": "Renamed"})
    assert (await a.get(coach_id))["name"] == "Renamed"
    assert await until(lambda: _named(b, coach_id, "Renamed")), "b still answers the old record"
    # A change no store made (a migration, an operator's SQL) reaches every replica the same way.
    await coach_pool.execute("UPDATE coaches SET style = 'Judo' WHERE id = $1", coach_id)
    for replica in (a, b):
        assert await until(lambda: _style(replica, coach_id, "Judo"))
    await b.delete(coach_id, lambda current: None)
    assert await b.get(coach_id) is None
    assert await until(lambda: _gone(a, coach_id)), "a still answers a deleted coach"


async def _named(store, coach_id, name):
    return (await store.get(coach_id))["name"] == name


async def _style(store, coach_id, style):
    return (await store.get(coach_id))["style"] == style


async def _gone(store, coach_id):
    return await store.get(coach_id) is None


async def test_a_lost_listen_connection_keeps_nothing_until_it_is_back(replicas, new_id, coach_pool, monkeypatch):
    monkeypatch.setattr(record_cache, "REOPEN_S", 0.0)
    a, _ = replicas
    coach_id = new_id()
    await a.insert(coach(coach_id), owner_id="u")
    await a.get(coach_id)
    monkeypatch.setattr(record_cache, "REOPEN_S", 3600.0)  # no reopening yet: what is answered while it is down
    killed = await coach_pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%kataforge_coach_changed%'")
    assert killed >= 1
    assert await until(lambda: _not_listening(a))
    # Changed while no notification can arrive: the kept record was dropped, so the change is read.
    await coach_pool.execute("UPDATE coaches SET name = 'Unheard' WHERE id = $1", coach_id)
    assert (await a.get(coach_id))["name"] == "Unheard"
    a.pool, pool = Unreachable(), coach_pool
    with pytest.raises(AssertionError, match="the database was used"):
        await a.get(coach_id)  # nothing is kept while it is down
    a.pool = pool
    monkeypatch.setattr(record_cache, "REOPEN_S", 0.0)
    await a.get(coach_id)  # listens again, reads and keeps
    a.pool = Unreachable()
    try:
        assert (await a.get(coach_id))["name"] == "Unheard"
    finally:
        a.pool = pool


async def _not_listening(store):
    return not store.cache.listening


async def test_a_read_under_way_when_a_change_arrived_is_not_kept(replicas):
    cache = replicas[0].cache
    before = cache.generation   # taken as a read begins
    cache.changed("other_coach")  # any change while the read ran: the row read may be older than it
    cache.keep("c_1", {"id": "c_1"}, before)
    assert cache.get("c_1") is None
    cache.keep("c_1", {"id": "c_1"}, cache.generation)
    assert cache.get("c_1") == {"id": "c_1"}
