"""Idempotency-Key for POST /analyze and POST /batch/submit: a retried request answers the first answer
again, with no new work.

The pattern of Stripe's API and the IETF draft "The Idempotency-Key HTTP Header Field": the key is the
client's, scoped to the caller; the request it came with is fingerprinted (SHA-256 of the body, computed
by the edge, which alone sees the raw bytes). The first request claims the key in PostgreSQL (a primary
key, so two concurrent requests cannot both claim it); when its analysis (or batch) is stored the key
points to it. Keys are one namespace per caller, whichever call they came with.
Then: same key, same body, done -> the stored analysis; same key, same body, still running -> 409
(retry later); same key, another body -> 422. A failed analysis releases its key, so a retry redoes the
work; a claim older than STALE_SECONDS without an analysis (its process died) is taken over.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Literal, Protocol, TypeVar

import asyncpg

from services.kit import errors


class Stored(Protocol):
    id: str


Result = TypeVar("Result", bound=Stored)

MAX_KEY_LENGTH = 255
STALE_SECONDS = 900  # longer than any analysis may run (the edge's deadline is 600 s)


def check_key(key: str, request_hash: str) -> None:
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise errors.InvalidRequest(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} printable characters",
                                    details={"Idempotency-Key": f"{len(key)} characters"})
    if len(request_hash) != 64:
        raise errors.InvalidRequest("An Idempotency-Key needs the request's SHA-256 fingerprint",
                                    details={"request_hash": "64 hex characters"})


async def once(pool: asyncpg.Pool, owner_id: str, key: str, request_hash: str, work: Callable[[], Awaitable[Result]],
               load: Callable[[str], Awaitable[Result | None]],
               kind: Literal["analysis_id", "batch_id"] = "analysis_id") -> Result:
    """The result for (owner, key): the stored one (load(id)) if this request was done before, else work()'s.
    `kind` names the column that points to it."""
    check_key(key, request_hash)
    claimed = await pool.fetchval(
        """INSERT INTO idempotency_keys (owner_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (owner_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
             WHERE idempotency_keys.analysis_id IS NULL AND idempotency_keys.batch_id IS NULL
               AND idempotency_keys.created_at < now() - make_interval(secs => $4)
           RETURNING true""", owner_id, key, request_hash, STALE_SECONDS)
    if not claimed:
        row = await pool.fetchrow(f"SELECT request_hash, {kind} AS done FROM idempotency_keys "
                                  "WHERE owner_id = $1 AND key = $2", owner_id, key)
        if row is not None and row["request_hash"] != request_hash:
            raise errors.ValidationFailed("This Idempotency-Key was used with a different request; use a new key",
                                          details={"Idempotency-Key": "reused with another body"})
        if row is not None and row["done"]:
            stored = await load(row["done"])
            if stored is not None:
                return stored
        raise errors.Conflict("A request with this Idempotency-Key is still being processed; retry in a moment")
    try:
        result = await work()
    except BaseException:
        await pool.execute("DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 "
                           "AND analysis_id IS NULL AND batch_id IS NULL", owner_id, key)
        raise
    await pool.execute(f"UPDATE idempotency_keys SET {kind} = $3 WHERE owner_id = $1 AND key = $2",
                       owner_id, key, result.id)
    return result
