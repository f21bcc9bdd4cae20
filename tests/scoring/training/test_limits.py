"""What one request may cost: references snapshotted, submission checks at once, a worker's memory; and what
a crashed worker's reply may say."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import subprocess
import sys

import pytest

from kataforge.coach.v1 import coach_pb2
from kataforge.common.v1 import common_pb2
from services.kit import errors
from services.scoring.training import clients, worker
from services.scoring.training.clients import GrpcCoachDirectory
from services.scoring.training.process import WorkerChecker


class FakeCoachStub:
    """The coach service's two reference calls, for a coach with `total` references of `frames` frames."""

    def __init__(self, total: int, frames: int = 3) -> None:
        self.total, self.frames, self.fetched = total, frames, 0

    async def ListReferences(self, request, timeout):
        n = max(0, min(request.limit, self.total - request.offset))
        return coach_pb2.ListReferencesResponse(
            references=[coach_pb2.Reference(id=f"ref_{request.offset + i}") for i in range(n)], total=self.total)

    async def GetReference(self, request, timeout):
        self.fetched += 1
        marks = [common_pb2.Landmark(wx=0.1, wy=0.2, wz=0.3, visibility=1.0)] * 33
        seq = common_pb2.PoseSequence(fps=30.0, frames=[
            common_pb2.PoseFrame(timestamp_ms=i * 33.3, detected=True, landmarks=marks) for i in range(self.frames)])
        return coach_pb2.Reference(id=request.reference_id, technique="front_kick", pose_sequence=seq)


def directory(stub: FakeCoachStub) -> GrpcCoachDirectory:
    coaches = GrpcCoachDirectory.__new__(GrpcCoachDirectory)
    coaches.stub = stub
    return coaches


async def test_references_are_snapshotted_as_pose_json():
    stub = FakeCoachStub(total=3)
    files = await directory(stub).documents("c_1")
    assert sorted(files) == ["ref_0.json", "ref_1.json", "ref_2.json"]
    doc = json.loads(files["ref_0.json"])
    assert doc["technique"] == "front_kick" and len(doc["frames"]) == 3 and len(doc["frames"][0]["landmarks"]) == 33


async def test_too_many_references_are_refused_before_any_is_fetched():
    stub = FakeCoachStub(total=clients.MAX_REFERENCES + 1)
    with pytest.raises(errors.ValidationFailed) as caught:
        await directory(stub).documents("c_1")
    assert stub.fetched == 0
    assert f"more than {clients.MAX_REFERENCES} references" in caught.value.message
    assert caught.value.details == {"data_dir": "too many references"}


@pytest.mark.parametrize("limit,value,what", [("MAX_REFERENCE_FRAMES", 10, "frames"),
                                              ("MAX_REFERENCE_BYTES", 50_000, "MiB of poses")])
async def test_too_many_frames_or_bytes_are_refused(monkeypatch, limit, value, what):
    monkeypatch.setattr(clients, limit, value)
    stub = FakeCoachStub(total=20, frames=4)  # 20 x 4 frames, about 20 kB of JSON each
    with pytest.raises(errors.ValidationFailed) as caught:
        await directory(stub).documents("c_1")
    assert what in caught.value.message and stub.fetched < 20


async def test_at_most_two_submission_checks_run_at_once(monkeypatch):
    running, most = 0, 0

    async def check(self, spec):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return {"event": "checked"}

    monkeypatch.setattr(WorkerChecker, "_check", check)
    checker = WorkerChecker()
    results = await asyncio.gather(*(checker.check({}) for _ in range(6)))
    assert len(results) == 6 and most == 2


async def test_a_crashed_check_worker_says_so_without_its_stderr(caplog):
    """The worker's traceback names this server's files: it goes to the log, not to the user."""
    with caplog.at_level(logging.WARNING, logger="kataforge.training"):
        with pytest.raises(errors.Unavailable) as caught:
            await WorkerChecker().check({"mode": "check"})  # no data_path: the worker dies with a KeyError
    message = caught.value.message
    assert message.startswith("Checking the training data failed on the server") and "exited with code 1" in message
    assert "Traceback" not in message and "KeyError" not in message and "/" not in message
    assert "KeyError: 'data_path'" in caplog.text


def test_a_cpu_worker_caps_its_address_space():
    code = ("from services.scoring.training import worker; import resource; before = worker.cap_memory(); "
            "print(resource.getrlimit(resource.RLIMIT_AS)[0]); worker.uncap_memory(before); "
            "print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    capped = worker.MAX_ADDRESS_SPACE if soft == resource.RLIM_INFINITY else min(worker.MAX_ADDRESS_SPACE, soft)
    assert int(out[0]) == capped
    assert int(out[1]) == soft  # lifted again before CUDA starts
