"""API keys: `kf_<prefix>_<secret>` shown once, stored as a SHA-256 hash; plus static operator keys.

The secret part is secrets.token_urlsafe(32), 256 random bits: no dictionary or brute force can
reach it, so a slow password hash (argon2) would add latency to every API call and no security.
SHA-256 is enough to make a leaked table useless. The 8-character prefix is stored in clear to
find the row and to let users tell their keys apart."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.auth.secret_hash import secret_hash
from services.kit.context import Principal
from services.kit.errors import InvalidRequest, NotFound, Unauthorized

INVALID_MESSAGE = "Invalid or revoked API key"
MAX_NAME = 100
MAX_KEY_CHARS = 256
# last_used_at is written at most this often per key, so busy keys do not turn reads into writes.
LAST_USED_RESOLUTION_SECONDS = 60



@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _api_key(row) -> ApiKey:
    return ApiKey(id=str(row["id"]), name=row["name"], prefix=row["prefix"], created_at=row["created_at"],
                  last_used_at=row["last_used_at"], revoked=row["revoked_at"] is not None)


def parse_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "kf" or len(parts[1]) != 8 or not parts[2]:
        return None
    return parts[1]


async def create(pool: asyncpg.Pool, user_id: str, name: str) -> tuple[ApiKey, str]:
    """A new key for the user; returns the row and the full key (never stored, never shown again)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequest("Invalid API key name", details={"name": f"must be 1-{MAX_NAME} characters"})
    for _ in range(5):  # the prefix is 32 random bits; a collision is rare, retry if it happens
        prefix = secrets.token_hex(4)
        key = f"kf_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            row = await pool.fetchrow(
                "INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4) "
                "RETURNING id, name, prefix, created_at, last_used_at, revoked_at",
                uuid.UUID(user_id), name, prefix, secret_hash(key))
        except asyncpg.UniqueViolationError:
            continue
        return _api_key(row), key
    raise RuntimeError("could not allocate a unique API key prefix")


async def list_for(pool: asyncpg.Pool, user_id: str) -> list[ApiKey]:
    rows = await pool.fetch("SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys "
                            "WHERE user_id = $1 ORDER BY created_at, id", uuid.UUID(user_id))
    return [_api_key(r) for r in rows]


async def revoke(pool: asyncpg.Pool, key_id: str, principal: Principal) -> None:
    """Revoke one of the caller's keys (any key for an admin); others are NotFound, not Forbidden,
    so that key ids of other users cannot be probed. Revoking twice succeeds."""
    try:
        kid = uuid.UUID(key_id)
    except ValueError:
        raise NotFound("api_key", key_id) from None
    owner = None if principal.is_admin else uuid.UUID(principal.user_id)
    found = await pool.fetchval(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
        "WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2) RETURNING id", kid, owner)
    if found is None:
        raise NotFound("api_key", key_id)


class StaticKeys:
    """Operator keys from DOJO_API_KEYS / DOJO_API_KEYS_FILE; each acts as an admin."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._hashes = [secret_hash(k) for k in keys if k]

    def match(self, key: str) -> Principal | None:
        presented = secret_hash(key)
        found = None
        for stored in self._hashes:  # every entry is compared, so timing does not tell which matched
            if hmac.compare_digest(stored, presented):
                found = stored
        if found is None:
            return None
        return Principal(user_id=f"static-key-{found.hex()[:8]}", username="api-key", role="admin",
                         method="static_api_key")


async def verify(pool: asyncpg.Pool, static: StaticKeys, key: str) -> Principal:
    """The principal a key stands for, or Unauthorized(INVALID_MESSAGE)."""
    if not key or len(key) > MAX_KEY_CHARS:
        raise Unauthorized(INVALID_MESSAGE)
    principal = static.match(key)
    if principal is not None:
        return principal
    prefix = parse_prefix(key)
    if prefix is None:
        raise Unauthorized(INVALID_MESSAGE)
    row = await pool.fetchrow(
        "SELECT k.id, k.key_hash, k.revoked_at, u.id AS user_id, u.username, u.role "
        "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1", prefix)
    if row is None or not hmac.compare_digest(row["key_hash"], secret_hash(key)) or row["revoked_at"] is not None:
        raise Unauthorized(INVALID_MESSAGE)
    await pool.execute(
        "UPDATE api_keys SET last_used_at = now() WHERE id = $1 "
        "AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))",
        row["id"], float(LAST_USED_RESOLUTION_SECONDS))
    return Principal(user_id=str(row["user_id"]), username=row["username"], role=row["role"], method="api_key")
