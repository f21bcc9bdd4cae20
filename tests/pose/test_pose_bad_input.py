"""The issue's bad-input suite, through the real pose gRPC server (ExtractPoses, chunked upload).

Every hostile or broken file (tests.pose.bad_videos) is refused with a clear, actionable message in
the `kataforge-error` trailer, and afterwards: health still answers SERVING, a real clip is still
analysed, no temporary directory is left behind, and the worker processes are back to the pool's
warm workers. Files refused before decoding must not even use up a worker.

Time to refuse and the busy worker's peak memory are recorded per case (record_property), never
asserted: bench/bad_inputs.py prints them as a table.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit.config import replace
from services.kit.grpc_errors import ERROR_TRAILER
from services.kit.paths import VIDEOS
from services.pose.main import build
from services.pose.pose_worker import peak_rss_kb
from services.pose.video import TEMP_PREFIX
from testkit.bad_videos import CASES, REFUSED_BY, build_all
from testkit.loopback import free_port

pytestmark = pytest.mark.integration

CHUNK = 256 * 1024
POOL = 2  # warm pose workers kept by the server under test
SETTLE_S = 90.0  # generous: replacing a retired worker loads the model again (~1-3 s of CPU)
CONTENT_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".m3u8": "application/vnd.apple.mpegurl"}
REAL_CLIP = VIDEOS / "pose2sim-balancing-cam01.mp4"  # 100 frames; stride 25 analyses 4 of them


def _temp_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"))


# This module's server loads the model through its own directory (a symlink), so its workers are told
# apart from those of servers other test modules keep running for the whole session.
OWN_MODELS: dict[str, Path] = {}


def _is_pose_worker(proc: psutil.Process) -> bool:
    try:
        cmdline = proc.cmdline()
        return (proc.status() != psutil.STATUS_ZOMBIE and "services.pose.pose_worker" in cmdline
                and str(OWN_MODELS.get("dir", "")) in " ".join(cmdline))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _workers() -> dict[int, psutil.Process]:
    """The live pose worker processes started by this test process (the in-process server's pool)."""
    return {p.pid: p for p in psutil.Process().children(recursive=True) if _is_pose_worker(p)}


def _cpu_seconds(workers: dict[int, psutil.Process]) -> float:
    total = 0.0
    for proc in workers.values():
        try:
            cpu = proc.cpu_times()
        except psutil.NoSuchProcess:
            return float("nan")
        total += cpu.user + cpu.system
    return total


async def _settled() -> dict[int, psutil.Process]:
    """Wait until exactly the pool's warm workers are running and idle (a retired one is replaced, and a
    returned one reloads its model, in the background)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        workers = _workers()
        if len(workers) == POOL:
            cpu = _cpu_seconds(workers)
            await asyncio.sleep(0.2)
            if set(_workers()) == set(workers) and _cpu_seconds(workers) - cpu < 0.02:
                return workers
        elif time.monotonic() > deadline:
            raise AssertionError(f"{len(workers)} pose workers running, expected the pool's {POOL}")
        else:
            await asyncio.sleep(0.05)
        if time.monotonic() > deadline:
            raise AssertionError(f"the pool's {POOL} pose workers did not become idle")


class WorkerSampler:
    """Samples the pose workers every 20 ms while a request runs: the peak memory (VmHWM, else RSS) of
    each worker that did work during it (used CPU, or was retired after its job)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._peak_kb: dict[int, int] = {}
        self._cpu0: dict[int, float] = {}
        self._cpu1: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, name="worker-sampler", daemon=True)

    def __enter__(self) -> "WorkerSampler":
        self._before = set(_workers())
        for pid in self._before:  # a reused worker's VmHWM would include its earlier jobs: reset it
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as clear:
                    clear.write("5")  # VmHWM := current RSS (Linux >= 4.0); best effort
            except OSError:
                pass
        self._sample()
        self._cpu0 = dict(self._cpu1)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        for pid, proc in _workers().items():
            try:
                cpu = proc.cpu_times()
                rss = proc.memory_info().rss // 1024
            except psutil.NoSuchProcess:
                continue
            self._cpu1[pid] = cpu.user + cpu.system
            self._peak_kb[pid] = max(self._peak_kb.get(pid, 0), peak_rss_kb(pid), rss)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    @property
    def busy(self) -> set[int]:
        """Workers that ran a job during the request: used CPU, or started before it and gone after."""
        alive = set(_workers())
        used = {pid for pid, cpu in self._cpu1.items() if cpu - self._cpu0.get(pid, cpu) > 0.05}
        return used | (self._before - alive)

    @property
    def peak_mib(self) -> float | None:
        busy = self.busy & set(self._peak_kb)
        return max(self._peak_kb[pid] for pid in busy) / 1024 if busy else None


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, tuple[Path, str | None]]:
    return build_all(tmp_path_factory.mktemp("bad-inputs"))


@pytest.fixture(scope="module")
async def server(base_settings, bundle, start_service, tmp_path_factory, backend_channel):
    models = tmp_path_factory.mktemp("bad-input-models")
    (models / bundle.name).symlink_to(bundle)
    OWN_MODELS["dir"] = models
    settings = replace(base_settings, pose_workers=POOL, pose_addr=f"127.0.0.1:{free_port()}", model_dir=str(models))
    before = _temp_dirs()
    running = await start_service(build(settings), settings)
    channel = backend_channel(settings.pose_addr, "pose")
    try:
        await _settled()
        yield pose_pb2_grpc.PoseServiceStub(channel), health_pb2_grpc.HealthStub(channel)
    finally:
        await channel.close()
        await running.stop()
    assert _temp_dirs() - before == set(), "the pose service left temporary files behind"
    await _no_workers("the pose workers to stop after the server stopped")


async def _no_workers(what: str) -> None:
    # The pool's filler thread may be loading a replacement when the server stops; it then closes it.
    deadline = time.monotonic() + SETTLE_S
    while _workers():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: " + repr(
            [(p.pid, p.ppid(), p.cmdline()[-3:], time.time() - p.create_time()) for p in _workers().values()])
        await asyncio.sleep(0.05)


def _upload(path: Path, *, stride: int = 0):
    data = path.read_bytes()

    async def messages():
        yield pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(
            filename=path.name, content_type=CONTENT_TYPES.get(path.suffix, ""), frame_stride=stride))
        for start in range(0, len(data), CHUNK):
            yield pose_pb2.ExtractPosesChunk(data=data[start:start + CHUNK])
    return messages()


def _error(exc: grpc.aio.AioRpcError) -> dict:
    return json.loads(dict(exc.trailing_metadata())[ERROR_TRAILER])


async def _still_healthy(stub, health) -> None:
    reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    seq = await stub.ExtractPoses(_upload(REAL_CLIP, stride=25), timeout=120)
    assert [f.index for f in seq.frames] == [0, 25, 50, 75] and seq.frame_count == 100
    assert sum(f.detected for f in seq.frames) >= 3


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_is_refused_clearly_and_leaves_nothing_behind(server, cases, case, record_property):
    stub, health = server
    path, expected = cases[case]
    workers_before = await _settled()
    temp_before = _temp_dirs()
    failure: grpc.aio.AioRpcError | None = None
    with WorkerSampler() as sampler:
        started = time.perf_counter()
        try:
            seq = await stub.ExtractPoses(_upload(path), timeout=180)
        except grpc.aio.AioRpcError as exc:
            failure = exc
        seconds = time.perf_counter() - started
    record_property("seconds_to_refuse", round(seconds, 4))
    record_property("worker_peak_rss_mib", None if sampler.peak_mib is None else round(sampler.peak_mib, 1))
    print(f"{case}: {seconds:.3f} s, worker peak {sampler.peak_mib} MiB")

    if expected is None:  # analysable (the one-frame video)
        assert failure is None, f"{case} was refused: {failure and failure.details()}"
        assert seq.frame_count == 1 and len(seq.frames) == 1
        (frame,) = seq.frames
        assert frame.index == 0 and frame.detected and len(frame.landmarks) == 33
        assert (seq.width, seq.height) == (540, 960)
    else:
        assert failure is not None, f"{case} was accepted"
        assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT, (case, failure.code(), failure.details())
        body = _error(failure)
        assert body["code"] == "invalid_request"
        assert expected in body["message"], body
        assert body["message"] == failure.details()
        assert body["details"]["video"], body  # names what is wrong with the file
        assert "Traceback" not in body["message"] and TEMP_PREFIX not in json.dumps(body)

    if REFUSED_BY[case] in ("preflight", "header"):
        # Refused in the service process before any decoder saw it: no worker was used up.
        assert set(_workers()) == set(workers_before), "a worker was spent on a file refused before decoding"
        assert not sampler.busy
    elif REFUSED_BY[case] == "decode":
        # The worker that touched the damaged file is retired, never reused.
        assert set(workers_before) - set(_workers()), "the worker that decoded a damaged file was kept"

    for _ in range(100):  # removed in the handler before the status goes out; allow a moment anyway
        if not _temp_dirs() - temp_before:
            break
        await asyncio.sleep(0.02)
    assert not _temp_dirs() - temp_before, f"{case} left a temporary directory behind"
    await _still_healthy(stub, health)
    await _settled()  # back to the pool's warm workers: none left running beyond them


async def test_a_burst_of_bad_inputs_leaves_the_server_as_it_was(server, cases):
    """All the refused files at once (the pose server takes one extraction at a time on this host)."""
    stub, health = server
    await _settled()
    temp_before = _temp_dirs()
    refused = [name for name, (_, expected) in cases.items() if expected is not None]
    results = await asyncio.gather(*(stub.ExtractPoses(_upload(cases[name][0]), timeout=300) for name in refused),
                                   return_exceptions=True)
    for name, result in zip(refused, results):
        assert isinstance(result, grpc.aio.AioRpcError), name
        assert result.code() == grpc.StatusCode.INVALID_ARGUMENT and cases[name][1] in result.details(), name
    assert not _temp_dirs() - temp_before
    await _still_healthy(stub, health)
    await _settled()
