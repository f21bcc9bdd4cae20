"""Password reset: single-use, expiring tokens sent by mail and stored only as a SHA-256 hash."""

from __future__ import annotations

import logging
import secrets
import uuid

import asyncpg

from services.auth.secret_hash import secret_hash
from services.auth import passwords, refresh, users
from services.auth.mailer import Mail, Mailer
from services.kit.errors import InvalidRequest

log = logging.getLogger(__name__)

GENERIC_MESSAGE = "If an account with that email exists, a password reset message has been sent"
INVALID_MESSAGE = "Reset token is invalid or expired"
MAX_TOKEN_CHARS = 128



async def request(pool: asyncpg.Pool, mailer: Mailer, email: str, ttl_seconds: int) -> None:
    """Mail a reset token if the address belongs to a user; say nothing either way."""
    users.check_email(email)
    user = await users.by_email(pool, email)
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    await pool.execute("INSERT INTO password_resets (token_hash, user_id, expires_at) "
                       "VALUES ($1, $2, now() + make_interval(secs => $3))",
                       secret_hash(token), uuid.UUID(user.id), float(ttl_seconds))
    minutes = max(1, ttl_seconds // 60)
    text = (f"Hello {user.full_name or user.username},\n\n"
            f"Someone asked to reset the password of your KataForge account '{user.username}'.\n"
            f"Your reset token (valid for {minutes} minutes, usable once):\n\n    {token}\n\n"
            "Send it with your new password to POST /auth/reset-password.\n"
            "If you did not ask for this, ignore this message; your password is unchanged.\n")
    try:
        await mailer.send(Mail(to=user.email, subject="Reset your KataForge password", text=text,
                               kind="password_reset", data={"reset_token": token, "username": user.username}))
    except Exception:  # noqa: BLE001 - an error here would tell the caller the address exists
        log.exception("could not deliver the password reset message for user %s", user.id)


async def reset(pool: asyncpg.Pool, token: str, new_password: str) -> str:
    """Set the new password if the token is live; spend it, and end the user's sessions. Returns user id."""
    passwords.validate(new_password)
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidRequest(INVALID_MESSAGE)
    new_hash = await passwords.hash_password(new_password)
    async with pool.acquire() as conn, conn.transaction():
        user_id = await conn.fetchval(
            "UPDATE password_resets SET used_at = now() "
            "WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id", secret_hash(token))
        if user_id is None:
            raise InvalidRequest(INVALID_MESSAGE)
        # Other outstanding tokens of this user die with this one.
        await conn.execute("UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
                           user_id)
        await users.update(conn, str(user_id), password_hash=new_hash)
        await refresh.revoke_user(conn, str(user_id), "password_reset")
    return str(user_id)
