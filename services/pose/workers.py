"""Pose worker processes: spawning, a warm pool, and reading a worker's records with limits enforced (the cores
they may use: core_budget.py).

Each worker (services.pose.pose_worker) is a sandboxed process that has loaded the model and waits
for one job. The pool keeps a few of them warm, so a request does not wait for a model to load, and
replaces each one used. Everything a worker sends is checked here (record sizes, people counts),
since a hostile file may have taken it over.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from services.kit import errors
from services.pose.core_budget import Cancelled
from services.pose.decode_protocol import DONE, ERROR, INFO, POSES, READY, RECORD, LaneJob, read_poses
from services.pose.video import VideoInfo

MAX_RECORD = 1 << 20  # JSON and pose records are small; anything bigger is corrupt output
READY_TIMEOUT_S = 120.0
TAKE_WAIT_S = 1.0
CLOSE_WAIT_S = READY_TIMEOUT_S  # close() waits at most this for a worker being started (see close)


@dataclass(frozen=True)
class WorkerLimits:
    max_seconds: float = 600.0  # video duration
    max_pixels: int = 3840 * 2160  # per frame
    memory_mb: int = 2048  # address space of each worker (the model needs ~1.4 GB of it)
    cpu_seconds: float = 0.0  # CPU time per job; 0 = 2 x max_seconds
    num_poses: int = 3  # people BlazePose looks for in each frame
    delegate: str = "cpu"  # "gpu" when the service found MediaPipe's GPU delegate usable here
    max_fps: float = 120.0  # frames analysed per second of video, at most (decode_protocol.analysis_stride)
    max_frames: int = 18_000  # frames analysed per video, at most (10 minutes at 30 fps)

    @property
    def cpu_limit(self) -> float:
        return self.cpu_seconds or 2.0 * self.max_seconds

    @property
    def wall_limit(self) -> float:
        """A worker is killed after this long (s): a stalled or throttled job cannot hang a request."""
        return 3.0 * self.cpu_limit + 30.0


def _worker_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV") if k in os.environ}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
    env.update(PYTHONDONTWRITEBYTECODE="1", MALLOC_ARENA_MAX="2", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    return env


class PoseWorker:
    """One sandboxed worker: spawn, wait until READY, give it one job, read its records, close."""

    def __init__(self, bundle: Path, limits: WorkerLimits) -> None:
        self.limits = limits
        self._proc = subprocess.Popen(
            # -P: the worker's code comes from our package path, never from the current directory.
            [sys.executable, "-P", "-m", "services.pose.pose_worker", str(bundle), str(limits.num_poses),
             str(limits.memory_mb), limits.delegate], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_worker_env(), start_new_session=True)
        self._records: queue.Queue = queue.Queue()
        self._stderr_tail = b""
        threading.Thread(target=self._drain_stderr, name="pose-worker-stderr", daemon=True).start()
        self._watchdog: threading.Timer | None = None
        self._started_job = 0.0
        self.peak_rss_kb = 0
        self.reusable = False  # true once a job has ended cleanly (DONE); any failure retires the worker

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> "PoseWorker":
        timer = threading.Timer(timeout, self.kill)
        timer.start()
        try:
            tag, _ = self._read_record()
        except ValueError:  # an oversized record instead of READY: retire it like any other failure
            tag = None
        finally:
            timer.cancel()
        if tag != READY:
            self.close()
            raise errors.ModelError("A pose worker failed to start (model not loadable?): "
                                    + self._stderr_tail.decode(errors="replace")[-500:])
        return self

    def start(self, job: LaneJob) -> None:
        assert self._proc.stdin is not None
        self._records, self.peak_rss_kb, self.reusable = queue.Queue(), 0, False
        self._started_job = time.monotonic()
        self._watchdog = threading.Timer(self.limits.wall_limit, self.kill)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._proc.stdin.write(job.to_json())
        self._proc.stdin.flush()
        threading.Thread(target=self._read_all, name="pose-worker-reader", daemon=True).start()

    def records(self, cancelled: Callable[[], bool] | None = None) -> Iterator[tuple[bytes, object]]:
        """(INFO, VideoInfo), (POSES, (index, ts, people)) ... then (DONE, dict); raises on failure."""
        while True:
            try:
                tag, body = self._records.get(timeout=0.1)
            except queue.Empty:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                continue
            if tag is None:
                raise self._failure(body)
            yield tag, body
            if tag == DONE:
                return

    def kill(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._proc.poll() is None:
            self.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass

    # ---- reading ---------------------------------------------------------------------------------
    def _read_record(self) -> tuple[bytes | None, bytes]:
        stream = self._proc.stdout
        assert stream is not None
        head = stream.read(RECORD.size)
        if len(head) != RECORD.size:
            return None, b""
        tag, length = RECORD.unpack(head)
        if length > MAX_RECORD:
            raise ValueError(f"oversized record ({length} bytes)")
        payload = stream.read(length)
        if len(payload) != length:
            return None, b""
        return tag, payload

    def _read_all(self) -> None:
        """Reader thread: parse records into the queue; a final (None, reason) marks a failure."""
        try:
            while True:
                tag, payload = self._read_record()
                if tag is None:
                    self._records.put((None, None))
                    return
                if tag == POSES:
                    self._records.put((POSES, read_poses(payload)))
                    continue
                body = json.loads(payload)
                self.peak_rss_kb = max(self.peak_rss_kb, int(body.get("peak_rss_kb", 0)))
                if tag == INFO:
                    self._records.put((INFO, VideoInfo(fps=float(body["fps"]), frame_count=int(body["frame_count"]),
                                                       width=int(body["width"]), height=int(body["height"]),
                                                       rotation=int(body["rotation"]),
                                                       stride=int(body.get("stride", 1)),
                                                       trackers=int(body.get("trackers", 1)))))
                elif tag == DONE:
                    if self._watchdog is not None:
                        self._watchdog.cancel()
                    self.reusable = True
                    self._records.put((DONE, body))
                    return
                elif tag == ERROR:
                    self._records.put((None, errors.InvalidRequest(str(body["message"]),
                                                                   details={"video": str(body["detail"])})))
                    return
                else:
                    raise ValueError(f"unknown record {tag!r}")
        except Exception as exc:  # noqa: BLE001 - odd output is the file's doing, never a crash of ours
            self.kill()
            self._records.put((None, _corrupt(str(exc))))

    def _failure(self, reported: object) -> errors.DomainError:
        if isinstance(reported, errors.DomainError):
            return reported
        code = self._proc.wait()
        if -code == signal.SIGXCPU or time.monotonic() - self._started_job >= self.limits.wall_limit:
            return errors.InvalidRequest("Decoding the video took longer than the service allows; send a shorter "
                                         "or lower-resolution video", details={"video": "worker time limit"})
        return errors.InvalidRequest("The video could not be decoded: the file is damaged or not a supported "
                                     "video", details={"video": f"worker stopped (exit status {code})"})

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr_tail = (self._stderr_tail + line)[-4096:]


def _corrupt(what: str) -> errors.InvalidRequest:
    return errors.InvalidRequest("The video could not be decoded: the file is damaged or not a supported video",
                                 details={"video": f"worker output rejected: {what}"})


class WorkerPool:
    """Keeps `size` workers loaded and waiting; `take(n)` hands out n of them (spawning if short)."""

    def __init__(self, bundle: Path, limits: WorkerLimits, size: int) -> None:
        self.bundle, self.limits, self.size = bundle, limits, max(1, size)
        self._ready: queue.Queue[PoseWorker] = queue.Queue()
        self._returned: queue.Queue[PoseWorker] = queue.Queue()  # given back, READY not yet read
        self._wanted = threading.Semaphore(0)
        self._closed = threading.Event()
        self._filler = threading.Thread(target=self._fill, name="pose-pool", daemon=True)
        for _ in range(self.size):
            self._wanted.release()
        self._filler.start()

    def give_back(self, workers: list[PoseWorker]) -> None:
        """After a request: workers whose job ended cleanly go back (once READY again); the rest are
        closed and replaced."""
        for worker in workers:
            if worker.reusable and not self._closed.is_set():
                self._returned.put(worker)
            else:
                worker.close()
            self._wanted.release()

    def take(self, n: int) -> list[PoseWorker]:
        taken: list[PoseWorker] = []
        deadline = time.monotonic() + TAKE_WAIT_S
        while len(taken) < n:
            try:
                # A worker given back by the previous request is READY again within ~0.2 s: waiting
                # for it beats loading a new one (~1 s of CPU).
                taken.append(self._ready.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                taken.append(PoseWorker(self.bundle, self.limits).wait_ready())
        return taken

    def _fill(self) -> None:
        """One slot to fill per release of `_wanted`: with a returned worker once READY, else a new one."""
        while True:
            self._wanted.acquire()
            if self._closed.is_set():
                return
            try:
                try:
                    worker = self._returned.get_nowait().wait_ready(timeout=30.0)
                except queue.Empty:
                    worker = PoseWorker(self.bundle, self.limits).wait_ready()
            except errors.DomainError:
                time.sleep(1.0)
                self._wanted.release()
                continue
            if self._closed.is_set():
                worker.close()
                return
            if self._ready.qsize() >= self.size:
                worker.close()  # extra workers started while the pool was empty are not kept
                continue
            self._ready.put(worker)

    def close(self) -> None:
        self._closed.set()
        self._wanted.release()
        # The filler may be starting a worker: it closes that one itself once it is up (it sees _closed), and
        # closing the pool returns only then, with no worker of the pool left running (a worker still
        # starting outlived close() when the machine was loaded: CI of 2026-12-06).
        if self._filler is not threading.current_thread():
            self._filler.join(timeout=CLOSE_WAIT_S)
        for waiting in (self._ready, self._returned):
            while True:
                try:
                    waiting.get_nowait().close()
                except queue.Empty:
                    break
