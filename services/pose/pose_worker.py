"""Sandboxed pose worker: decodes a video and runs BlazePose on its share (its trackers) of the frames.

Started ahead of time by the service's worker pool (`python -m services.pose.pose_worker BUNDLE
NUM_POSES MEMORY_MB`): it limits itself (address space, no file writes, few descriptors, no core
dumps), imports OpenCV and MediaPipe, loads the model, says READY, then waits for a LaneJob on
stdin. The CPU-time limit is set when the job arrives. A malformed or malicious video can crash,
exhaust or hang only this process; the parent sees a dead pipe and answers with an error. A worker
whose job ended in any error exits and is never reused; one that finished cleanly says READY again
(up to MAX_JOBS), which saves the ~1 s import per request. FFmpeg may read local files only.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import BinaryIO, Callable

from services.pose import appearance
from services.pose.decode_protocol import (DONE, ERROR, INFO, MAX_TRACKERS, READY, LaneJob, analysis_stride,
                                          tracker_count, write_json, write_poses)
from services.pose.worker_video import Refused, decode, open_video, read_ahead

# FFmpeg reads this when a capture opens: only the `file` protocol, so a container or playlist that
# points at URLs or other files cannot make the decoder fetch anything.
FFMPEG_OPTIONS = "protocol_whitelist;file"
MODEL_FRAME_MS = 1000.0 / 30.0  # the frame clock BlazePose is given (see run_lane)
# Jobs a worker serves before it exits and is replaced (bounds any slow leak in native code).
MAX_JOBS = 50
# Address space one more BlazePose landmarker takes (measured: 250 MB of VmSize, 75 MB resident, each);
# a worker running several trackers of one video may use this much more than its memory limit.
TRACKER_MB = 320


def limit_self(memory_mb: int) -> None:
    """The sandbox limits that hold from before the model loads until the process ends. The address space
    is held to memory_mb; its hard limit leaves room for the extra trackers a job may need (allow_trackers)."""
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem + (MAX_TRACKERS - 1) * TRACKER_MB * 1024 * 1024))
    # The worker writes only to its stdout pipe: any file write fails (EFBIG, signal ignored).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def limit_cpu(seconds: float) -> None:
    """CPU time for this job on top of what the process used before it (SIGXCPU ends the process).

    Only the soft limit moves (an unprivileged process cannot raise a hard limit again for its next
    job); the parent's wall-clock watchdog is the backstop that always kills."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(used.ru_utime + used.ru_stime + max(1.0, seconds)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))


def allow_trackers(memory_mb: int, trackers: int) -> None:
    """Raise the address-space limit (the soft one, under the hard one limit_self set) for a job running
    this many trackers in this process. Never lowered again: MediaPipe keeps the address space of a closed
    landmarker and reuses it for the next (measured: 1.13 GB with one, 1.88 with four, 1.83 after closing
    three, the same over three rounds), so a lower limit would starve the next job's decoder."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = (memory_mb + (max(1, trackers) - 1) * TRACKER_MB) * 1024 * 1024
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_AS, (min(wanted, hard), hard))


def peak_rss_kb(pid: int | str = "self") -> int:
    """Peak resident memory of a process (KiB; this one by default). VmHWM belongs to the current
    program image; getrusage's ru_maxrss would include the parent's memory inherited across fork and exec."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_lane(job: LaneJob, landmarker, out: BinaryIO, new_landmarker: Callable[[], object], memory_mb: int) -> None:
    """Analyse this worker's share of the video: the warm `landmarker` runs its first tracker,
    `new_landmarker()` makes one for each further tracker (within memory_mb plus allow_trackers' margin)."""
    import cv2

    cap, fps, _, _, frame_count, rotation = open_video(job)
    frames = None
    models = {}
    try:
        stats = {"decoded": 0, "last": 0.0}
        analysed, informed, inference = 0, False, 0.0
        stride = analysis_stride(job.stride, fps, frame_count, job.max_fps, job.max_frames)
        trackers = tracker_count(fps, stride, frame_count)
        mine = [t for t in range(trackers) if t % job.workers == job.worker]
        if len(mine) > 1:
            allow_trackers(memory_mb, len(mine))
        for t in mine:
            # The warm landmarker serves the first tracker; each further one is fresh (~0.1 s), as a
            # tracker's state must start with the video.
            models[t] = landmarker if not models else new_landmarker()
        frames = read_ahead(decode(cap, job, stride, trackers, fps, stats))
        for index, ts, bgr, tracker in frames:
            if not informed:
                write_json(out, INFO, {"fps": float(fps), "frame_count": frame_count, "rotation": rotation, "stride": stride,
                                       "trackers": trackers, "width": int(bgr.shape[1]), "height": int(bgr.shape[0])})
                informed = True
            started = time.perf_counter()
            # BlazePose smooths its landmarks over time (a One Euro filter inside the task, in Hz): fed the
            # presentation times, the same frames played at half speed came out jitterier (image
            # landmarks 2 px apart at the median, 7 px at p95), which no later filter can undo. Fed a frame
            # clock, its output depends on the frames alone; the real times travel beside it.
            people = models[tracker].detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index * MODEL_FRAME_MS)
            inference += time.perf_counter() - started
            write_poses(out, index, ts, people, [appearance.describe(bgr, p) for p in people])
            analysed += 1
        _finish(job, out, stats, frame_count, analysed, inference)
    finally:
        if frames is not None:
            frames.close()  # stops and joins the decoding thread before the capture goes away
        cap.release()
        for model in models.values():
            if model is not landmarker:
                model.close()


def run_regions(job: LaneJob, out: BinaryIO, new_landmarker: Callable[[], object], memory_mb: int) -> None:
    """The second look (services.pose.redetect): each of the job's regions cropped from its frame and run
    through a landmarker in IMAGE mode; its people written, in the whole frame's coordinates, as one POSES
    record per region, in frame order (a frame's regions in the job's order)."""
    import cv2

    from services.pose.redetect import to_frame

    cap, fps, _, _, frame_count, _ = open_video(job)
    frames, model = None, None
    try:
        allow_trackers(memory_mb, 2)  # the job's own landmarker beside the worker's warm one
        model = new_landmarker()
        wanted: dict[int, list[tuple[int, ...]]] = {}
        for region in job.regions:
            wanted.setdefault(region[0], []).append(region)
        stats = {"decoded": 0, "last": 0.0}
        analysed, inference = 0, 0.0
        frames = read_ahead(decode(cap, job, 1, 1, fps, stats, wanted.__contains__, max(wanted, default=-1)))
        for index, ts, bgr, _ in frames:
            height, width = bgr.shape[:2]
            for region in wanted[index]:
                _, x0, y0, x1, y1 = region
                crop = bgr[y0:min(y1, height), x0:min(x1, width)]
                started = time.perf_counter()
                people = model.detect(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), 0.0) if crop.size else []
                inference += time.perf_counter() - started
                people = [to_frame(p, region, width, height) for p in people]
                write_poses(out, index, ts, people, [appearance.describe(bgr, p) for p in people])
                analysed += 1
        _finish(job, out, stats, frame_count, analysed, inference)
    finally:
        if frames is not None:
            frames.close()
        cap.release()
        if model is not None:
            model.close()


def _finish(job: LaneJob, out: BinaryIO, stats: dict, frame_count: int, analysed: int, inference: float) -> None:
    decoded = stats["decoded"]
    if decoded == 0:
        raise Refused("The video has no decodable frames", "no frame could be decoded")
    # Containers with an exact frame table (MP4, MOV) declare their count; far fewer = damaged.
    if frame_count and decoded < 0.9 * frame_count - 1 and not job.regions:
        raise Refused(f"The video is truncated or damaged: only {decoded} of its {frame_count} frames "
                      "could be decoded", f"{decoded} of {frame_count} frames decoded")
    write_json(out, DONE, {"decoded": decoded, "analysed": analysed, "inference_seconds": inference,
                           "last_timestamp_ms": float(stats["last"]), "peak_rss_kb": peak_rss_kb()})


def main() -> int:
    bundle, num_poses, memory_mb = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    delegate = sys.argv[4] if len(sys.argv) > 4 else "cpu"
    out = os.fdopen(sys.stdout.fileno(), "wb", buffering=1 << 16, closefd=False)
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = FFMPEG_OPTIONS
    limit_self(memory_mb)
    import cv2
    import numpy as np

    from services.pose.landmarker import Landmarker

    cv2.setNumThreads(1)
    for _ in range(MAX_JOBS):
        # A fresh landmarker per job: its VIDEO-mode clock and tracking state start with the video.
        with Landmarker(bundle, num_poses=num_poses, delegate=delegate) as landmarker:
            landmarker.detect(np.full((256, 256, 3), 127, dtype=np.uint8), 0)  # warm: the first call is slow
            write_json(out, READY, {"pid": os.getpid()})
            line = sys.stdin.buffer.readline(65536)
            if not line:
                return 0  # the pool let us go
            job = LaneJob.from_json(line)
            limit_cpu(job.cpu_seconds)
            try:
                if job.regions:
                    run_regions(job, out, lambda: Landmarker(bundle, num_poses=1, delegate=delegate, video=False),
                                memory_mb)
                else:
                    run_lane(job, landmarker, out, lambda: Landmarker(bundle, num_poses=num_poses, delegate=delegate),
                             memory_mb)
            except Refused as exc:
                write_json(out, ERROR, {"message": exc.message, "detail": exc.detail, "peak_rss_kb": peak_rss_kb()})
                return 0  # a refused file ends the worker: it is never reused after touching one
            except MemoryError:
                write_json(out, ERROR, {"message": "Decoding the video needs more memory than the service allows "
                                                   f"({memory_mb} MiB per worker); send a smaller or shorter video",
                                        "detail": "worker memory limit", "peak_rss_kb": peak_rss_kb()})
                return 0
            except BrokenPipeError:
                return 0  # the parent stopped reading (cancelled): nothing left to do
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
