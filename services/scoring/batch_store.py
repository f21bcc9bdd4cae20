"""The rows of durable batch jobs (migration 004): what a user sees of a batch, and the state that makes a
retried video count once. Every change of an item is one statement, guarded by the state it leaves from,
so two workers holding the same video (a re-picked job whose first worker was only late) cannot both
move it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

ENDED = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class NewVideo:
    """One video of a submission, as the caller gave it (a URL, or inline bytes kept until analysed)."""

    video: str
    coach: str
    technique: str = ""
    url: str = ""
    data: bytes | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchItem:
    position: int
    video: str
    coach: str
    technique: str
    status: str
    analysis_id: str
    score: float | None
    error: dict[str, Any] | None
    processing_time: float
    attempts: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class BatchJob:
    id: str
    owner_id: str
    status: str
    total: int
    created_at: datetime
    finished_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)   # items per status
    items: list[BatchItem] = field(default_factory=list)   # empty in a list of batches


@dataclass(frozen=True)
class Claimed:
    """An item a worker has taken up, with what it needs to analyse it as the batch's owner."""

    batch_id: str
    position: int
    video: str
    url: str
    data: bytes | None
    coach: str
    technique: str
    analysis_id: str
    attempts: int
    principal: dict[str, str]
    device: str
    body_mass_kg: float


async def insert(conn: asyncpg.Connection, job: BatchJob, principal: dict[str, str], device: str,
                 body_mass_kg: float, videos: list[NewVideo], analysis_ids: list[str]) -> None:
    await conn.execute(
        """INSERT INTO batch_jobs (id, owner_id, principal, status, device, body_mass_kg, total, created_at)
           VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)""",
        job.id, job.owner_id, json.dumps(principal), job.status, device, body_mass_kg, job.total, job.created_at)
    await conn.executemany(
        """INSERT INTO batch_items (batch_id, position, video, url, data, coach, technique, metadata, analysis_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)""",
        [(job.id, i, v.video, v.url, v.data, v.coach, v.technique, json.dumps(v.metadata), aid)
         for i, (v, aid) in enumerate(zip(videos, analysis_ids))])


async def submitted_since(conn: asyncpg.Connection, owner_id: str, seconds: int) -> list[datetime]:
    """Creation times of the owner's batches in the last `seconds`, oldest first (the quota's window)."""
    rows = await conn.fetch("""SELECT created_at FROM batch_jobs WHERE owner_id = $1
                               AND created_at > now() - make_interval(secs => $2) ORDER BY created_at""",
                            owner_id, seconds)
    return [r["created_at"] for r in rows]


async def get(pool: asyncpg.Pool, batch_id: str, *, items: bool = True) -> BatchJob | None:
    row = await pool.fetchrow("SELECT * FROM batch_jobs WHERE id = $1", batch_id)
    if row is None:
        return None
    found = [_item(r) for r in await pool.fetch(
        """SELECT position, video, coach, technique, status, analysis_id, score, error, processing_time, attempts,
                  metadata FROM batch_items WHERE batch_id = $1 ORDER BY position""", batch_id)]
    counts: dict[str, int] = {}
    for item in found:
        counts[item.status] = counts.get(item.status, 0) + 1
    return _job(row, counts, found if items else [])


async def page(pool: asyncpg.Pool, owner_id: str, after: tuple[datetime, str] | None, limit: int) -> list[BatchJob]:
    rows = await pool.fetch(
        """SELECT j.*, (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM batch_items
                        WHERE batch_id = j.id GROUP BY status) c) AS counts
           FROM batch_jobs j WHERE owner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
           ORDER BY created_at DESC, id DESC LIMIT $4""",
        owner_id, after[0] if after else None, after[1] if after else "", limit)
    return [_job(r, json.loads(r["counts"] or "{}"), []) for r in rows]


async def claim(pool: asyncpg.Pool, batch_id: str, position: int, worker: str) -> Claimed | None:
    """Take an item up (queued, or processing by a worker that died); None when it has ended or its batch
    was cancelled. Counts the attempt."""
    row = await pool.fetchrow(
        """UPDATE batch_items i SET status = 'processing', attempts = i.attempts + 1, worker = $3,
                  started_at = now()
           FROM batch_jobs j
           WHERE i.batch_id = $1 AND i.position = $2 AND j.id = i.batch_id
             AND i.status IN ('queued', 'processing') AND j.status <> 'cancelled'
           RETURNING i.*, j.principal, j.device, j.body_mass_kg""", batch_id, position, worker)
    if row is None:
        return None
    await pool.execute("UPDATE batch_jobs SET status = 'processing' WHERE id = $1 AND status = 'queued'", batch_id)
    return Claimed(batch_id=batch_id, position=position, video=row["video"], url=row["url"], data=row["data"],
                   coach=row["coach"], technique=row["technique"], analysis_id=row["analysis_id"],
                   attempts=row["attempts"], principal=json.loads(row["principal"]), device=row["device"],
                   body_mass_kg=row["body_mass_kg"])


async def finish(pool: asyncpg.Pool, item: Claimed, *, status: str, processing_time: float,
                 score: float | None = None, error: dict[str, Any] | None = None) -> bool:
    """End an item (completed or failed) and, when it was the last, its batch; False when it had ended
    already (another worker finished it first). The inline video is dropped: it is no longer needed."""
    async with pool.acquire() as conn, conn.transaction():
        ended = await conn.fetchval(
            """UPDATE batch_items SET status = $3, score = $4, error = $5::jsonb, processing_time = $6,
                      finished_at = now(), data = NULL
               WHERE batch_id = $1 AND position = $2 AND status = 'processing' RETURNING true""",
            item.batch_id, item.position, status, score, json.dumps(error) if error else None, processing_time)
        if ended:
            await _close_if_done(conn, item.batch_id)
        return bool(ended)


async def requeue(conn: asyncpg.Connection, item: Claimed) -> bool:
    """Put a taken item back (its analysis met a passing failure); the caller enqueues its job again."""
    return bool(await conn.fetchval(
        """UPDATE batch_items SET status = 'queued', worker = '' WHERE batch_id = $1 AND position = $2
           AND status = 'processing' RETURNING true""", item.batch_id, item.position))


async def cancel(pool: asyncpg.Pool, batch_id: str) -> None:
    """Cancel the items not yet taken up; the batch is cancelled at once, and ends (finished_at) when the
    items being analysed have finished (they are kept)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("""UPDATE batch_items SET status = 'cancelled', finished_at = now(), data = NULL
                              WHERE batch_id = $1 AND status = 'queued'""", batch_id)
        await conn.execute("UPDATE batch_jobs SET status = 'cancelled' WHERE id = $1 AND finished_at IS NULL",
                           batch_id)
        await _close_if_done(conn, batch_id)  # ended now, or when the videos being analysed end


async def _close_if_done(conn: asyncpg.Connection, batch_id: str) -> None:
    await conn.execute(
        """UPDATE batch_jobs j SET finished_at = now(), status = CASE
                  WHEN j.status = 'cancelled' THEN 'cancelled'
                  WHEN c.failed = 0 THEN 'completed' WHEN c.completed = 0 THEN 'failed'
                  ELSE 'completed_with_errors' END
           FROM (SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
                        count(*) FILTER (WHERE status = 'failed') AS failed,
                        count(*) FILTER (WHERE status IN ('queued', 'processing')) AS open
                 FROM batch_items WHERE batch_id = $1) c
           WHERE j.id = $1 AND c.open = 0 AND j.finished_at IS NULL""", batch_id)


def _item(row) -> BatchItem:
    return BatchItem(position=row["position"], video=row["video"], coach=row["coach"], technique=row["technique"],
                     status=row["status"], analysis_id=row["analysis_id"], score=row["score"],
                     error=json.loads(row["error"]) if row["error"] else None,
                     processing_time=row["processing_time"], attempts=row["attempts"],
                     metadata=json.loads(row["metadata"]))


def _job(row, counts: dict[str, int], items: list[BatchItem]) -> BatchJob:
    return BatchJob(id=row["id"], owner_id=row["owner_id"], status=row["status"], total=row["total"],
                    created_at=row["created_at"], finished_at=row["finished_at"], counts=counts, items=items)
