"""The job store and the jobs core against a database of their own (no runner): model versions under
concurrent completions, attempts given back, cancel racing completion, resuming where checkpoints are missing."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from services.kit import errors
from services.scoring.training.jobs import TrainingJobs
from services.scoring.training.runner import TrainingRunner
from services.scoring.training.store import JobStore
from testkit.principals import COACH_USER
from testkit.training_jobs import running_job


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
