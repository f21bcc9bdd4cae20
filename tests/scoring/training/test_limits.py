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
from services.kit.channels import channel as kit_channel
from services.kit.context import principal_var
from services.scoring.training import clients, worker
from services.scoring.training.clients import GrpcCoachDirectory
from services.scoring.training.process import WorkerChecker
from testkit.principals import COACH_USER
from testkit.training_jobs import as_, cmu_documents


def sequence(doc: dict) -> common_pb2.PoseSequence:
    """A real CMU repetition (conftest.cmu_documents) as the coach service stores it."""
    frames = [common_pb2.PoseFrame(timestamp_ms=f["timestamp_ms"], detected=True, landmarks=[
        common_pb2.Landmark(wx=x, wy=y, wz=z, visibility=v) for x, y, z, v in f["landmarks"]]) for f in doc["frames"]]
    return common_pb2.PoseSequence(fps=doc["fps"], frames=frames)


class CountingStub:
    """The real coach service's stub, counting the reference fetches (GetReference) it passes on."""

    def __init__(self, stub) -> None:
        self.stub, self.fetched = stub, 0

    def __getattr__(self, name):
        return getattr(self.stub, name)

    async def GetReference(self, request, timeout):
        self.fetched += 1
        return await self.stub.GetReference(request, timeout=timeout)


@pytest.fixture(scope="module")
def documents():
    return cmu_documents(("04",))   # 3 real front kicks


@pytest.fixture
async def references(channels, coach_id, documents, training_settings, edge_credentials):
    """COACH_USER's coach with three real references, and a directory calling the coach service as him."""
    for doc in documents:
        await channels[1].AddReference(coach_pb2.AddReferenceRequest(
            coach_id=coach_id, technique=doc["technique"], pose_sequence=sequence(doc)),
            metadata=await as_(COACH_USER, "coach"))
    token = principal_var.set(COACH_USER)
    channel = kit_channel(training_settings.coach_addr, audience="coach", credentials=edge_credentials)
    coaches = GrpcCoachDirectory(channel)
    coaches.stub = CountingStub(coaches.stub)
    yield coach_id, coaches
    principal_var.reset(token)
    await channel.close()


async def test_references_are_snapshotted_as_pose_json(references, documents):
    coach_id, coaches = references
    files = await coaches.documents(coach_id)
    assert len(files) == 3 and all(name.startswith("ref_") and name.endswith(".json") for name in files)
    docs = [json.loads(body) for body in files.values()]
    assert {d["technique"] for d in docs} == {"front_kick"}
    assert sorted(len(d["frames"]) for d in docs) == sorted(len(d["frames"]) for d in documents)
    assert all(len(f["landmarks"]) == 33 for d in docs for f in d["frames"])


async def test_too_many_references_are_refused_before_any_is_fetched(references, monkeypatch):
    coach_id, coaches = references
    monkeypatch.setattr(clients, "MAX_REFERENCES", 2)
    with pytest.raises(errors.ValidationFailed) as caught:
        await coaches.documents(coach_id)
    assert coaches.stub.fetched == 0
    assert "more than 2 references" in caught.value.message
    assert caught.value.details == {"data_dir": "too many references"}


@pytest.mark.parametrize("limit,value,what", [("MAX_REFERENCE_FRAMES", 10, "frames"),
                                              ("MAX_REFERENCE_BYTES", 50_000, "MiB of poses")])
async def test_too_many_frames_or_bytes_are_refused(references, monkeypatch, limit, value, what):
    coach_id, coaches = references   # each reference: > 10 frames, > 50 kB of JSON
    monkeypatch.setattr(clients, limit, value)
    with pytest.raises(errors.ValidationFailed) as caught:
        await coaches.documents(coach_id)
    assert what in caught.value.message and coaches.stub.fetched < 3


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
