"""StartTraining refuses bad input with the right status before storing anything; jobs are private."""

import json
import uuid
from pathlib import Path

import grpc
import pytest

from kataforge.coach.v1 import coach_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.scoring.training import jobs
from testkit.principals import ADMIN, COACH_USER, OTHER_COACH, STUDENT
from testkit.training_jobs import as_

BAD = grpc.StatusCode.INVALID_ARGUMENT
UNUSABLE = grpc.StatusCode.FAILED_PRECONDITION  # 422 validation_error at the edge


def request(coach_id, **fields):
    base = dict(model_type="style_encoder", coach=coach_id, data_dir="small", epochs=1, batch_size=8, device="cpu")
    base.update(fields)
    return scoring_pb2.StartTrainingRequest(**base)


def error_body(exc: grpc.aio.AioRpcError) -> dict:
    return next(json.loads(v) for k, v in exc.trailing_metadata() if k == "kataforge-error")


async def counts(db) -> tuple[int, int]:
    return (await db.fetchval("SELECT count(*) FROM training_jobs"),
            await db.fetchval("SELECT count(*) FROM training_logs"))


def test_the_scoring_process_never_imports_torch():
    """Training runs in worker processes; the service itself must stay free of torch (memory, start-up)."""
    import subprocess
    import sys
    code = ("import sys, services.scoring.main, services.scoring.training.jobs; "
            "print('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


@pytest.mark.parametrize("fields,code,field", [
    ({"data_dir": "../"}, BAD, "data_dir"),
    ({"data_dir": "/etc"}, BAD, "data_dir"),
    ({"data_dir": "escape"}, BAD, "data_dir"),  # a symlink out of the root
    ({"data_dir": "missing"}, BAD, "data_dir"),
    ({"data_dir": ""}, BAD, "data_dir"),
    ({"data_dir": "empty"}, UNUSABLE, "data_dir"),
    ({"data_dir": "junk"}, UNUSABLE, "data_dir"),
    ({"data_dir": "one"}, UNUSABLE, "data_dir"),  # a classifier needs two techniques
    ({"epochs": 0}, BAD, "epochs"),
    ({"epochs": 10**9}, BAD, "epochs"),
    ({"batch_size": 0}, BAD, "batch_size"),
    ({"batch_size": 257}, BAD, "batch_size"),
    ({"learning_rate": 0.0}, BAD, "learning_rate"),
    ({"learning_rate": 1.5}, BAD, "learning_rate"),
    ({"learning_rate": float("nan")}, BAD, "learning_rate"),
    ({"device": "tpu"}, BAD, "device"),
    ({"model_type": "resnet50"}, BAD, "model_type"),
    ({"model_type": ""}, BAD, "model_type"),
    ({"resume_from": "nowhere"}, BAD, "resume_from"),
    ({"resume_from": "../../etc"}, BAD, "resume_from"),
    ({"checkpoint_dir": "../up"}, BAD, "checkpoint_dir"),
])
async def test_bad_input_is_refused_and_nothing_is_stored(stub, coach_id, db, training_settings, fields, code, field):
    before = await counts(db)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request(coach_id, **fields), metadata=await as_(COACH_USER))
    assert caught.value.code() == code, caught.value.details()
    body = error_body(caught.value)
    assert field in body.get("details", {}), body
    assert training_settings.datasets_path.as_posix() not in json.dumps(body)  # server paths stay private
    assert await counts(db) == before


async def test_corrupt_checkpoint_is_refused_at_submission(stub, coach_id, db, training_settings):
    folder = Path(training_settings.checkpoints_path) / COACH_USER.user_id / "broken"  # the user's own folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "epoch_0003.pt").write_bytes(b"PK\x03\x04 this is not a torch checkpoint")
    before = await counts(db)
    for given in ("broken", "broken/epoch_0003.pt"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.StartTraining(request(coach_id, resume_from=given), metadata=await as_(COACH_USER))
        assert caught.value.code() == BAD
        body = error_body(caught.value)
        assert body["details"] == {"resume_from": "corrupt checkpoint"}
        assert str(training_settings.checkpoints_path) not in body["message"]
    assert await counts(db) == before


async def test_cuda_without_a_gpu_names_the_fix(stub, coach_id, db):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request(coach_id, device="cuda"), metadata=await as_(COACH_USER))
    assert caught.value.code() == BAD
    assert "'cpu' or 'auto'" in caught.value.details()


async def test_unknown_coach_is_not_found(stub, db):
    before = await counts(db)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request("no_such_coach"), metadata=await as_(COACH_USER))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_body(caught.value)["resource"] == "coach"
    assert await counts(db) == before


@pytest.mark.parametrize("principal,code", [(STUDENT, grpc.StatusCode.PERMISSION_DENIED),
                                            (OTHER_COACH, grpc.StatusCode.PERMISSION_DENIED),
                                            (None, grpc.StatusCode.UNAUTHENTICATED)])
async def test_only_the_owner_or_an_admin_may_train(stub, coach_id, db, principal, code):
    before = await counts(db)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request(coach_id), metadata=await as_(principal))
    assert caught.value.code() == code
    assert await counts(db) == before


async def test_unknown_and_foreign_jobs_are_not_found(stub, coach_id, db):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetTraining(scoring_pb2.GetTrainingRequest(training_id="train_nope"), metadata=await as_(COACH_USER))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    # A queued job of COACH_USER (cancelled at once, so that it never runs).
    job = await stub.StartTraining(request(coach_id, epochs=3), metadata=await as_(ADMIN))
    try:
        for principal in (COACH_USER, STUDENT):  # ADMIN submitted it: the coach's owner does not own the job
            for call, message in ((stub.GetTraining, scoring_pb2.GetTrainingRequest),
                                  (stub.CancelTraining, scoring_pb2.CancelTrainingRequest)):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(message(training_id=job.training_id), metadata=await as_(principal))
                assert caught.value.code() == grpc.StatusCode.NOT_FOUND
                assert error_body(caught.value) == {"code": "not_found", "message": f"Training '{job.training_id}' "
                                                    "not found", "resource": "training", "id": job.training_id}
    finally:
        cancelled = await stub.CancelTraining(scoring_pb2.CancelTrainingRequest(training_id=job.training_id),
                                              metadata=await as_(ADMIN))
    assert cancelled.status == "cancelled"
    assert cancelled.logs[-1].message == "Training cancelled by root"


@pytest.mark.parametrize("data_dir", ["bad_mocap", "zero_units"])
async def test_malformed_motion_capture_is_a_validation_error_naming_the_file(stub, coach_id, db, training_settings,
                                                                           data_dir):
    before = await counts(db)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request(coach_id, data_dir=data_dir), metadata=await as_(COACH_USER))
    assert caught.value.code() == UNUSABLE, caught.value.details()  # 422, not a crashed worker's 503
    body = error_body(caught.value)
    assert f"'{data_dir}'" in body["message"]
    [line] = body["details"]["skipped"]
    # Named relative to the datasets root; the server's own paths stay private.
    assert line.startswith(f"{data_dir}: motion capture unreadable (") and "135.asf" in line, line
    assert str(training_settings.datasets_path) not in json.dumps(body) and "Error" not in line
    assert await counts(db) == before


async def test_training_on_another_coachs_references_is_forbidden(stub, channels, coach_id, db):
    """OTHER_COACH owns a coach of their own, and asks to train it on COACH_USER's coach's references."""
    own = f"c_{uuid.uuid4().hex[:10]}"
    await channels[1].CreateCoach(coach_pb2.CreateCoachRequest(coach=coach_pb2.Coach(
        id=own, name="Rival", style="karate")), metadata=await as_(OTHER_COACH, "coach"))
    before = await counts(db)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StartTraining(request(own, data_dir=f"references:{coach_id}"), metadata=await as_(OTHER_COACH))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_body(caught.value)["details"] == {"data_dir": "not your coach's references"}
    assert await counts(db) == before


async def test_another_users_checkpoints_answer_like_missing_ones(stub, channels, coach_id, db, training_settings):
    mine = Path(training_settings.checkpoints_path) / COACH_USER.user_id / "kept"
    mine.mkdir(parents=True, exist_ok=True)
    (mine / "epoch_0001.pt").write_bytes(b"COACH_USER's weights")
    own = f"c_{uuid.uuid4().hex[:10]}"
    await channels[1].CreateCoach(coach_pb2.CreateCoachRequest(coach=coach_pb2.Coach(
        id=own, name="Rival", style="karate")), metadata=await as_(OTHER_COACH, "coach"))
    before = await counts(db)
    bodies = {}
    for given in ("kept", "missing", "../u_coach/kept", "../u_coach/missing", str(mine)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.StartTraining(request(own, resume_from=given), metadata=await as_(OTHER_COACH))
        assert caught.value.code() == BAD
        bodies[given] = error_body(caught.value)
    assert all(body == bodies["missing"] for body in bodies.values()), bodies  # nothing tells them apart
    assert bodies["missing"]["details"] == {"resume_from": jobs.NO_SUCH_CHECKPOINT}
    for given in ("../u_coach/kept", "../u_coach", str(mine)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.StartTraining(request(own, checkpoint_dir=given), metadata=await as_(OTHER_COACH))
        assert caught.value.code() == BAD
        assert error_body(caught.value)["details"] == {"checkpoint_dir": jobs.NOT_A_CHECKPOINT_DIR}
    assert await counts(db) == before
    # The same folder name is OTHER_COACH's own folder: a new run there, COACH_USER's file untouched.
    job = await stub.StartTraining(request(own, checkpoint_dir="kept", epochs=3), metadata=await as_(OTHER_COACH))
    try:
        assert job.checkpoint_dir == "kept"
        assert await db.fetchval("SELECT checkpoint_dir FROM training_jobs WHERE id = $1", job.training_id) == \
            f"{OTHER_COACH.user_id}/kept"
    finally:
        await stub.CancelTraining(scoring_pb2.CancelTrainingRequest(training_id=job.training_id),
                                  metadata=await as_(OTHER_COACH))
    assert (mine / "epoch_0001.pt").read_bytes() == b"COACH_USER's weights"
