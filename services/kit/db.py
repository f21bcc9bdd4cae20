"""asyncpg pools, one schema per service, and versioned SQL migrations applied at start."""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources

import asyncpg

from services.kit.config import ConfigError, Settings
from services.kit.readiness import SetAtWarmUp

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3,})_[a-z0-9_]+\.sql$")


def database_url(settings: Settings) -> str:
    """DOJO_DATABASE_URL, else the embedded server in the state directory."""
    if settings.database_url:
        return settings.database_url
    try:
        from services.kit import embedded_pg
        return embedded_pg.start(settings.state_dir).get_uri()
    except ImportError as exc:
        raise ConfigError("DOJO_DATABASE_URL: not set and the embedded database (pgserver) is not installed") from exc


def _migrations(package: str) -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text()))
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"{package}: two migrations share a version number")
    return sorted(found)


async def migrate(conn: asyncpg.Connection, schema: str, package: str) -> list[str]:
    """Apply the package's NNN_name.sql files not yet applied, each in its own transaction.

    A hand-written runner (not alembic/yoyo) because those need a synchronous driver and
    SQLAlchemy; this one is an advisory lock, a version table and a checksum check.
    Idempotent and safe when several replicas start at once. Returns the names applied."""
    if not re.fullmatch(r"[a-z_]+", schema):
        raise ValueError(f"bad schema name {schema!r}")
    applied_now: list[str] = []
    lock_key = int.from_bytes(hashlib.sha256(f"kataforge:{schema}".encode()).digest()[:8], "big", signed=True)
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
            version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {r["version"]: r for r in await conn.fetch(f"SELECT version, name, checksum FROM {schema}.schema_migrations")}
        for version, name, sql in _migrations(package):
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version]["checksum"] != checksum:
                    raise RuntimeError(f"migration {schema}/{name} changed after it was applied; add a new one instead")
                continue
            async with conn.transaction():
                await conn.execute(f"SET LOCAL search_path TO {schema}")
                await conn.execute(sql)
                await conn.execute(f"INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                   version, name, checksum)
            applied_now.append(name)
            log.info("applied migration %s/%s", schema, name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release, in place of asyncpg's reset query (UNLISTEN, RESET ALL, CLOSE ALL and
    pg_advisory_unlock_all, one more round trip to PostgreSQL per call: 11 % of the coach service's time on
    GET /coaches/{id}, bench/api_path.py). asyncpg still rolls back a transaction left open. Nothing else is
    left to undo, because no code on a pool keeps session state: locks are transaction-scoped
    (pg_advisory_xact_lock), settings are SET LOCAL or the pool's own server_settings, nobody LISTENs, and
    cursors live in transactions; what needs a session lock takes a connection of its own (migrate above,
    the training runner). tests/kit/test_db.py holds the code to that."""


async def open_pool(settings: Settings, schema: str, migrations_package: str, *, url: str | None = None) -> asyncpg.Pool:
    """Migrate the service's schema, then open a pool whose search_path is that schema only."""
    url = url or database_url(settings)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, schema, migrations_package)
    finally:
        await conn.close()
    return await asyncpg.create_pool(url, min_size=1, max_size=10, server_settings={"search_path": schema},
                                     command_timeout=settings.timeout, reset=keep_session)


class PoolStore:
    """Base of a store whose pool the service's warm-up opens: a call that comes earlier is told to retry
    (UNAVAILABLE / 503) by the kit's one readiness gate instead of failing on None. A subclass may
    declare its own `pool = SetAtWarmUp("...")` to say which service is starting."""

    pool = SetAtWarmUp("The service is starting; try again shortly")

    def __init__(self, pool: asyncpg.Pool | None = None) -> None:
        self.pool = pool  # None until the service's warm-up has opened it
