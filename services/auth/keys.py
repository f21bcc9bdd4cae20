"""RS256 signing keys: created once, persisted in the auth schema, shared by all replicas; JWKS."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048  # NIST SP 800-57: 2048-bit RSA is acceptable through 2030
# Serialises key creation across replicas that start together (same key space as pg_advisory_lock).
_CREATE_LOCK = int.from_bytes(hashlib.sha256(b"kataforge:auth:signing-key").digest()[:8], "big", signed=True)
# How long a replica trusts its cached active key before re-reading it (picks up a rotation elsewhere).
CACHE_SECONDS = 60.0


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def thumbprint(n: str, e: str) -> str:
    """RFC 7638 JWK thumbprint (SHA-256 over the canonical required members), used as kid."""
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    n: str
    e: str

    def jwk(self) -> dict[str, str]:
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": self.n, "e": self.e}


def generate() -> tuple[str, str, str, str]:
    """A fresh key as (kid, private PEM, n, e)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    numbers = key.public_key().public_numbers()
    n, e = b64url_uint(numbers.n), b64url_uint(numbers.e)
    # Stored unencrypted: the auth schema is the secret store here, like the password hashes.
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return thumbprint(n, e), pem, n, e


def _load(row: Any) -> SigningKey:
    private = serialization.load_pem_private_key(row["private_pem"].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return SigningKey(kid=row["kid"], private_key=private, n=row["n"], e=row["e"])


async def ensure_active(pool: asyncpg.Pool) -> SigningKey:
    """The active key, creating one if there is none. Concurrent first starts create only one."""
    row = await pool.fetchrow("SELECT kid, private_pem, n, e FROM signing_keys WHERE active")
    if row is not None:
        return _load(row)
    fresh = await asyncio.to_thread(generate)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _CREATE_LOCK)
        row = await conn.fetchrow("SELECT kid, private_pem, n, e FROM signing_keys WHERE active")
        if row is None:
            row = await conn.fetchrow(
                "INSERT INTO signing_keys (kid, private_pem, n, e) VALUES ($1, $2, $3, $4) "
                "RETURNING kid, private_pem, n, e", *fresh)
    return _load(row)


async def rotate(pool: asyncpg.Pool) -> SigningKey:
    """Retire the active key and make a new one; the old one stays in the JWKS for a while."""
    fresh = await asyncio.to_thread(generate)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _CREATE_LOCK)
        await conn.execute("UPDATE signing_keys SET active = false, retired_at = now() WHERE active")
        row = await conn.fetchrow("INSERT INTO signing_keys (kid, private_pem, n, e) VALUES ($1, $2, $3, $4) "
                                  "RETURNING kid, private_pem, n, e", *fresh)
    return _load(row)


async def public_jwks(pool: asyncpg.Pool, keep_retired_seconds: int) -> list[dict[str, str]]:
    """Active key first, then keys retired recently enough that tokens they signed may be live."""
    rows = await pool.fetch(
        "SELECT kid, n, e FROM signing_keys WHERE active OR retired_at > now() - make_interval(secs => $1) "
        "ORDER BY active DESC, created_at DESC", float(keep_retired_seconds))
    return [{"kty": "RSA", "kid": r["kid"], "use": "sig", "alg": "RS256", "n": r["n"], "e": r["e"]} for r in rows]


class Keyring:
    """Caches the active signing key of this replica, re-read every CACHE_SECONDS."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._key: SigningKey | None = None
        self._loaded_at = 0.0

    async def active(self) -> SigningKey:
        if self._key is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
            self._key = await ensure_active(self.pool)
            self._loaded_at = time.monotonic()
        return self._key
