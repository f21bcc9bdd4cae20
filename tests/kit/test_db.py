"""services/kit/db.py against the real PostgreSQL: migrations applied once, idempotent, schema-scoped; pools
that keep no session state between calls."""

import re

import asyncpg

from services.kit.db import migrate, open_pool
from services.kit.paths import REPO


async def test_migrations_apply_once_and_are_idempotent(pg_url):
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS scoring_migtest CASCADE")
        first = await migrate(conn, "scoring_migtest", "services.scoring.migrations")
        again = await migrate(conn, "scoring_migtest", "services.scoring.migrations")
        assert first == ["001_init.sql", "002_training.sql", "003_idempotency.sql", "004_batch_jobs.sql",
                     "005_training_epochs.sql"] and again == []
        tables = {r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'scoring_migtest'")}
        assert {"analyses", "training_jobs", "trained_models", "idempotency_keys", "schema_migrations"} <= tables
    finally:
        await conn.execute("DROP SCHEMA IF EXISTS scoring_migtest CASCADE")
        await conn.close()


async def test_a_released_connection_costs_no_reset_round_trip_and_no_open_transaction(base_settings):
    pool = await open_pool(base_settings, "coach_dbtest", "services.coach.migrations")
    try:
        conn = await pool.acquire()
        await conn.execute("BEGIN")  # left open on purpose: asyncpg rolls it back on release
        raw = conn._con  # the connection behind the pool's proxy, which release detaches
        queries = raw._protocol.queries_count
        await pool.release(conn)
        assert raw._protocol.queries_count == queries + 1  # the ROLLBACK only, not asyncpg's reset query
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SHOW search_path") == "coach_dbtest"
    finally:
        await pool.close()
        conn = await asyncpg.connect(base_settings.database_url)
        await conn.execute("DROP SCHEMA IF EXISTS coach_dbtest CASCADE")
        await conn.close()


# What asyncpg's reset query would undo, and keep_session does not: session locks, LISTEN, session settings.
SESSION_STATE = re.compile(r"pg_advisory_lock\(|[\"']LISTEN |add_listener\(|[\"']\s*(SET|RESET)\s+(?!LOCAL\b)")
ALLOWED = {
    # connections of their own (asyncpg.connect), never a pool's
    "services/kit/db.py", "services/kit/db_notifications.py", "services/scoring/training/runner.py",
    # install_queue: its session lock is released in a finally on the same connection
    "services/scoring/batch_jobs.py",
}


def test_no_code_on_a_pool_keeps_session_state():
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "services").rglob("*.py"))
             if str(path.relative_to(REPO)) not in ALLOWED
             for n, line in enumerate(path.read_text().splitlines(), 1) if SESSION_STATE.search(line)]
    assert not found, f"session state on a pooled connection (see services.kit.db.keep_session): {found}"
