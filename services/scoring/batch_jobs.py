"""Durable batch jobs (POST /batch/submit, GET /batch/status|results/{id}, DELETE /batch/cancel/{id},
GET /batch/list), in the pattern of spec/001's batch processing.

The queue is PgQueuer's (a maintained PostgreSQL queue on asyncpg: SELECT ... FOR UPDATE SKIP LOCKED,
LISTEN/NOTIFY, heartbeats), one job per video, enqueued in the same transaction that stores the batch:
a submission is either wholly queued or not at all. Every scoring process runs a worker on it, so
several processes share the work; a job whose worker died stops heartbeating and is picked again after
HEARTBEAT_TIMEOUT by whichever worker polls next (within POLL), so well within 30 s.

Nothing twice: each video's analysis id is reserved at submission. A retry first looks for that analysis
(its worker may have died between storing it and marking the video), and the analyses table's primary
key refuses a second copy should two workers analyse the same video at once. A video that has taken
its worker down MAX_ATTEMPTS times is failed, not retried for ever. A passing failure (the pose service
restarting: UNAVAILABLE) puts the video back with a delay; any other failure fails that video only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import asyncpg
from pgqueuer import QueueManager
from pgqueuer.models import Job
from pgqueuer.queries import Queries

from services.kit import errors
from services.kit.context import Principal, principal_var, request_id_var

from . import batch_store as rows, idempotency
from .analysis import AnalyzeCommand, Analyzer, new_analysis_id
from .batch_store import BatchJob, Claimed, NewVideo
from .history import decode_cursor, encode_cursor

log = logging.getLogger(__name__)

ENTRYPOINT = "kataforge_batch_video"
HEARTBEAT_TIMEOUT = timedelta(seconds=10)  # a job silent this long is taken to have lost its worker
POLL = timedelta(seconds=5)                # workers look for such jobs (and missed notifications) this often
MAX_ATTEMPTS = 3
RETRY_DELAY_S = 5.0                        # times the attempt, after a passing failure
QUOTA_WINDOW_S = 3600
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@dataclass(frozen=True)
class BatchLimits:
    max_videos: int = 100
    jobs_per_hour: int = 10
    concurrency: int = 2


async def install_queue(pool: asyncpg.Pool) -> None:
    """PgQueuer's tables in the scoring schema (the pool's search_path), created or upgraded at start;
    an advisory lock keeps replicas that start together from racing."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(hashtext('kataforge:pgqueuer'))")
        try:
            queries = Queries.from_asyncpg_connection(conn)
            if await queries.schema_is_installed():
                await queries.upgrade()
            else:
                await queries.install(create_schema=False)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext('kataforge:pgqueuer'))")


class BatchJobs:
    def __init__(self, pool: asyncpg.Pool, analyzer: Analyzer, limits: BatchLimits) -> None:
        self.pool, self.analyzer, self.limits = pool, analyzer, limits
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}"
        self._manager: QueueManager | None = None
        self._task: asyncio.Task | None = None

    # ---- the caller's side ----------------------------------------------------------------------------
    def check_size(self, count: int) -> None:
        if count == 0:
            raise errors.InvalidRequest("A batch needs at least one video", details={"videos": "must not be empty"})
        if count > self.limits.max_videos:
            raise errors.InvalidRequest(f"A batch holds at most {self.limits.max_videos} videos (got {count})",
                                        details={"videos": f"at most {self.limits.max_videos} items"})

    async def submit(self, videos: list[NewVideo], principal: Principal | None, *, device: str = "auto",
                     body_mass_kg: float = 0.0, key: str = "", request_hash: str = "") -> BatchJob:
        principal = _required(principal)
        self.check_size(len(videos))

        async def work() -> BatchJob:
            return await self._store_and_queue(videos, principal, device, body_mass_kg)

        if not key:
            return await work()
        return await idempotency.once(self.pool, principal.user_id, key, request_hash, work,
                                      lambda batch_id: rows.get(self.pool, batch_id), kind="batch_id")

    async def _store_and_queue(self, videos: list[NewVideo], principal: Principal, device: str,
                               body_mass_kg: float) -> BatchJob:
        job = BatchJob(id=f"batch_{uuid.uuid4().hex[:16]}", owner_id=principal.user_id, status="queued",
                       total=len(videos), created_at=datetime.now(timezone.utc), finished_at=None)
        async with self.pool.acquire() as conn, conn.transaction():
            # One submission of a user at a time, so that two at once cannot both take the last slot.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('kataforge:batch:' || $1))", principal.user_id)
            recent = await rows.submitted_since(conn, principal.user_id, QUOTA_WINDOW_S)
            if len(recent) >= self.limits.jobs_per_hour:
                frees_at = recent[-self.limits.jobs_per_hour] + timedelta(seconds=QUOTA_WINDOW_S)
                raise errors.RateLimited(
                    f"At most {self.limits.jobs_per_hour} batch jobs an hour; the next can be submitted at "
                    f"{frees_at:%H:%M:%S} UTC", limit=self.limits.jobs_per_hour, window=QUOTA_WINDOW_S,
                    retry_after=(frees_at - datetime.now(timezone.utc)).total_seconds())
            await rows.insert(conn, job, asdict(principal), device, body_mass_kg, videos,
                              [new_analysis_id() for _ in videos])
            await Queries.from_asyncpg_connection(conn).enqueue(
                [ENTRYPOINT] * len(videos), [_payload(job.id, i) for i in range(len(videos))], [0] * len(videos))
        return await self.status(job.id, principal)

    async def status(self, batch_id: str, principal: Principal | None, *, items: bool = True) -> BatchJob:
        principal = _required(principal)
        job = await rows.get(self.pool, batch_id, items=items)
        # Another user's batch answers like a missing one, so ids cannot be probed.
        if job is None or (job.owner_id != principal.user_id and not principal.is_admin):
            raise errors.NotFound("batch", batch_id)
        return job

    async def cancel(self, batch_id: str, principal: Principal | None) -> BatchJob:
        job = await self.status(batch_id, principal, items=False)
        if job.finished_at is not None and job.status != "cancelled":
            raise errors.Conflict(f"Batch '{batch_id}' has already ended ({job.status}); there is nothing to cancel")
        await rows.cancel(self.pool, batch_id)
        return await self.status(batch_id, principal)

    async def page(self, principal: Principal | None, limit: int, cursor: str) -> tuple[list[BatchJob], str]:
        """The caller's batches newest first, by the same keyset cursor as GET /analyses."""
        principal = _required(principal)
        if not 0 <= limit <= MAX_LIMIT:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", details={"limit": str(limit)})
        limit = limit or DEFAULT_LIMIT
        found = await rows.page(self.pool, principal.user_id, decode_cursor(cursor) if cursor else None, limit + 1)
        return found[:limit], (encode_cursor(found[limit - 1]) if len(found) > limit else "")

    # ---- the worker -----------------------------------------------------------------------------------
    def start_worker(self) -> None:
        manager = QueueManager(Queries.from_asyncpg_pool(self.pool))
        manager.entrypoint(ENTRYPOINT)(self._run_job)
        self._manager = manager
        concurrency = max(2, self.limits.concurrency)  # PgQueuer needs twice the dequeue batch (1)
        self._task = asyncio.create_task(manager.run(dequeue_timeout=POLL, batch_size=1, max_concurrent_tasks=concurrency,
                                                     heartbeat_timeout=HEARTBEAT_TIMEOUT), name="batch-worker")

    async def stop_worker(self, grace_s: float = 60.0) -> None:
        """Let the videos being analysed finish (a worker that cannot is taken over by another later)."""
        if self._manager is None or self._task is None:
            return
        self._manager.shutdown.set()
        try:
            await asyncio.wait_for(self._task, grace_s)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        except Exception:  # noqa: BLE001 - a worker failing at shutdown must not stop the service's close
            log.exception("batch worker stopped with an error")

    async def _run_job(self, job: Job) -> None:
        ref = json.loads(job.payload or b"{}")
        item = await rows.claim(self.pool, ref["batch"], ref["position"], self.worker_name)
        if item is None:
            return  # ended already, or its batch was cancelled
        principal = Principal(**item.principal)
        tokens = principal_var.set(principal), request_id_var.set(f"{item.batch_id}/{item.position}")
        try:
            await self._analyse(item, principal)
        finally:
            principal_var.reset(tokens[0])
            request_id_var.reset(tokens[1])

    async def _analyse(self, item: Claimed, principal: Principal) -> None:
        begun = time.perf_counter()
        stored = await self.analyzer.store.get(item.analysis_id)
        if stored is None and item.attempts > MAX_ATTEMPTS:
            await rows.finish(self.pool, item, status="failed", processing_time=0.0, error=errors.DomainError(
                f"The analysis of this video stopped its worker {item.attempts - 1} times; it was given up").to_dict())
            return
        try:
            if stored is None:
                stored = await self.analyzer.analyze(_command(item), principal)
        except asyncpg.UniqueViolationError:
            stored = await self.analyzer.store.get(item.analysis_id)  # another worker stored it meanwhile
        except errors.DomainError as exc:
            if isinstance(exc, errors.Unavailable) and item.attempts < MAX_ATTEMPTS and await self._retry_later(item):
                return
            await rows.finish(self.pool, item, status="failed", error=exc.to_dict(),
                              processing_time=round(time.perf_counter() - begun, 3))
            return
        except Exception:  # noqa: BLE001 - one video's failure, whatever it is, is its row's
            log.exception("batch video failed: %s/%s", item.batch_id, item.position)
            await rows.finish(self.pool, item, status="failed", error=errors.DomainError("Internal server error").to_dict(),
                              processing_time=round(time.perf_counter() - begun, 3))
            return
        await rows.finish(self.pool, item, status="completed", processing_time=stored.processing_time,
                          score=float(stored.result["metrics"]["overall_score"]))

    async def _retry_later(self, item: Claimed) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await rows.requeue(conn, item):
                return False
            await Queries.from_asyncpg_connection(conn).enqueue(
                ENTRYPOINT, _payload(item.batch_id, item.position),
                execute_after=timedelta(seconds=RETRY_DELAY_S * item.attempts))
        log.warning("batch video %s/%s: a service was unavailable; retrying", item.batch_id, item.position)
        return True


def _command(item: Claimed) -> AnalyzeCommand:
    chunks = None
    if item.data is not None:
        data = bytes(item.data)

        async def one_chunk() -> AsyncIterator[bytes]:
            yield data
        chunks = one_chunk()
    return AnalyzeCommand(coach=item.coach, technique=item.technique, video_label=item.video, url=item.url,
                          chunks=chunks, device=item.device, body_mass_kg=item.body_mass_kg,
                          analysis_id=item.analysis_id)


def _payload(batch_id: str, position: int) -> bytes:
    return json.dumps({"batch": batch_id, "position": position}).encode()


def _required(principal: Principal | None) -> Principal:
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    return principal
