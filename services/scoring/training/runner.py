"""Runs queued training jobs in worker processes, records their progress, resumes orphaned jobs.

Any number of scoring replicas run a runner against one database. A job is run by whoever holds its
PostgreSQL advisory lock, taken on a connection of its own: when a runner's process dies its
connection drops, the lock goes with it, and the next runner to look (at its start, then every
POLL_SECONDS) claims the job and resumes it from the newest complete checkpoint. No lease timeout,
no heartbeat, no job run twice at once. An attempt ended on purpose (the runner stopping, a database
error) is given back to the job; only those ended by the death of their process count to MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from services.kit import errors
from services.scoring.training.checkpoints import (KEEP_CHECKPOINTS, checkpoint_path, checkpoints, newest_checkpoint,
                                                    prune_checkpoints, shown_checkpoint, user_folder)
from services.scoring.training.jobs import write_inputs
from services.scoring.training.paths import REFERENCES_PREFIX, under
from services.scoring.training.process import TrainingWorker, domain_error
from services.scoring.training.store import Job, JobStore

log = logging.getLogger("kataforge.training")

POLL_SECONDS = 1.0
MAX_ATTEMPTS = 5  # a job whose every attempt ends with its process (out of memory?) must not loop forever
LOCK_CLASS = 0x4B46_5452  # first key of the two-key advisory locks: "KFTR", training jobs
# Database errors that say nothing about the job (connection lost, server restarting, overloaded, a
# deadlock): its attempt is abandoned and resumed later, never failed for them. Not OSError as a whole:
# a file system error (a checkpoint folder it may not write) would resume, and fail, forever.
TRANSIENT = (ConnectionError, socket.gaierror, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
             asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.InsufficientResourcesError,
             asyncpg.exceptions.TransactionRollbackError)
INTERRUPTED = ("Training interrupted: its scoring process stopped (or lost the database); it resumes from its "
               "last checkpoint on the next scoring process")


def lock_key(job_id: str) -> int:
    return zlib.crc32(job_id.encode()) - (1 << 31)  # into int4's range


@dataclass
class _Running:
    job: Job
    task: asyncio.Task | None = None
    worker: TrainingWorker | None = None
    cancelled: bool = False  # the job was cancelled in the database: stop, record nothing
    abandoned: bool = False  # runner stopping, lock or database lost: stop, leave the job to be resumed


class TrainingRunner:
    def __init__(self, store: JobStore, database_url: str, *, datasets_root: Path, checkpoints_root: Path,
                 concurrency: int = 1) -> None:
        self.store, self.database_url = store, database_url
        self.datasets_root, self.checkpoints_root = datasets_root, checkpoints_root
        self.concurrency = concurrency
        self.running: dict[str, _Running] = {}
        self._wake = asyncio.Event()
        self._lock_conn: asyncpg.Connection | None = None
        self._lock_guard = asyncio.Lock()  # one query at a time on the lock connection
        self._loop_task: asyncio.Task | None = None

    async def start(self) -> None:
        self._lock_conn = await asyncpg.connect(self.database_url)
        self._loop_task = asyncio.create_task(self._loop(), name="training-runner")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop the workers and leave their jobs in progress: the next runner resumes them."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for running in list(self.running.values()):
            running.abandoned = True
            if running.worker is not None:
                running.worker.stop()
        tasks = [r.task for r in self.running.values() if r.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._lock_conn is not None:
            await self._lock_conn.close()  # releases every lock this runner held

    async def _loop(self) -> None:
        while True:
            try:
                await self._tick()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("training runner: database unavailable (%s); retrying", exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()

    async def _tick(self) -> None:
        if self._lock_conn is None or self._lock_conn.is_closed():
            # Our locks died with the connection: another runner may take our jobs now, so let go.
            for running in self.running.values():
                running.abandoned = True
                if running.worker is not None:
                    running.worker.stop()
            self._lock_conn = await asyncpg.connect(self.database_url)
        if self.running:
            statuses = await self.store.statuses(list(self.running))
            for job_id, running in list(self.running.items()):
                if statuses.get(job_id) != "in_progress" and not running.cancelled:
                    running.cancelled = True
                    if running.worker is not None:
                        running.worker.stop()
        if len(self.running) >= self.concurrency:
            return
        for job_id in await self.store.active_ids():
            if len(self.running) >= self.concurrency:
                break
            if job_id in self.running or not await self._lock(job_id):
                continue
            job = await self.store.claim(job_id)
            if job is None or job.attempts > MAX_ATTEMPTS:  # it ended meanwhile, or it keeps taking runners down
                if job is not None:
                    reason = f"Gave up after {MAX_ATTEMPTS} attempts: each ended with its scoring process"
                    await self.store.fail(job_id, reason, f"Training failed: {reason}")
                await self._unlock(job_id)
                continue
            running = self.running[job_id] = _Running(job)
            running.task = asyncio.create_task(self._run(running), name=f"training-{job_id}")

    async def _lock(self, job_id: str) -> bool:
        async with self._lock_guard:
            return bool(await self._lock_conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS,
                                                       lock_key(job_id)))

    async def _unlock(self, job_id: str) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            async with self._lock_guard:
                await self._lock_conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, lock_key(job_id))

    async def _run(self, running: _Running) -> None:
        job = running.job
        try:
            with tempfile.TemporaryDirectory(prefix=f"kataforge-{job.id}-") as tmp:
                await self._attempt(running, Path(tmp))
        except TRANSIENT as exc:
            log.warning("training %s: database unavailable (%s); left to be resumed", job.id, exc)
            running.abandoned = True
        except errors.DomainError as exc:
            await self._fail(running, exc.message)
        except Exception as exc:  # noqa: BLE001 - any bug must end as a failed job, not a silent hang
            log.exception("training %s: runner error", job.id)
            await self._fail(running, f"Internal error in the training runner: {type(exc).__name__}")
        finally:
            if running.abandoned and not running.cancelled:
                await self._release(job.id)
            self.running.pop(job.id, None)
            await self._unlock(job.id)
            self.wake()  # the next queued job (or this one, abandoned) may start now

    async def _fail(self, running: _Running, reason: str) -> None:
        if running.abandoned or running.cancelled:
            return
        try:
            await self.store.fail(running.job.id, reason, f"Training failed: {reason}")
        except TRANSIENT as exc:  # still in progress: the next claim retries it (as a crashed attempt)
            log.warning("training %s: could not record its failure (%s): %s", running.job.id, exc, reason)

    async def _release(self, job_id: str) -> None:
        try:
            await self.store.release(job_id, INTERRUPTED)
        except TRANSIENT as exc:
            log.warning("training %s: could not record its interruption (%s); it counts as a failed attempt",
                        job_id, exc)

    async def _start_point(self, job: Job, checkpoint_dir: Path) -> Path | None:
        """The checkpoint this attempt resumes from: its own newest epoch, else the one it was asked to
        resume from (submission refused a folder holding another run's epochs, so any here are this job's)."""
        if found := checkpoints(checkpoint_dir):
            return found[-1]
        if not job.resume_from:
            return None
        latest = newest_checkpoint(checkpoint_path(self.checkpoints_root, job.owner_id, job.resume_from))
        if latest is None:
            # Checkpoints live on one replica's disk: another replica's (or a since-deleted) folder is not
            # here. Starting over beats failing a job whose data is fine.
            shown = shown_checkpoint(job.owner_id, job.resume_from)
            log.warning("training %s: no checkpoint to resume from on this replica; starting from epoch 1", job.id)
            await self.store.log(job.id, f"The checkpoints to resume from ({shown}) were not found on this replica: "
                                         "training starts from epoch 1", "warning")
        return latest

    def _public_paths(self, job: Job, data_path: Path, checkpoint_dir: Path) -> dict[str, str]:
        """This server's absolute paths -> what the job's owner may see in an error message."""
        paths = {str(self.datasets_root.resolve()): "<datasets root>", str(data_path): job.data_dir,
                 str(self.checkpoints_root.resolve()): "<checkpoints root>",
                 str((self.checkpoints_root / user_folder(job.owner_id)).resolve()): "<your checkpoints>",
                 str(checkpoint_dir): shown_checkpoint(job.owner_id, job.checkpoint_dir)}
        if job.resume_from:
            with contextlib.suppress(errors.DomainError):
                paths[str(checkpoint_path(self.checkpoints_root, job.owner_id, job.resume_from))] = \
                    shown_checkpoint(job.owner_id, job.resume_from)
        return paths

    async def _attempt(self, running: _Running, tmp: Path) -> None:
        job = running.job
        if job.data_dir.startswith(REFERENCES_PREFIX):
            data_path = tmp / "data"
            data_path.mkdir()
            await asyncio.to_thread(write_inputs, data_path, await self.store.inputs(job.id))
        else:
            data_path = under(self.datasets_root, job.data_dir)
        checkpoint_dir = checkpoint_path(self.checkpoints_root, job.owner_id, job.checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        latest = await self._start_point(job, checkpoint_dir)
        crashed = job.attempts - 1
        started = await self.store.log_while_running(
            job.id, "Training started" + (f", resuming from {latest.name}" if latest else "")
            + (f" ({crashed} earlier attempt{'s' * (crashed > 1)} ended with their scoring process)"
               if crashed > 0 else ""))
        if not started:  # cancelled while its data was being prepared: no worker, and the cancel stays last
            return
        spec = {"mode": "train", "model_type": job.model_type, "epochs": job.epochs, "batch_size": job.batch_size,
                "learning_rate": job.learning_rate, "device": job.device, "data_path": str(data_path),
                "data_label": job.data_dir, "checkpoint_dir": str(checkpoint_dir),
                "public_paths": self._public_paths(job, data_path, checkpoint_dir),
                "resume_from": str(latest) if latest else "", "out_dir": str(tmp)}
        running.worker = worker = await TrainingWorker.spawn(spec, self.concurrency)
        if running.cancelled or running.abandoned:  # stopped while it was being spawned
            worker.stop()
        outcome: dict = {}
        try:
            async for record in worker.records():
                if running.cancelled:
                    continue  # it is stopping: read it to its end, record nothing more
                try:
                    await self._record(job, record, checkpoint_dir, outcome)
                except TRANSIENT as exc:
                    # The epoch is in its checkpoint; the job resumes from it on the next claim (here or
                    # on another replica) rather than failing for a database hiccup.
                    log.warning("training %s: database unavailable while recording progress (%s); "
                                "stopping the worker, the job will resume", job.id, exc)
                    running.abandoned = True
                    worker.stop()
        except BaseException:
            worker.stop()  # a runner error must not leave the worker training unwatched
            await asyncio.shield(worker.wait())
            raise
        rc = await worker.wait()
        if running.abandoned or running.cancelled:
            return
        if "done" in outcome and rc == 0:
            onnx = await asyncio.to_thread((tmp / "model.onnx").read_bytes)
            accuracy = outcome["done"]["manifest"].get("accuracy")
            about = f", held-out accuracy {accuracy:.3f}" if isinstance(accuracy, (int, float)) else ""
            await self.store.complete(job, onnx, outcome["done"]["manifest"],
                                      f"Training completed: {job.model_type} version {{version}} for coach "
                                      f"{job.coach} registered{about}")
        else:
            await self._fail(running, outcome.get("failure") or worker.failure_reason(rc, f"training {job.id}"))

    async def _record(self, job: Job, record: dict, checkpoint_dir: Path, outcome: dict) -> None:
        event = record["event"]
        if event == "epoch":
            await self._epoch(job, record)
            await asyncio.to_thread(prune_checkpoints, checkpoint_dir, KEEP_CHECKPOINTS)
        elif event == "dataset":
            techniques = ", ".join(f"{k} ({v})" for k, v in record.get("techniques", {}).items())
            await self.store.log(job.id, f"Loaded {record.get('samples')} samples: {techniques}")
        elif event == "device":
            await self.store.log(job.id, f"Training on {record.get('device')}")
        elif event == "done":
            outcome["done"] = record
        elif event == "error":
            outcome["failure"] = domain_error(record.get("error") or {}).message

    async def _epoch(self, job: Job, record: dict) -> None:
        progress = {k: record.get(k) for k in ("train_loss", "val_loss", "val_accuracy", "best_accuracy")}
        progress.update(current_epoch=int(record["epoch"]), total_epochs=int(record.get("total_epochs", job.epochs)))
        measured = ", ".join(f"{k} {v:.4g}" for k in ("train_loss", "val_loss", "val_accuracy")
                             if isinstance(v := progress[k], (int, float)))
        message = f"Epoch {progress['current_epoch']}/{progress['total_epochs']} completed" + \
            (f": {measured}" if measured else "")
        await self.store.record_epoch(job.id, progress, float(record.get("seconds", 0.0)), message)
