"""Persistence of training jobs, their logs and trained models in the scoring schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from services.kit import errors

ACTIVE = ("queued", "in_progress")
MAX_LOGS = 1000  # newest lines returned with a job; a 500-epoch run logs about 510
VERSION_LOCK_CLASS = 0x4B46_4D56  # first key of the model-version advisory locks: "KFMV"


@dataclass
class Job:
    id: str
    owner_id: str
    coach: str
    model_type: str
    data_dir: str
    epochs: int
    batch_size: int
    learning_rate: float
    device: str
    checkpoint_dir: str
    resume_from: str
    status: str
    progress: dict[str, Any] | None
    epoch_seconds: float
    epochs_timed: int
    progress_at: datetime | None
    attempts: int
    error: str
    model_version: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Job":
        values = dict(row)
        values["progress"] = json.loads(values["progress"]) if values["progress"] else None
        return cls(**values)


class LogLine(NamedTuple):
    at: datetime
    level: str
    message: str


class StoredModel(NamedTuple):
    """A registry row: tuple-unpackable as (version, onnx, manifest)."""

    version: int
    onnx: bytes
    manifest: dict[str, Any]


class JobStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, job: Job, first_log: str, inputs: dict[str, bytes] | None = None) -> None:
        """The job, its first log line and its snapshotted input files, all or nothing."""
        try:
            await self._insert(job, first_log, inputs)
        except asyncpg.UniqueViolationError:  # a concurrent submission took the same checkpoint folder
            raise errors.Conflict("Another training is writing checkpoints to that folder",
                                  details={"checkpoint_dir": "in use by a running training"}) from None

    async def _insert(self, job: Job, first_log: str, inputs: dict[str, bytes] | None) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """INSERT INTO training_jobs (id, owner_id, coach, model_type, data_dir, epochs, batch_size,
                       learning_rate, device, checkpoint_dir, resume_from, status, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
                job.id, job.owner_id, job.coach, job.model_type, job.data_dir, job.epochs, job.batch_size,
                job.learning_rate, job.device, job.checkpoint_dir, job.resume_from, job.status, job.created_at)
            await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'info', $2)",
                               job.id, first_log)
            if inputs:
                await conn.executemany("INSERT INTO training_inputs (job_id, name, body) VALUES ($1, $2, $3)",
                                       [(job.id, name, body) for name, body in inputs.items()])

    async def inputs(self, job_id: str) -> dict[str, bytes]:
        rows = await self.pool.fetch("SELECT name, body FROM training_inputs WHERE job_id = $1", job_id)
        return {r["name"]: bytes(r["body"]) for r in rows}

    async def get(self, job_id: str) -> Job | None:
        row = await self.pool.fetchrow("SELECT * FROM training_jobs WHERE id = $1", job_id)
        return Job.from_row(row) if row else None

    async def logs(self, job_id: str) -> list[LogLine]:
        rows = await self.pool.fetch(
            """SELECT at, level, message FROM (SELECT * FROM training_logs WHERE job_id = $1 ORDER BY id DESC
                   LIMIT $2) newest ORDER BY id""", job_id, MAX_LOGS)
        return [LogLine(r["at"], r["level"], r["message"]) for r in rows]

    async def log_while_running(self, job_id: str, message: str) -> bool:
        """Log `message` only while the job is in progress (False: it ended meanwhile). The job's row is
        locked meanwhile, so a cancel that commits at the same moment logs after it, never before."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval("SELECT status FROM training_jobs WHERE id = $1 FOR UPDATE", job_id)
            if status != "in_progress":
                return False
            await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'info', $2)",
                               job_id, message)
            return True

    async def log(self, job_id: str, message: str, level: str = "info") -> None:
        await self.pool.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, $2, $3)",
                                job_id, level, message)

    async def active_count(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM training_jobs WHERE status = ANY($1)", list(ACTIVE)))

    async def checkpoint_dir_in_use(self, relative: str) -> str | None:
        return await self.pool.fetchval(
            "SELECT id FROM training_jobs WHERE checkpoint_dir = $1 AND status = ANY($2) LIMIT 1", relative, list(ACTIVE))

    async def active_ids(self, limit: int = 50) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT id FROM training_jobs WHERE status = ANY($1) ORDER BY created_at LIMIT $2", list(ACTIVE), limit)
        return [r["id"] for r in rows]

    async def claim(self, job_id: str) -> Job | None:
        """Mark a waiting (or orphaned) job as running for one more attempt; None if it has ended meanwhile.

        `attempts` counts this attempt until release() takes it back: what remains counts the attempts
        whose scoring process ended without a word (killed, out of memory), the ones that must not loop."""
        row = await self.pool.fetchrow(
            """UPDATE training_jobs SET status = 'in_progress', attempts = attempts + 1,
                   started_at = coalesce(started_at, now())
               WHERE id = $1 AND status = ANY($2) RETURNING *""", job_id, list(ACTIVE))
        return Job.from_row(row) if row else None

    async def statuses(self, job_ids: list[str]) -> dict[str, str]:
        rows = await self.pool.fetch("SELECT id, status FROM training_jobs WHERE id = ANY($1)", job_ids)
        return {r["id"]: r["status"] for r in rows}

    async def record_epoch(self, job_id: str, progress: dict[str, Any], seconds: float, message: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            updated = await conn.execute(
                """UPDATE training_jobs SET progress = $2::jsonb, epoch_seconds = epoch_seconds + $3,
                       epochs_timed = epochs_timed + 1, progress_at = now()
                   WHERE id = $1 AND status = 'in_progress'""", job_id, json.dumps(progress), seconds)
            if updated == "UPDATE 1":  # not for a job cancelled meanwhile
                await conn.execute(
                    """INSERT INTO training_epochs (job_id, epoch, progress) VALUES ($1, $2, $3::jsonb)
                       ON CONFLICT (job_id, epoch) DO UPDATE SET progress = EXCLUDED.progress,
                                                                 at = clock_timestamp()""",
                    job_id, int(progress["current_epoch"]), json.dumps(progress))
            await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'info', $2)",
                               job_id, message)

    async def epochs_after(self, job_id: str, epoch: int) -> list[dict[str, Any]]:
        """The recorded epochs after `epoch`, in order (each a progress dict as record_epoch stored it)."""
        rows = await self.pool.fetch("SELECT progress FROM training_epochs WHERE job_id = $1 AND epoch > $2 "
                                     "ORDER BY epoch", job_id, epoch)
        return [json.loads(r["progress"]) for r in rows]

    async def release(self, job_id: str, message: str) -> None:
        """An attempt that ended gracefully (the runner stopping, a lost database): it does not count
        against the job, which stays in progress for the next runner to resume."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                """UPDATE training_jobs SET attempts = greatest(attempts - 1, 0)
                   WHERE id = $1 AND status = 'in_progress' RETURNING id""", job_id)
            if done:
                await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'warning', $2)",
                                   job_id, message)

    async def cancel(self, job_id: str, message: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                """UPDATE training_jobs SET status = 'cancelled', finished_at = now()
                   WHERE id = $1 AND status = ANY($2) RETURNING id""", job_id, list(ACTIVE))
            if done:
                await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'info', $2)",
                                   job_id, message)
        return bool(done)

    async def fail(self, job_id: str, reason: str, message: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.fetchval(
                """UPDATE training_jobs SET status = 'failed', error = $2, finished_at = now()
                   WHERE id = $1 AND status = 'in_progress' RETURNING id""", job_id, reason)
            if done:
                await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'error', $2)",
                                   job_id, message)
        return bool(done)

    async def complete(self, job: Job, onnx: bytes, manifest: dict[str, Any], message: str) -> int | None:
        """Register the model and complete the job in one transaction; None (nothing stored) if the job
        is no longer running here (cancelled meanwhile)."""
        async with self.pool.acquire() as conn, conn.transaction():
            still_running = await conn.fetchval(
                "SELECT 1 FROM training_jobs WHERE id = $1 AND status = 'in_progress' FOR UPDATE", job.id)
            if not still_running:
                return None
            # Versions count per (coach, model type). Two jobs of one coach and type completing at once would
            # both read the same max under READ COMMITTED (and the second would lose its model to the primary
            # key): this lock, held to the commit, makes the second read the first one's version.
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2::text || ':' || $3::text))",
                               VERSION_LOCK_CLASS, job.coach, job.model_type)
            version = await conn.fetchval(
                "SELECT coalesce(max(version), 0) + 1 FROM trained_models WHERE coach = $1 AND model_type = $2",
                job.coach, job.model_type)
            await conn.execute(
                """INSERT INTO trained_models (coach, model_type, version, onnx, manifest, training_id)
                   VALUES ($1, $2, $3, $4, $5::jsonb, $6)""",
                job.coach, job.model_type, version, onnx, json.dumps(manifest), job.id)
            await conn.execute(
                """UPDATE training_jobs SET status = 'completed', model_version = $2, finished_at = now()
                   WHERE id = $1""", job.id, version)
            await conn.execute("INSERT INTO training_logs (job_id, level, message) VALUES ($1, 'info', $2)",
                               job.id, message.format(version=version))
        return version

    async def count_jobs(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM training_jobs"))


class ModelStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def latest(self, coach: str, model_type: str) -> StoredModel | None:
        row = await self.pool.fetchrow(
            """SELECT version, onnx, manifest FROM trained_models WHERE coach = $1 AND model_type = $2
               ORDER BY version DESC LIMIT 1""", coach, model_type)
        return StoredModel(row["version"], bytes(row["onnx"]), json.loads(row["manifest"])) if row else None

    async def latest_version(self, coach: str, model_type: str) -> int | None:
        return await self.pool.fetchval(
            "SELECT max(version) FROM trained_models WHERE coach = $1 AND model_type = $2", coach, model_type)

    async def newest_per_coach(self, coach: str = "") -> list[asyncpg.Record]:
        """The newest version of each (coach, model type) without its ONNX bytes, with the time its
        first version was registered (first_created_at); every coach when `coach` is ''."""
        return await self.pool.fetch(
            """SELECT DISTINCT ON (coach, model_type) coach, model_type, version, manifest, training_id, created_at,
                      min(created_at) OVER (PARTITION BY coach, model_type) AS first_created_at
               FROM trained_models WHERE $1 = '' OR coach = $1
               ORDER BY coach, model_type, version DESC""", coach)
