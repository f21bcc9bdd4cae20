"""The job store and the jobs core against a database of their own (no runner): model versions under
concurrent completions, attempts given back, cancel racing completion, resuming where checkpoints are missing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from services.kit import errors
from services.kit.db import migrate
from services.scoring.training.jobs import TrainingJobs
from services.scoring.training.runner import TrainingRunner
from services.scoring.training.store import Job, JobStore
from tests.scoring.training.conftest import COACH_USER


@pytest.fixture(scope="module")
async def pool(pg_url):
    """A fresh database with the scoring schema, and no scoring service (so no runner) on it."""
    name = f"training_store_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, "scoring", "services.scoring.migrations")
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(url, min_size=2, max_size=10, server_settings={"search_path": "scoring"})
    yield pool
    await pool.close()


def new_job(coach: str, **changes) -> Job:
    job_id = f"train_{uuid.uuid4().hex[:20]}"
    fields = dict(id=job_id, owner_id=COACH_USER.user_id, coach=coach, model_type="style_encoder", data_dir="small",
                  epochs=2, batch_size=8, learning_rate=0.001, device="cpu",
                  checkpoint_dir=f"{COACH_USER.user_id}/{job_id}", resume_from="", status="queued", progress=None,
                  epoch_seconds=0.0, epochs_timed=0, progress_at=None, attempts=0, error="", model_version=None,
                  created_at=datetime.now(timezone.utc), started_at=None, finished_at=None)
    fields.update(changes)
    return Job(**fields)


async def running_job(store: JobStore, coach: str, **changes) -> Job:
    job = new_job(coach, **changes)
    await store.insert(job, "queued")
    claimed = await store.claim(job.id)
    assert claimed is not None and claimed.status == "in_progress"
    return claimed


async def test_concurrent_completions_get_consecutive_versions(pool):
    """Jobs of one coach and model type finishing together: every model is registered, none is lost."""
    store, coach = JobStore(pool), f"c_{uuid.uuid4().hex[:8]}"
    for _ in range(3):  # the race is timing-dependent: several rounds
        finished = [await running_job(store, coach) for _ in range(4)]
        versions = await asyncio.gather(*(store.complete(job, b"onnx", {"accuracy": 0.5}, "v{version}")
                                          for job in finished))
        assert None not in versions
        statuses = await store.statuses([job.id for job in finished])
        assert set(statuses.values()) == {"completed"}
    rows = await pool.fetch("SELECT version FROM trained_models WHERE coach = $1 ORDER BY version", coach)
    assert [r["version"] for r in rows] == list(range(1, 13))


async def test_a_released_attempt_does_not_count(pool):
    store = JobStore(pool)
    job = await running_job(store, "c_release")
    assert job.attempts == 1
    await store.release(job.id, "Training interrupted")
    assert (await store.get(job.id)).attempts == 0
    assert (await store.logs(job.id))[-1].level == "warning"
    assert (await store.claim(job.id)).attempts == 1  # the next runner's attempt


class _FinishingStore(JobStore):
    """Completes the job just before the cancel reaches the database: the race the user can lose."""

    async def cancel(self, job_id: str, message: str) -> bool:
        job = await self.get(job_id)
        assert await self.complete(job, b"onnx", {}, "done") is not None
        return await super().cancel(job_id, message)


def training_jobs(store: JobStore, tmp_path: Path) -> TrainingJobs:
    return TrainingJobs(store, registry=None, coaches=None, checker=None, references=None, datasets_root=tmp_path,
                        checkpoints_root=tmp_path, max_epochs=10, concurrency=1)


async def test_cancel_losing_the_race_to_completion_is_a_conflict(pool, tmp_path):
    store = _FinishingStore(pool)
    job = await running_job(store, "c_race")
    with pytest.raises(errors.Conflict) as caught:
        await training_jobs(store, tmp_path).cancel(job.id, COACH_USER)
    assert "completed" in caught.value.message and caught.value.details == {"status": "completed"}
    assert (await store.get(job.id)).status == "completed"
    assert not any("cancelled" in line.message for line in await store.logs(job.id))


async def test_cancelling_a_running_job(pool, tmp_path):
    store = JobStore(pool)
    job = await running_job(store, "c_cancel")
    view = await training_jobs(store, tmp_path).cancel(job.id, COACH_USER)
    assert view.job.status == "cancelled" and view.logs[-1].message == "Training cancelled by sensei"
    again = await training_jobs(store, tmp_path).cancel(job.id, COACH_USER)  # idempotent
    assert again.job.status == "cancelled"


async def test_resume_checkpoints_missing_on_this_replica_start_from_epoch_one(pool, tmp_path):
    """resume_from was checked where the job was submitted; this replica's disk does not have it."""
    store = JobStore(pool)
    job = await running_job(store, "c_resume", resume_from=f"{COACH_USER.user_id}/elsewhere")
    runner = TrainingRunner(store, "", datasets_root=tmp_path, checkpoints_root=tmp_path)
    own = tmp_path / COACH_USER.user_id / job.id
    own.mkdir(parents=True)
    assert await runner._start_point(job, own) is None
    line = (await store.logs(job.id))[-1]
    assert line.level == "warning"
    assert line.message == ("The checkpoints to resume from (elsewhere) were not found on this replica: "
                            "training starts from epoch 1")
    # Once the job has epochs of its own, it resumes from them.
    (own / "epoch_0002.pt").write_bytes(b"x")
    assert await runner._start_point(job, own) == own / "epoch_0002.pt"
