"""Training-job changes pushed by PostgreSQL (JobChanges) and the jobs core's watch over them, against a
database of their own: every epoch in order even when several end at once, the status changes, the end;
a lost LISTEN connection loses nothing; another user's job is not found."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest

from services.kit import errors
from services.scoring.training import changes as changes_module
from services.scoring.training.changes import JobChanges
from services.scoring.training.jobs import TrainingJobs
from services.scoring.training.store import JobStore
from testkit.principals import COACH_USER, OTHER_COACH
from testkit.training_jobs import running_job


def _jobs(store: JobStore, dsn: str, tmp_path) -> TrainingJobs:
    return TrainingJobs(store, registry=None, coaches=None, checker=None, references=None, datasets_root=tmp_path,
                        checkpoints_root=tmp_path, max_epochs=10, concurrency=1, changes=JobChanges(dsn))


def _epoch(n: int, total: int = 3) -> dict:
    return {"current_epoch": n, "total_epochs": total, "train_loss": 1.0 / n, "val_loss": None,
            "val_accuracy": 0.5, "best_accuracy": 0.5}


@asynccontextmanager
async def watched(jobs: TrainingJobs, job_id: str):
    """What jobs.watch(job_id) yields, as (arrival time, item), filled in the background from the first item
    on; on leaving, the watch must have ended by itself (the job's final state) within 10 s."""
    got, first = [], asyncio.Event()

    async def collect() -> None:
        async for item in jobs.watch(job_id, COACH_USER):
            got.append((time.monotonic(), item))
            first.set()

    watcher = asyncio.create_task(collect())
    try:
        await asyncio.wait_for(first.wait(), 10)
        yield got
        await asyncio.wait_for(watcher, 10)
    finally:
        watcher.cancel()
        await jobs.changes.close()


def _summary(items: list) -> list:
    return [("epoch", item["current_epoch"]) if isinstance(item, dict) else ("job", item.status) for _, item in items]


async def test_every_epoch_in_order_then_the_final_state(pool, store_db, tmp_path):
    store = JobStore(pool)
    jobs = _jobs(store, store_db, tmp_path)
    job = await running_job(store, "c_watch", epochs=3)
    async with watched(jobs, job.id) as got:
        sent = time.monotonic()
        await store.record_epoch(job.id, _epoch(1), 0.1, "Epoch 1/3 completed")
        await store.record_epoch(job.id, _epoch(2), 0.1, "Epoch 2/3 completed")  # two before any re-read
        await asyncio.sleep(0.3)
        await store.record_epoch(job.id, _epoch(3), 0.1, "Epoch 3/3 completed")
        await store.complete(await store.get(job.id), b"onnx", {"accuracy": 0.5}, "done")
    assert _summary(got) == [("job", "in_progress"), ("epoch", 1), ("epoch", 2), ("epoch", 3), ("job", "completed")]
    # Pushed, not found by the periodic re-read: the first epoch arrives well within the safety interval.
    assert got[1][0] - sent < changes_module.SAFETY_S / 2
    assert got[3][1]["train_loss"] == pytest.approx(1 / 3)


async def test_a_lost_listen_connection_loses_no_epoch(pool, store_db, tmp_path, monkeypatch):
    monkeypatch.setattr(changes_module, "SAFETY_S", 0.5)
    store = JobStore(pool)
    jobs = _jobs(store, store_db, tmp_path)
    job = await running_job(store, "c_watch_lost", epochs=2)
    async with watched(jobs, job.id) as got:
        # The database ends the listening session (as a restart or a failover would).
        killed = await pool.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
        assert killed >= 1
        await store.record_epoch(job.id, _epoch(1, 2), 0.1, "Epoch 1/2 completed")
        await asyncio.sleep(1.0)
        await store.record_epoch(job.id, _epoch(2, 2), 0.1, "Epoch 2/2 completed")
        await store.cancel(job.id, "Training cancelled by sensei")
    assert _summary(got) == [("job", "in_progress"), ("epoch", 1), ("epoch", 2), ("job", "cancelled")]


async def test_a_finished_job_is_told_once_and_another_users_job_is_not_found(pool, store_db, tmp_path):
    store = JobStore(pool)
    jobs = _jobs(store, store_db, tmp_path)
    job = await running_job(store, "c_watch_done", epochs=1)
    await store.record_epoch(job.id, _epoch(1, 1), 0.1, "Epoch 1/1 completed")
    await store.complete(await store.get(job.id), b"onnx", {}, "done")
    try:
        got = [item async for item in jobs.watch(job.id, COACH_USER)]
        assert len(got) == 1 and got[0].status == "completed" and got[0].job.progress["current_epoch"] == 1
        with pytest.raises(errors.NotFound):
            async for _ in jobs.watch(job.id, OTHER_COACH):
                pass
    finally:
        await jobs.changes.close()
