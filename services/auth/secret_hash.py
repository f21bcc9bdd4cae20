"""Digest of a high-entropy random secret (API key, refresh or reset token) as stored at rest."""

import hashlib


def secret_hash(secret: str) -> bytes:
    """SHA-256: enough for 256-bit random secrets (no dictionary to guess from), unlike passwords,
    which use argon2id; fast enough to look up on every request."""
    return hashlib.sha256(secret.encode()).digest()
