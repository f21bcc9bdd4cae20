"""Video file -> clean pose sequence of the performer (BlazePose, 33 landmarks per frame).

Pipeline: in-process preflight (format, box structure, header limits) -> frames dealt round-robin to
BlazePose trackers run by sandboxed worker processes, each decoding the video and running MediaPipe on its
trackers' share on its own core -> workers' records merged in frame order, people linked into tracks
(services.pose.tracking) -> where two people could be the performer, a second look at crops of the frames
where either went missing, and tracks linked again (services.pose.redetect) -> performer chosen -> left/right
swaps undone (services.pose.laterality) -> gaps filled,
outliers rejected, smoothing (services.kit.landmark_signal).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from services.kit import errors
from services.kit import landmark_signal
from services.pose import container, laterality, redetect, video
from services.kit.tracker_spread import frame_lanes
from services.pose.decode_protocol import INFO, MAX_TRACKERS, POSES, LaneJob, analysis_stride, tracker_count
from services.pose.landmarker import LANDMARK_FIELDS, MODEL_NAME, NUM_LANDMARKS
from services.pose.core_budget import Cancelled, CoreBudget
from services.pose.workers import PoseWorker, WorkerLimits, WorkerPool

MAX_FRAME_STRIDE = 1000


class ExtractionCancelled(Exception):
    """The caller no longer wants the result (e.g. the client went away); work stopped early."""


@dataclass
class PoseFrame:
    index: int  # position in the decoded video (before any stride)
    timestamp_ms: float  # presentation time from the container
    detected: bool  # landmarks present (measured, or filled across a short gap: see `filled`)
    # (33, 8) float32 in LANDMARK_FIELDS order: x, y, z (normalised image coordinates, z in x's scale),
    # wx, wy, wz (metres, origin at the hip centre), visibility, presence; None when not detected.
    landmarks: np.ndarray | None = None
    filled: bool = False  # the whole frame was interpolated across a short detection gap
    # (33,) px: how far the video's trackers disagree about each landmark here (NaN: unknown);
    # services.kit.tracker_spread
    tracker_spread_px: np.ndarray | None = None


@dataclass
class PoseSequence:
    fps: float
    width: int  # of the frames as displayed (rotation metadata applied)
    height: int
    frame_count: int  # frames decoded
    duration_ms: float
    model: str = MODEL_NAME
    people_seen: int = 0  # most people detected in any one frame
    frames: list[PoseFrame] = field(default_factory=list)
    inference_seconds: float = 0.0  # time spent in the pose model, summed over the workers (excludes decoding)
    rotation: int = 0  # degrees of rotation metadata applied to the frames
    smoothing: str = "none"  # what landmark_signal applied, e.g. "butterworth 10 Hz"
    filter: str = "none"  # its name in services.kit.landmark_filters.FILTERS
    cutoff_hz: float = 0.0  # the Butterworth cut-off used (0 for other filters)
    implausible_samples: int = 0  # landmark samples dropped as anatomically impossible
    image_checked: bool = False  # the outlier tests also judged the image coordinates
    rejected_samples: int = 0  # landmark samples dropped as outliers
    filled_samples: int = 0  # landmark samples interpolated across short gaps
    decoder_peak_rss_kb: int = 0  # largest peak resident memory of a worker process
    side_swaps_fixed: int = 0  # frames whose left/right labels BlazePose had exchanged (services.pose.laterality)
    analysed_fps: float = 0.0  # frames analysed per second of video: fps / the stride used
    trackers: int = 1  # BlazePose trackers the frames were dealt to (decode_protocol.tracker_count)
    # the most prominent other person in the performer's frames, as a share of the performer's score
    # (tracking.PeopleTracker.performer_and_rival; 0: nobody else)
    rival_prominence: float = 0.0
    recovered_detections: int = 0  # people found by the second look at crops (services.pose.redetect), who is who only


# Parallelism: the analysed frames are dealt round-robin to BlazePose trackers, as many as the video's
# frame rate allows (decode_protocol.tracker_count: a property of the video, so that the answer does not
# depend on the machine), run by up to `workers` worker processes, one per core. Every worker decodes the
# whole video and runs its trackers from the first frame, so each tracker follows the performer as a single
# pass would (time segments did not: a fresh BlazePose starting mid-clip missed the sports2d athlete
# mid-flip, 143 frames with the wrong person instead of 203 with him; local branch pose-block-lanes). The
# cost is decoding every frame in each worker, small beside inference (~7 ms against ~37 ms per 1080p
# frame), hence at most MAX_TRACKERS.
# Where BlazePose itself is unsure (sports2d's athlete side-on on the box at 4.8-5.0 s, legs overlapping: the
# hidden leg placed down in one frame and raised in the next), the landmarks zigzag frame by frame, which no
# outlier test rejects when half the samples are off; the trackers' disagreement is measured instead
# (services.kit.tracker_spread, sent per landmark) and scoring does not count speeds where it is large.


def plan_workers(path: Path, frame_stride: int, limits: WorkerLimits, workers: int) -> int:
    """How many worker processes share one video: no more than it has trackers (when its container
    declares its frame rate and count) and no more than `workers`."""
    workers = max(1, min(workers, MAX_TRACKERS))
    if video.preflight(path) not in ("mp4", "mov"):
        return workers
    header = container.read_iso_header(path)
    container.check_header(header, container.HeaderLimits(max_pixels=limits.max_pixels,
                                                          max_seconds=limits.max_seconds))
    track = max(header.video_tracks, key=lambda t: t.sample_count, default=None)
    if track is None or not track.sample_count:
        return workers
    fps = track.sample_count / track.duration_s if track.duration_s > 0 else 0.0
    stride = analysis_stride(frame_stride, fps, track.sample_count, limits.max_fps, limits.max_frames)
    return min(workers, tracker_count(fps, stride, track.sample_count) if fps else MAX_TRACKERS)


def extract_poses(path: Path, bundle: Path, *, frame_stride: int = 1, limits: WorkerLimits | None = None,
                  workers: int = 1, pool: WorkerPool | None = None, cores: CoreBudget | None = None,
                  signal: landmark_signal.SignalConfig | None = None,
                  cancelled: Callable[[], bool] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> PoseSequence:
    """Run BlazePose over every `frame_stride`-th frame of the video at `path` (our own file).

    Up to `workers` sandboxed worker processes (taken from `pool` when given, else started here)
    run the video's trackers (see plan_workers). Raises InvalidRequest for a file
    that is not a usable video and ValidationFailed when no person is detected in any analysed
    frame. `cancelled` is polled while waiting; when it turns true, ExtractionCancelled is raised
    and the workers are killed, so an abandoned request stops using the CPU. `progress(done, total)` is
    called (from this thread) every PROGRESS_EVERY frames analysed, with the frames the video's container
    declares at the analysed stride (0 when it declares none).
    """
    if not 1 <= frame_stride <= MAX_FRAME_STRIDE:
        raise errors.InvalidRequest(f"frame_stride must be between 1 and {MAX_FRAME_STRIDE}",
                                    details={"frame_stride": f"got {frame_stride}"})
    limits = limits or WorkerLimits()
    n_workers = plan_workers(path, frame_stride, limits, min(workers, cores.total) if cores else workers)
    try:
        held = cores.acquire(n_workers, cancelled) if cores is not None else 0
    except Cancelled:
        raise ExtractionCancelled("the caller went away") from None
    try:
        return _extract(path, bundle, n_workers, frame_stride, limits, pool, signal, cancelled, progress)
    finally:
        if cores is not None:
            cores.release(held)


PROGRESS_EVERY = 15  # frames analysed between two progress reports (half a second of 30 fps video)


def _expected_frames(info) -> int:
    """The frames the workers will analyse: the container's declared count at the analysed stride."""
    return math.ceil(info.frame_count / max(1, info.stride)) if info.frame_count else 0


def _records(proc: PoseWorker, state: dict, cancelled: Callable[[], bool] | None) -> Iterator[tuple]:
    """One worker's POSES records (index, ts, people, looks); its INFO and DONE go into `state`."""
    for tag, body in proc.records(cancelled):
        if tag == INFO:
            state.setdefault("info", body)
        elif tag == POSES:
            yield body
        else:
            state.setdefault("done", body)
            state["inference_seconds"] = state.get("inference_seconds", 0.0) + float(body.get("inference_seconds", 0.0))


def _first_pass(procs: list[PoseWorker], path: Path, frame_stride: int, limits: WorkerLimits, state: dict,
                cancelled: Callable[[], bool] | None, progress: Callable[[int, int], None] | None) -> list[redetect.Record]:
    """Every analysed frame's people, in frame order, from the workers' trackers."""
    for number, proc in enumerate(procs):
        proc.start(LaneJob(path=str(path), worker=number, workers=len(procs), stride=frame_stride,
                           max_seconds=limits.max_seconds, max_pixels=limits.max_pixels,
                           cpu_seconds=limits.cpu_limit, max_fps=limits.max_fps, max_frames=limits.max_frames))
    records: list[redetect.Record] = []
    # The workers' records merged back into frame order (heapq.merge takes the lowest index next).
    for record in heapq.merge(*(_records(p, state, cancelled) for p in procs), key=lambda r: r[0]):
        if records and record[0] <= records[-1][0]:
            continue  # never trust a worker to keep order: a repeated frame is dropped
        records.append(record)
        if progress is not None and len(records) % PROGRESS_EVERY == 0:
            progress(len(records), _expected_frames(state["info"]))
    return records


def _second_look(procs: list[PoseWorker], path: Path, limits: WorkerLimits, wanted: list[redetect.Wanted],
                 state: dict, cancelled: Callable[[], bool] | None) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
    """What each wanted region's crop holds (services.pose.redetect), the regions shared out between the
    workers that finished the first pass cleanly."""
    usable = [p.wait_ready() for p in procs if p.reusable]
    # Each share in frame order: the worker answers in decoding order, one record per region.
    shares = [sorted(range(k, len(wanted), len(usable)), key=lambda n: wanted[n].region[0]) for k in range(len(usable))]
    for proc, share in zip(usable, shares):
        proc.start(LaneJob(path=str(path), worker=0, workers=1, stride=1, max_seconds=limits.max_seconds,
                           max_pixels=limits.max_pixels, cpu_seconds=limits.cpu_limit,
                           regions=tuple(wanted[n].region for n in share)))
    found: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for proc, share in zip(usable, shares):
        for number, (index, _, people, looks) in zip(share, list(_records(proc, state, cancelled))):
            if index == wanted[number].region[0]:  # a worker's answer out of step is not used
                found[number] = list(zip(people, looks))
    return found


def _extract(path: Path, bundle: Path, n_workers: int, frame_stride: int, limits: WorkerLimits,
             pool: WorkerPool | None, signal: landmark_signal.SignalConfig | None,
             cancelled: Callable[[], bool] | None, progress: Callable[[int, int], None] | None) -> PoseSequence:
    procs = pool.take(n_workers) if pool is not None else [PoseWorker(bundle, limits).wait_ready()
                                                           for _ in range(n_workers)]
    state: dict = {}
    from_crops: set[int] = set()
    people_seen, tracker = 0, None
    try:
        records = _first_pass(procs, path, frame_stride, limits, state, cancelled, progress)
        peak_rss = max(p.peak_rss_kb for p in procs)  # a second job starts each worker's count again
        if records:
            width, height = state["info"].width, state["info"].height
            tracker, people_seen = redetect.track(records, width, height)
            wanted = redetect.plan(tracker, records)
            if wanted:
                found = _second_look(procs, path, limits, wanted, state, cancelled)
                peak_rss = max([peak_rss] + [p.peak_rss_kb for p in procs])
                records, from_crops = redetect.merge(records, wanted, found, width, height)
                if from_crops:
                    tracker, people_seen = redetect.track(records, width, height)
    except Cancelled:
        raise ExtractionCancelled("the caller went away") from None
    finally:
        if pool is not None:
            pool.give_back(procs)
        else:
            for proc in procs:
                proc.close()
    times = [r[1] for r in records]
    indices = [r[0] for r in records]
    info, done = state.get("info"), state.get("done", {})
    performer, rival = tracker.performer_and_rival() if tracker is not None else (None, 0.0)
    # Measured: what the trackers placed. A person found in a crop (services.pose.redetect) tells who is who,
    # but is not measured: see that module for why.
    kept = [(pos, lm) for pos, lm in zip(performer.positions, performer.landmarks)
            if id(lm) not in from_crops] if performer is not None else []
    if not kept or info is None:
        raise errors.ValidationFailed("No person was detected in the video",
                                      details={"video": "no person detected in any frame"})
    measured_at = [pos for pos, _ in kept]
    raw = np.full((len(times), NUM_LANDMARKS, len(LANDMARK_FIELDS)), np.nan, dtype=np.float32)
    raw[measured_at] = np.stack([lm for _, lm in kept])
    raw, swapped = laterality.unswap_sequence(np.asarray(times), raw)
    clean = landmark_signal.clean_sequence(np.asarray(times), raw, signal or landmark_signal.SignalConfig(),
                                          image_size=(info.width, info.height),
                                          lanes=frame_lanes(np.asarray(indices), info.stride, info.trackers))
    measured = np.zeros(len(times), dtype=bool)
    measured[measured_at] = True
    frames = []
    for pos, (index, ts) in enumerate(zip(indices, times)):
        lms = clean.landmarks[pos].copy()
        lost = ~np.isfinite(lms[:, 3:6]).all(axis=1)  # a landmark rejected or in a long gap: not visible
        lms[lost, 6:8] = 0.0
        present = bool((~lost).any())
        frames.append(PoseFrame(index=index, timestamp_ms=ts, detected=present,
                                landmarks=np.nan_to_num(lms, nan=0.0) if present else None,
                                filled=present and not measured[pos],
                                tracker_spread_px=None if clean.tracker_spread_px is None or not present
                                else clean.tracker_spread_px[pos]))
    last_ms = float(done.get("last_timestamp_ms", times[-1]))
    # Duration (ms) = time of the last decoded frame plus one nominal frame period (1000 / fps).
    return PoseSequence(fps=info.fps, analysed_fps=info.fps / info.stride, width=info.width, height=info.height,
                        frame_count=int(done.get("decoded", len(times))), duration_ms=last_ms + 1000.0 / info.fps,
                        people_seen=people_seen, frames=frames, inference_seconds=state.get("inference_seconds", 0.0), rotation=info.rotation,
                        smoothing=clean.method, filter=clean.filter, cutoff_hz=clean.cutoff_hz,
                        implausible_samples=clean.implausible, image_checked=clean.image_checked,
                        rejected_samples=int(clean.rejected.sum()),
                        filled_samples=int(clean.filled.sum()), decoder_peak_rss_kb=peak_rss,
                        side_swaps_fixed=swapped, trackers=info.trackers, rival_prominence=rival,
                        recovered_detections=len(from_crops))


__all__ = ["ExtractionCancelled", "LANDMARK_FIELDS", "PoseFrame", "PoseSequence", "extract_poses"]
