"""Administrators: the operator's create/promote command and the first-admin bootstrap at start."""

from __future__ import annotations

import asyncpg

from services.auth import passwords, users
from services.kit import db
from services.kit.config import Settings

MIGRATIONS = "services.auth.migrations"


def _check(username: str, password: str, email: str) -> None:
    users.check_username(username)
    passwords.validate(password)
    if email:
        users.check_email(email)


async def ensure_admin(pool: asyncpg.Pool, username: str, password: str, email: str = "", *,
                       update_existing: bool) -> str:
    """Create the admin if missing. With update_existing, an existing user of that name is promoted
    and gets this password (and email, if given); without it, an existing user is left alone.
    Returns the user id."""
    _check(username, password, email)
    password_hash = await passwords.hash_password(password)
    async with pool.acquire() as conn, conn.transaction():
        existing = await users.by_username(conn, username)
        if existing is None:
            # ON CONFLICT: a replica starting at the same moment may have just created it.
            row_id = await conn.fetchval(
                "INSERT INTO users (username, email, full_name, role, password_hash) "
                "VALUES ($1, $2, '', 'admin', $3) ON CONFLICT DO NOTHING RETURNING id",
                username, email or None, password_hash)
            if row_id is not None:
                return str(row_id)
            existing = await users.by_username(conn, username)
            if existing is None:  # the conflict was on the email of another user
                raise users.conflict_email()
        if not update_existing:
            return existing.id
        changes = {"role": "admin", "password_hash": password_hash}
        if email:
            changes["email"] = email
        await users.update(conn, existing.id, **changes)
        return existing.id


async def bootstrap(pool: asyncpg.Pool, settings: Settings) -> str | None:
    """At service start: create DOJO_ADMIN_USERNAME with DOJO_ADMIN_PASSWORD if both are set and it
    does not exist yet. An existing account is not touched, so a password changed later survives restarts."""
    if not (settings.admin_username and settings.admin_password):
        return None
    return await ensure_admin(pool, settings.admin_username, settings.admin_password, settings.admin_email,
                              update_existing=False)


async def create_admin(settings: Settings, username: str, password: str, email: str = "") -> str:
    """Create or promote an administrator (the CLI's entry point). Idempotent; returns the user id."""
    pool = await db.open_pool(settings, "auth", MIGRATIONS)
    try:
        return await ensure_admin(pool, username, password, email, update_existing=True)
    finally:
        await pool.close()
