"""Migrations against the real PostgreSQL: applied once, idempotent, schema-scoped."""

import asyncpg

from services.kit.db import migrate


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
