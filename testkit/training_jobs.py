"""What the training tests act with: call metadata for a principal, real CMU repetitions as pose-sequence
documents, polling a job, jobs put straight into the store."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from kataforge.scoring.v1 import scoring_pb2
from services.kit.context import Principal
from services.kit.paths import CMU_KARATE as CMU
from services.scoring.training.store import Job, JobStore
from testkit.principals import COACH_USER

# The credentials as_() mints with: set by the training tests' conftest (a session fixture) before any test.
CALLERS: dict = {}


async def as_(principal: Principal | None, audience: str = "scoring") -> tuple:
    """Call metadata for acting as `principal`: an internal token for `audience`, as the edge would send."""
    if principal is None:
        return ()
    token = await CALLERS["credentials"].token(principal, audience)
    return (("authorization", f"Bearer {token}"),)


def cmu_documents(clips: tuple[str, ...] = ("04", "07"), stride: int = 4) -> list[dict]:
    """Real repetitions cut from CMU clips (front kick, roundhouse by default) as pose-sequence JSON,
    120 Hz thinned to 30 Hz like a video (and the pose service's output)."""
    import tempfile
    from services.scoring.mocap.cmu import cmu_samples
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(CMU / "135.asf", Path(tmp) / "135.asf")
        for clip in clips:
            os.symlink(CMU / f"135_{clip}.amc", Path(tmp) / f"135_{clip}.amc")
        samples = cmu_samples(Path(tmp))
    docs = []
    for s in samples:
        t, world, vis = s.t[::stride], s.world[::stride].copy(), s.visibility[::stride]
        # The markers carry no eyes or mouth (NaN); JSON has no NaN, so they sit on the nose, unseen.
        unknown = np.isnan(world).any(axis=2)
        world[unknown] = np.broadcast_to(world[:, :1], world.shape)[unknown]
        assert np.isfinite(world).all() and (vis[unknown] == 0).all()
        frames = [{"timestamp_ms": round(float(ti) * 1000.0, 3),
                   "landmarks": np.round(np.concatenate([w, v[:, None]], axis=1), 5).tolist()}
                  for ti, w, v in zip(t, world, vis)]
        docs.append({"technique": s.technique, "fps": 30.0, "frames": frames, "source": s.source})
    return docs


async def wait_for(stub, training_id: str, statuses: tuple[str, ...], principal=COACH_USER, timeout=300.0,
                   until=None):
    """Poll GetTraining until the status is one of `statuses` (or `until(job)` holds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = await stub.GetTraining(scoring_pb2.GetTrainingRequest(training_id=training_id),
                                     metadata=await as_(principal))
        if job.status in statuses or (until is not None and until(job)):
            return job
        assert asyncio.get_running_loop().time() < deadline, f"still {job.status}: {[l.message for l in job.logs]}"
        await asyncio.sleep(0.2)


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
