"""Sandboxed pose workers: a killed or over-limit worker, cancellation, the warm pool, and hostile output.

Each test that starts workers gives them a model path of its own (a symlink to the bundle), so its
worker processes are told apart, by command line, from the session's shared pool.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import psutil
import pytest

from services.kit import errors
from services.kit.paths import VIDEOS
from services.pose import workers as workers_module
from services.pose.decode_protocol import DONE, INFO, PERSON_FLOATS, POSE_HEAD, POSES, READY, RECORD, LaneJob
from services.pose.extract import ExtractionCancelled, extract_poses
from services.pose.workers import MAX_RECORD, PoseWorker, WorkerLimits, WorkerPool
from testkit.pose_records import one_person, poisoned, with_count

SPORTS2D = VIDEOS / "sports2d-demo.mp4"  # 230 frames: ~10 s of CPU, long enough to interrupt
CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"


@pytest.fixture
def own_bundle(tmp_path: Path, bundle: Path) -> Path:
    link = tmp_path / "own-model.task"
    link.symlink_to(bundle)
    return link


def processes_of(marker: Path) -> set[int]:
    """Live child processes of this test process whose command line names `marker`."""
    found = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and str(marker) in proc.cmdline():
                found.add(proc.pid)
        except psutil.Error:
            pass
    return found


def still_there(pids: Iterable[int]) -> set[int]:
    """Those of `pids` still among this process's children, running or an unreaped zombie."""
    return set(pids) & {proc.pid for proc in psutil.Process().children(recursive=True)}


def wait_for(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the pool"
        time.sleep(0.05)


def job(path: Path, stride: int = 1, limits: WorkerLimits = WorkerLimits()) -> LaneJob:
    return LaneJob(path=str(path), worker=0, workers=1, stride=stride, max_seconds=limits.max_seconds,
                      max_pixels=limits.max_pixels, cpu_seconds=limits.cpu_limit)


def run_job(worker: PoseWorker, lane: LaneJob) -> list[bytes]:
    worker.start(lane)
    return [tag for tag, _ in worker.records()]


def ready(pool: WorkerPool) -> int:
    """Warm workers waiting in the pool (white-box: the pool does not publish it)."""
    return pool._ready.qsize()


# ---- a worker that dies or overruns -----------------------------------------------------------------------------
def test_worker_killed_mid_job_gives_a_clear_error_and_leaves_no_process(own_bundle):
    worker = PoseWorker(own_bundle, WorkerLimits()).wait_ready()
    (pid,) = processes_of(own_bundle)
    worker.start(job(SPORTS2D))
    tags: list[bytes] = []
    try:
        with pytest.raises(errors.InvalidRequest) as caught:
            for tag, _ in worker.records():
                tags.append(tag)
                if tags.count(POSES) == 1 and tag == POSES:
                    os.killpg(pid, signal.SIGKILL)  # as the OOM killer or an operator would
    finally:
        worker.close()
    assert tags[0] == INFO and DONE not in tags and tags.count(POSES) < 230
    assert caught.value.message.startswith("The video could not be decoded")
    assert caught.value.details == {"video": "worker stopped (exit status -9)"}
    assert not worker.reusable
    assert still_there({pid}) == set() and processes_of(own_bundle) == set()


def test_cpu_time_limit_stops_a_long_job(own_bundle):
    seen: set[int] = set()

    def watch() -> bool:  # polled while extract_poses waits for records: note the workers running
        seen.update(processes_of(own_bundle))
        return False

    # SIGXCPU after ~2 s of CPU for the job (the whole clip needs ~10 s): the worker dies of it.
    with pytest.raises(errors.InvalidRequest) as caught:
        extract_poses(SPORTS2D, own_bundle, limits=WorkerLimits(cpu_seconds=1), cancelled=watch)
    assert "took longer than the service allows" in caught.value.message
    assert caught.value.details == {"video": "worker time limit"}
    assert len(seen) == 1 and still_there(seen) == set() and processes_of(own_bundle) == set()


# ---- cancellation -----------------------------------------------------------------------------------------------
def test_cancellation_raises_and_kills_the_workers(own_bundle):
    seen: set[int] = set()
    polls: list[float] = []

    def cancelled() -> bool:
        seen.update(processes_of(own_bundle))
        polls.append(time.monotonic())
        return len(polls) >= 3

    with pytest.raises(ExtractionCancelled):
        extract_poses(SPORTS2D, own_bundle, workers=2, cancelled=cancelled)
    assert len(polls) == 3  # not asked again once the answer was yes
    assert time.monotonic() - polls[-1] < 10.0  # killed, not left to finish (~10 s of CPU)
    assert len(seen) == 2  # both workers were running...
    assert still_there(seen) == set() and processes_of(own_bundle) == set()  # ...and both are gone


def test_pool_retires_cancelled_workers(own_bundle):
    pool = WorkerPool(own_bundle, WorkerLimits(), size=2)
    try:
        wait_for(lambda: ready(pool) == 2)
        warm = processes_of(own_bundle)
        polls = []
        with pytest.raises(ExtractionCancelled):
            extract_poses(SPORTS2D, own_bundle, workers=2, pool=pool,
                          cancelled=lambda: polls.append(1) or len(polls) >= 3)
        assert len(warm) == 2 and still_there(warm) == set()  # a job cut short never goes back
        wait_for(lambda: ready(pool) == 2)  # replaced by fresh ones
        replacements = processes_of(own_bundle)
        assert len(replacements) == 2 and replacements.isdisjoint(warm)
    finally:
        pool.close()
    assert processes_of(own_bundle) == set() and still_there(replacements) == set()


# ---- the warm pool ----------------------------------------------------------------------------------------------
def test_pool_hands_out_warm_workers_and_takes_back_only_clean_ones(own_bundle, tmp_path):
    pool = WorkerPool(own_bundle, WorkerLimits(), size=1)
    everyone: set[int] = set()
    try:
        wait_for(lambda: ready(pool) == 1)
        (warm,) = processes_of(own_bundle)
        everyone.add(warm)
        taken = pool.take(1)
        assert processes_of(own_bundle) == {warm}  # the warm one was handed out; none was started
        tags = run_job(taken[0], job(CAM01, stride=25))
        assert tags == [INFO, POSES, POSES, POSES, POSES, DONE] and taken[0].reusable
        pool.give_back(taken)
        wait_for(lambda: ready(pool) == 1)
        assert processes_of(own_bundle) == {warm}  # back in the pool, ready for the next request
        (again,) = pool.take(1)
        assert processes_of(own_bundle) == {warm}

        # A job that fails retires its worker at once; the pool starts a fresh one.
        not_a_video = tmp_path / "notes.mp4"
        not_a_video.write_text("not a video\n")
        with pytest.raises(errors.InvalidRequest, match="could not be opened"):
            run_job(again, job(not_a_video))
        assert not again.reusable
        pool.give_back([again])
        assert still_there({warm}) == set()
        wait_for(lambda: ready(pool) == 1)
        (fresh,) = processes_of(own_bundle)
        assert fresh != warm
        everyone.add(fresh)

        # Asked for more than it holds, the pool starts extra workers, and keeps only its size of them.
        extra = pool.take(2)
        started = processes_of(own_bundle)
        assert len(started) == 2 and fresh in started
        everyone |= started
        for worker in extra:
            assert run_job(worker, job(CAM01, stride=50))[-1] == DONE
        pool.give_back(extra)
        wait_for(lambda: ready(pool) == 1 and len(processes_of(own_bundle)) == 1)
    finally:
        pool.close()
    assert processes_of(own_bundle) == set() and still_there(everyone) == set()


def test_closing_the_pool_while_it_starts_a_worker_leaves_none_running(own_bundle, tmp_path):
    pool = WorkerPool(own_bundle, WorkerLimits(), size=1)
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_text("not a video\n")
    try:
        wait_for(lambda: ready(pool) == 1)
        (worker,) = pool.take(1)
        with pytest.raises(errors.InvalidRequest):
            run_job(worker, job(not_a_video))
        retired = processes_of(own_bundle)
        pool.give_back([worker])           # retired: the pool starts a fresh worker (a second or so) ...
        wait_for(lambda: bool(processes_of(own_bundle) - retired) and ready(pool) == 0, timeout=30.0)
    finally:
        pool.close()                       # ... and is closed while that one is starting
    assert processes_of(own_bundle) == set()


# ---- hostile worker output --------------------------------------------------------------------------------------
# A stand-in for a worker taken over by a hostile file: it starts and takes its job like a real one,
# then writes the bytes given on its command line and would carry on running.
FAKE_WORKER = r"""
import json, struct, sys, time
out = sys.stdout.buffer
def record(tag, payload):
    out.write(struct.pack("<cI", tag, len(payload)) + payload)
    out.flush()
record(b"R", b"{}")
sys.stdin.buffer.readline()
record(b"I", json.dumps({"fps": 30.0, "frame_count": 1, "rotation": 0, "width": 64, "height": 64}).encode())
out.write(bytes.fromhex(sys.argv[1]))
out.flush()
time.sleep(120)
"""


class _Spawner:
    """Stands in for the subprocess module inside services.pose.workers: workers for `bundle` run the
    fake worker instead; any other (the shared pool's) start as usual."""

    def __init__(self, bundle: Path, fake: Path, output: bytes) -> None:
        self.bundle, self.fake, self.output = bundle, fake, output

    def __getattr__(self, name: str):
        return getattr(subprocess, name)

    def Popen(self, cmd, **kwargs):  # noqa: N802 - the name it replaces
        if str(self.bundle) in cmd:
            cmd = [sys.executable, str(self.fake), self.output.hex()]
        return subprocess.Popen(cmd, **kwargs)


@pytest.mark.parametrize("output, detail", [
    pytest.param(RECORD.pack(POSES, POSE_HEAD.size + 4 * PERSON_FLOATS)
                 + with_count(one_person(), 2), "pose record of", id="people-count-mismatch"),
    pytest.param(RECORD.pack(POSES, POSE_HEAD.size + 4 * PERSON_FLOATS) + poisoned(float("nan"), "landmarks"),
                 "non-finite", id="nan-landmarks"),
    pytest.param(RECORD.pack(POSES, MAX_RECORD + 1), "oversized record", id="oversized-record"),
    pytest.param(RECORD.pack(b"X", 2) + b"{}", "unknown record", id="unknown-tag"),
    pytest.param(RECORD.pack(DONE, 5) + b"{nope", "", id="broken-json"),
])
def test_hostile_worker_output_is_rejected_and_the_worker_killed(own_bundle, tmp_path, monkeypatch, output, detail):
    fake = tmp_path / "fake_worker.py"
    fake.write_text(FAKE_WORKER)
    monkeypatch.setattr(workers_module, "subprocess", _Spawner(own_bundle, fake, output))
    worker = PoseWorker(own_bundle, WorkerLimits()).wait_ready()
    (pid,) = processes_of(fake)
    try:
        with pytest.raises(errors.InvalidRequest) as caught:
            run_job(worker, job(CAM01))
        assert caught.value.message.startswith("The video could not be decoded")
        assert caught.value.details["video"].startswith("worker output rejected")
        assert detail in caught.value.details["video"]
        # Rejected output ends the worker there and then (it would have slept for two minutes).
        wait_for(lambda: psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, timeout=10)
        assert not worker.reusable
    finally:
        worker.close()
    assert still_there({pid}) == set()


def test_pool_retires_a_worker_that_is_not_ready_after_its_job(own_bundle, tmp_path, monkeypatch):
    """A worker that ends its job cleanly, then sends garbage instead of READY, is closed when the pool
    takes it back, and the pool refills (the pool's filler thread once died of this, leaving the
    worker running and the pool empty for good)."""
    fake = tmp_path / "fake_worker.py"
    fake.write_text(FAKE_WORKER)
    done = json.dumps({"decoded": 1, "analysed": 0, "last_timestamp_ms": 0.0, "peak_rss_kb": 1}).encode()
    output = RECORD.pack(DONE, len(done)) + done + RECORD.pack(READY, MAX_RECORD + 1)
    monkeypatch.setattr(workers_module, "subprocess", _Spawner(own_bundle, fake, output))
    pool = WorkerPool(own_bundle, WorkerLimits(), size=1)
    try:
        wait_for(lambda: ready(pool) == 1, timeout=30)
        (hostile,) = processes_of(fake)
        (worker,) = pool.take(1)
        assert run_job(worker, job(CAM01)) == [INFO, DONE] and worker.reusable
        pool.give_back([worker])
        wait_for(lambda: ready(pool) == 1 and hostile not in processes_of(fake), timeout=30)
        assert still_there({hostile}) == set()
        assert len(processes_of(fake)) == 1  # its replacement
    finally:
        pool.close()
    assert processes_of(fake) == set()
