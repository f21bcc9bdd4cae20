"""Bad inputs against the pose service: how each is refused, how fast, and what it costs a worker.

Builds the hostile and broken files of testkit/bad_videos.py into a temporary directory, starts
the pose service as its own process (`python -m services.pose.main`), sends each file over
ExtractPoses (chunked upload, as the scoring service does) and prints a markdown table:
case | refused by | status | message | seconds to refuse | worker peak RSS (MiB).

Seconds are the median over --repeat runs of the whole RPC as the client sees it. The service keeps a
worker's own peak memory (VmHWM) internally only, so it is measured from outside: before each request
the peak of every pose worker (a child process of the service) is reset (/proc/PID/clear_refs, Linux
>= 4.0), then their VmHWM and RSS are sampled every 20 ms while the request runs; the column shows the
largest peak of the workers that did work during it (used CPU, or were retired after the file), and
"-" where no worker was involved (refused in the service process before decoding). The baseline row
is a real clip, for comparison.

Usage: .venv/bin/python bench/bad_inputs.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pose_service import free_port, start_pose_service  # noqa: E402
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc  # noqa: E402
from services.kit.grpc_errors import ERROR_TRAILER  # noqa: E402
from testkit.bad_videos import PERSON, REFUSED_BY, build_all  # noqa: E402

CHUNK = 1 << 20
SETTLE_S = 120.0


def workers(service: psutil.Process) -> dict[int, psutil.Process]:
    found = {}
    for child in service.children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "services.pose.pose_worker" in child.cmdline():
                found[child.pid] = child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def cpu_seconds(procs: dict[int, psutil.Process]) -> dict[int, float]:
    out = {}
    for pid, proc in procs.items():
        try:
            cpu = proc.cpu_times()
            out[pid] = cpu.user + cpu.system
        except psutil.NoSuchProcess:
            pass
    return out


def settle(service: psutil.Process, pool: int) -> None:
    """Wait until the pool's warm workers are all running and idle, so a run does not wait for one."""
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        procs = workers(service)
        if len(procs) == pool:
            before = cpu_seconds(procs)
            time.sleep(0.25)
            after = cpu_seconds(procs)
            if set(after) == set(before) == set(workers(service)) and sum(after.values()) - sum(before.values()) < 0.02:
                return
        else:
            time.sleep(0.05)
    raise SystemExit(f"the pose service's {pool} workers did not settle within {SETTLE_S:g} s")


def vm_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")  # VmHWM := current RSS
        return True
    except OSError:
        return False


class Sampler:
    """Peak memory of the workers that work during a request (see the module docstring)."""

    def __init__(self, service: psutil.Process, interval: float = 0.02) -> None:
        self.service, self.interval = service, interval
        self.peak_kb: dict[int, int] = {}
        self.reset_ok = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self.before = workers(self.service)
        for pid in self.before:
            self.reset_ok &= reset_peak(pid)
        self.cpu0 = cpu_seconds(self.before)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        alive = workers(self.service)
        used = {pid for pid, cpu in cpu_seconds(alive).items() if cpu - self.cpu0.get(pid, cpu) > 0.05}
        # A worker started during the request (none was free) counts when it did work; a retired one always.
        self.busy = used | (set(self.before) - set(alive))

    def _sample(self) -> None:
        for pid, proc in workers(self.service).items():
            try:
                rss = proc.memory_info().rss // 1024
            except psutil.NoSuchProcess:
                continue
            self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), rss, vm_kb(pid, "VmHWM"))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    @property
    def peak_mib(self) -> float | None:
        busy = [self.peak_kb[pid] for pid in self.busy if pid in self.peak_kb]
        return max(busy) / 1024 if busy else None


# ---- requests --------------------------------------------------------------------------------------------------
def chunks(path: Path, stride: int = 0):
    yield pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename=path.name, frame_stride=stride))
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            yield pose_pb2.ExtractPosesChunk(data=block)


def send(stub, path: Path, stride: int = 0, metadata=()) -> tuple[str, str, float]:
    """(status, message, seconds) of one ExtractPoses call."""
    started = time.perf_counter()
    try:
        seq = stub.ExtractPoses(chunks(path, stride), timeout=600, metadata=metadata)
    except grpc.RpcError as exc:
        seconds = time.perf_counter() - started
        trailer = dict(exc.trailing_metadata() or ()).get(ERROR_TRAILER)
        message = json.loads(trailer)["message"] if trailer else exc.details()
        return exc.code().name, message, seconds
    seconds = time.perf_counter() - started
    analysed, people = len(seq.frames), sum(f.detected for f in seq.frames)
    return "OK", f"{analysed} frame{'s' * (analysed != 1)} analysed, {people} with a person", seconds


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median seconds, largest peak)")
    args = parser.parse_args()
    pool = os.cpu_count() or 1  # the service's default DOJO_POSE_WORKERS
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bad-inputs-") as tmp:
        cases = build_all(Path(tmp))
        running = start_pose_service(port)
        try:
            service = psutil.Process(running.process.pid)
            stub = pose_pb2_grpc.PoseServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
            rows = [("baseline: real clip, frame_stride 25", "-", PERSON, 25)]
            rows += [(name, REFUSED_BY[name] or "(analysable)", path, 0) for name, (path, _) in cases.items()]
            settle(service, pool)
            idle = statistics.median(p.memory_info().rss for p in workers(service).values()) / 1048576
            print(f"cores: {os.cpu_count()}; pose workers: {pool} (idle, model loaded: {idle:.0f} MiB RSS each); "
                  f"runs per case: {args.repeat}\n")
            print("| case | refused by | size (bytes) | status | message | seconds to refuse (median) "
                  "| worker peak RSS (MiB) |")
            print("|---|---|---|---|---|---|---|")
            reset_ok = True
            for name, stage, path, stride in rows:
                results, peaks = [], []
                for _ in range(args.repeat):
                    settle(service, pool)
                    with Sampler(service) as sampler:
                        results.append(send(stub, path, stride, running.metadata()))
                    reset_ok &= sampler.reset_ok
                    if sampler.peak_mib is not None:
                        peaks.append(sampler.peak_mib)
                statuses = {status for status, _, _ in results}
                status, message = results[-1][0], results[-1][1]
                if len(statuses) > 1:
                    status = "/".join(sorted(statuses)) + " (varied!)"
                seconds = statistics.median(s for _, _, s in results)
                peak = f"{max(peaks):.0f}" if peaks else "-"
                print(f"| {name} | {stage} | {path.stat().st_size:,} | {status} | {cell(message)} | {seconds:.3f} "
                      f"| {peak} |", flush=True)
            health = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
            serving = health.Check(health_pb2.HealthCheckRequest(), timeout=5).status
            settle(service, pool)
            print(f"\nafterwards: health {health_pb2.HealthCheckResponse.ServingStatus.Name(serving)}, "
                  f"{len(workers(service))} pose workers running (pool {pool})"
                  + ("" if reset_ok else "; NOTE: VmHWM could not be reset, peaks include earlier jobs"))
        finally:
            running.stop()


if __name__ == "__main__":
    main()
