"""Training jobs run in real worker processes: progress, registry, restart durability, crashes, cancellation."""

import asyncio
import json
import os
import signal

import asyncpg
import grpc
import onnxruntime as ort
import psutil
import pytest

from kataforge.scoring.v1 import scoring_pb2
from services.scoring.training.registry import ModelRegistry
from services.scoring.training.store import JobStore, ModelStore
from services.scoring.training.worker import MAX_ADDRESS_SPACE
from testkit.principals import ADMIN, COACH_USER, STUDENT
from testkit.training_jobs import as_, wait_for

WORKER = "services.scoring.training.worker"


def start(coach_id, **fields):
    base = dict(model_type="style_encoder", coach=coach_id, data_dir="small", epochs=2, batch_size=16, device="cpu",
                learning_rate=0.003)
    base.update(fields)
    return scoring_pb2.StartTrainingRequest(**base)


def workers() -> list[psutil.Process]:
    """Live training workers started by this process (the scoring services run in it)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if WORKER in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:  # ended (or became a zombie) while being looked at
            pass
    return found


async def no_workers(timeout=30.0) -> bool:
    for _ in range(int(timeout / 0.2)):
        if not workers():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_job_trains_and_registers_its_model(stub, coach_id, db, training_settings, tmp_path):
    job = await stub.StartTraining(start(coach_id), metadata=await as_(COACH_USER))
    assert job.training_id.startswith("train_") and job.status in ("started", "queued")
    assert (job.epochs, job.batch_size, job.device, job.data_dir) == (2, 16, "cpu", "small")
    assert not job.HasField("estimated_completion")  # nothing measured yet
    running = await wait_for(stub, job.training_id, ("completed", "failed"),
                             until=lambda j: j.status == "in_progress" and j.progress.current_epoch == 1)
    if running.status == "in_progress":  # caught between the two epochs: the estimate comes from epoch 1's time
        assert running.HasField("estimated_completion")
        assert running.estimated_completion.ToDatetime() >= running.logs[-1].timestamp.ToDatetime()
    done = await wait_for(stub, job.training_id, ("completed", "failed"))
    messages = [line.message for line in done.logs]
    assert done.status == "completed", messages
    assert done.progress.current_epoch == done.progress.total_epochs == 2
    assert 0.0 <= done.progress.val_accuracy <= 1.0 and done.progress.best_accuracy >= done.progress.val_accuracy
    assert messages[0].startswith("Training queued by sensei") and "Epoch 2/2 completed" in " ".join(messages)
    assert any(m.startswith("Loaded 7 samples") for m in messages)
    assert done.model_version == "1" and messages[-1].startswith("Training completed: style_encoder version 1")

    # The registry serves it to the analysis code, from the database (any replica, no restart).
    pool = await asyncpg.create_pool(training_settings.database_url, min_size=1, max_size=2,
                                     server_settings={"search_path": "scoring"})
    try:
        registry = ModelRegistry(ModelStore(pool), tmp_path)
        version, onnx, manifest = await registry.latest(coach_id, "style_encoder")
        assert version == 1 and await registry.latest_version(coach_id, "style_encoder") == 1
        assert await registry.latest(coach_id, "graphsage") is None and await registry.latest("nobody", "style_encoder") is None
    finally:
        await pool.close()
    assert manifest["classes"] == ["front_kick", "roundhouse"] and manifest["epochs"] == 2
    session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["pose"]

    listed = await stub.ListModels(scoring_pb2.ListModelsRequest(coach=coach_id), metadata=await as_(STUDENT))
    mine = [m for m in listed.models if m.coach == coach_id]
    assert [(m.name, m.type, m.version, m.training_id) for m in mine] == [
        ("style_encoder", "style_embedding", "1", job.training_id)]
    assert mine[0].embedding_dim == manifest["embedding_dim"] and mine[0].accuracy == pytest.approx(manifest["accuracy"])
    assert list(mine[0].classes) == ["front_kick", "roundhouse"]

    # The project's default models are files built by make: listed with coach "" once they exist.
    default_dir = os.path.join(training_settings.model_dir, "scoring")
    os.makedirs(default_dir, exist_ok=True)
    with open(os.path.join(default_dir, "style_encoder.onnx"), "wb") as f:
        f.write(onnx)
    with open(os.path.join(default_dir, "style_encoder.json"), "w") as f:
        json.dump(manifest, f)
    try:
        listed = await stub.ListModels(scoring_pb2.ListModelsRequest(), metadata=await as_(STUDENT))
        defaults = [m for m in listed.models if not m.coach]
        assert [(m.name, m.version) for m in defaults] == [("style_encoder", "0.1.0")]
        assert listed.total == len(listed.models) >= 2
    finally:
        for name in ("style_encoder.onnx", "style_encoder.json"):
            os.remove(os.path.join(default_dir, name))


async def test_a_job_survives_a_restart_of_the_scoring_service(stub, coach_id, db, scoring):
    job = await stub.StartTraining(start(coach_id, epochs=5, data_dir="./small/../small"), metadata=await as_(COACH_USER))
    await wait_for(stub, job.training_id, ("completed", "failed"), until=lambda j: j.progress.current_epoch >= 1)
    await scoring.stop()  # mid-training: the worker is stopped, the job stays in progress
    status, attempts = await db.fetchrow("SELECT status, attempts FROM training_jobs WHERE id = $1", job.training_id)
    # A graceful stop does not count against the job: rolling restarts must not use up its attempts.
    assert (status, attempts) == ("in_progress", 0)
    assert await no_workers()
    await scoring.start()  # a new process on the same database resumes it
    done = await wait_for(stub, job.training_id, ("completed", "failed", "cancelled"))
    messages = [line.message for line in done.logs]
    assert done.status == "completed", messages
    epochs = [m.split(" ")[1] for m in messages if m.startswith("Epoch ")]
    assert epochs == [f"{n}/5" for n in range(1, 6)], messages  # each epoch once: nothing repeated from 0
    assert any("interrupted" in m for m in messages)
    assert any(m.startswith("Training started, resuming from epoch_000") for m in messages), messages
    assert not any("earlier attempt" in m for m in messages)
    assert await db.fetchval("SELECT attempts FROM training_jobs WHERE id = $1", job.training_id) == 1
    manifest = json.loads(await db.fetchval(
        "SELECT manifest FROM trained_models WHERE training_id = $1", job.training_id))
    assert manifest["training"]["resumed_from_epoch"] >= 1
    folder = scoring.settings.checkpoints_path / COACH_USER.user_id / done.checkpoint_dir  # the owner's folder
    assert sorted(p.name for p in folder.iterdir()) == ["epoch_0003.pt", "epoch_0004.pt", "epoch_0005.pt"]  # pruned

    # A user resumes that run for one more epoch; a checkpoint of another model type is refused up front.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(start(coach_id, model_type="graphsage", epochs=6, resume_from=done.checkpoint_dir),
                                 metadata=await as_(COACH_USER))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "style_encoder checkpoint" in caught.value.details()
    more = await stub.StartTraining(start(coach_id, epochs=6, resume_from=done.checkpoint_dir), metadata=await as_(COACH_USER))
    more = await wait_for(stub, more.training_id, ("completed", "failed"))
    messages = [line.message for line in more.logs]
    assert more.status == "completed", messages
    assert [m.split(" ")[1] for m in messages if m.startswith("Epoch ")] == ["6/6"]
    assert more.model_version == "2"  # the coach's second style_encoder


async def test_a_worker_crash_fails_the_job_with_the_reason(stub, coach_id, db):
    job = await stub.StartTraining(start(coach_id, epochs=20), metadata=await as_(COACH_USER))
    await wait_for(stub, job.training_id, ("completed", "failed"), until=lambda j: j.progress.current_epoch >= 1)
    for process in workers():
        # A CPU worker runs with its address space capped: a runaway dataset ends it, not the machine.
        assert process.rlimit(psutil.RLIMIT_AS)[0] == MAX_ADDRESS_SPACE
        os.kill(process.pid, signal.SIGKILL)
    done = await wait_for(stub, job.training_id, ("completed", "failed"))
    assert done.status == "failed"
    assert "killed by signal SIGKILL" in done.error
    assert "/" not in done.error  # the worker's stderr (server paths) goes to the server's log only
    assert done.logs[-1].level == "error" and "SIGKILL" in done.logs[-1].message
    assert await db.fetchval("SELECT count(*) FROM trained_models WHERE training_id = $1", job.training_id) == 0


async def test_cancelling_stops_the_worker_and_registers_nothing(stub, coach_id, db):
    job = await stub.StartTraining(start(coach_id, epochs=20), metadata=await as_(COACH_USER))
    await wait_for(stub, job.training_id, ("completed", "failed"), until=lambda j: j.status == "in_progress" and workers())
    cancelled = await stub.CancelTraining(scoring_pb2.CancelTrainingRequest(training_id=job.training_id),
                                          metadata=await as_(COACH_USER))
    assert cancelled.status == "cancelled" and cancelled.HasField("completed_at")
    assert await no_workers()
    again = await stub.CancelTraining(scoring_pb2.CancelTrainingRequest(training_id=job.training_id),
                                      metadata=await as_(ADMIN))
    assert again.status == "cancelled"  # idempotent
    assert await db.fetchval("SELECT count(*) FROM trained_models WHERE training_id = $1", job.training_id) == 0


async def test_a_database_error_while_recording_an_epoch_resumes_the_job(stub, coach_id, db, monkeypatch):
    """A lost connection while an epoch is recorded: the attempt is abandoned and resumed, not failed."""
    failed: list[str] = []
    record_epoch = JobStore.record_epoch

    async def flaky(self, job_id, progress, seconds, message):
        if job_id == job.training_id and not failed:
            failed.append(message)
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        await record_epoch(self, job_id, progress, seconds, message)

    monkeypatch.setattr(JobStore, "record_epoch", flaky)  # the scoring service runs in this process
    job = await stub.StartTraining(start(coach_id, epochs=3), metadata=await as_(COACH_USER))
    done = await wait_for(stub, job.training_id, ("completed", "failed", "cancelled"))
    messages = [line.message for line in done.logs]
    assert len(failed) == 1 and failed[0].startswith("Epoch 1/3 completed")
    assert done.status == "completed", messages
    assert any("interrupted" in m for m in messages)
    assert any(m.startswith("Training started, resuming from epoch_0001.pt") for m in messages), messages
    assert [m.split(" ")[1] for m in messages if m.startswith("Epoch ")] == ["2/3", "3/3"]  # epoch 1 was kept
    assert await db.fetchval("SELECT attempts FROM training_jobs WHERE id = $1", job.training_id) == 1
