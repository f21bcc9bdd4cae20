"""Password hashing (argon2id at OWASP cost), verification without a timing oracle, and rules."""

from __future__ import annotations

import asyncio
import functools

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.kit.errors import InvalidRequest

# OWASP Password Storage Cheat Sheet, first argon2id configuration: m=19 MiB, t=2, p=1.
# Changing these makes check_needs_rehash true for old hashes, which are upgraded at the next login.
TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16

MIN_LENGTH = 8
MAX_LENGTH = 256  # bounds the work an attacker can make us do per request

HASHER = argon2.PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM,
                               hash_len=HASH_LEN, salt_len=SALT_LEN, type=argon2.Type.ID)


def validate(password: str, field: str = "password") -> None:
    """Raise InvalidRequest naming the field if the password breaks the length rules."""
    if len(password) < MIN_LENGTH:
        raise InvalidRequest("Password is too short", details={field: f"must be at least {MIN_LENGTH} characters"})
    if len(password) > MAX_LENGTH:
        raise InvalidRequest("Password is too long", details={field: f"must be at most {MAX_LENGTH} characters"})


def hash_password_sync(password: str) -> str:
    return HASHER.hash(password)


def verify_sync(encoded: str, password: str) -> bool:
    try:
        return HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("dummy password that matches nothing")


def needs_rehash(encoded: str) -> bool:
    try:
        return HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


# argon2-cffi releases the GIL, so hashing in a worker thread keeps the event loop responsive.
async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify(encoded: str | None, password: str) -> bool:
    """True if the password matches. With no hash (unknown user) or an over-long password it
    still spends one full argon2 verification, so timing does not tell whether the user exists."""
    if encoded is None or len(password) > MAX_LENGTH:
        await asyncio.to_thread(verify_sync, _dummy_hash(), password[:MAX_LENGTH])
        return False
    return await asyncio.to_thread(verify_sync, encoded, password)
