"""Wire format between the pose service and its sandboxed pose workers (a pipe of tagged records)."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

import numpy as np

from services.pose import appearance

# Every record: 1-byte tag + 4-byte little-endian payload length, then the payload.
RECORD = struct.Struct("<cI")
# A pose payload: frame index, presentation time (ms), number of people; then per person 33 x 8
# landmark floats and the appearance descriptor (float32).
POSE_HEAD = struct.Struct("<IdI")
LANDMARK_FLOATS = 33 * 8
PERSON_FLOATS = LANDMARK_FLOATS + appearance.SIZE
MAX_PEOPLE = 16

READY, INFO, POSES, ERROR, DONE = b"R", b"I", b"P", b"E", b"D"


def analysis_stride(stride: int, fps: float, frame_count: int, max_fps: float, max_frames: int) -> int:
    """The stride a video is analysed at: the caller's, raised so that at most max_fps frames per second and
    max_frames frames in all are analysed. A short clip at 1000 fps cost 30 s of CPU at every frame; above
    ~120 fps more frames add inference, not information BlazePose resolves (its landmarks jitter by more than
    a strike moves in 1/120 s), and the analysed rate is reported with the result."""
    out = max(1, int(stride))
    if max_fps > 0 and fps > max_fps:
        out = max(out, math.ceil(fps / max_fps - 1e-9))
    if max_frames > 0 and frame_count > max_frames:
        out = max(out, math.ceil(frame_count / max_frames))
    return out


# Trackers. The frames analysed are dealt round-robin to `tracker_count` BlazePose trackers (rank k to
# tracker k mod n), each its own MediaPipe landmarker: the trackers run in parallel, one per core. A
# tracker's output depends on the frames it saw before: BlazePose keeps a person its detector misses in a
# frame (small, mid-flip, half hidden) by following the landmarks of the tracker's previous frame (measured
# on sports2d, 2 x 115 frames: 14 % of the frames came out identical whether the tracker had seen every
# frame or every other one; on pose2sim cam01, where the detector always finds the one performer, all).
# So the number of trackers is a property of the video, never of the machine: the same file gives the same
# landmarks on 1 core or 16 (a worker process runs several trackers when there are fewer workers), and no
# tracker sees fewer than MIN_TRACKER_FPS frames per second. Sports2D at 15 fps had read 0.36x of its
# original's peak speed with two trackers at 7.5 fps each, 0.94x with one; 24-25 fps video gets two
# trackers, 15 fps one, 60 fps four.
MIN_TRACKER_FPS = 11.5
MAX_TRACKERS = 4  # beyond this decoding, done in full by every worker, outweighs what another core adds
MIN_TRACKER_FRAMES = 8  # analysed frames per tracker below which another one is not worth starting


def tracker_count(fps: float, stride: int, frame_count: int) -> int:
    """How many trackers share a video of this frame rate and declared frame count (0: unknown),
    analysed at this stride."""
    trackers = int(fps / max(1, stride) / MIN_TRACKER_FPS) if fps > 0 and math.isfinite(fps) else 1
    if frame_count:
        trackers = min(trackers, (frame_count // max(1, stride)) // MIN_TRACKER_FRAMES)
    return max(1, min(MAX_TRACKERS, trackers))


@dataclass(frozen=True)
class LaneJob:
    """One worker's share of a video (sent as one JSON line on its stdin). Of the frames to analyse (every
    `stride`-th), rank k belongs to tracker k mod T (T = tracker_count, which every worker computes alike
    from the video), and the worker runs the trackers t with t mod `workers` = `worker`."""

    path: str  # our own temp file; never a user-given name or URL
    worker: int  # 0 .. workers - 1
    workers: int  # worker processes sharing the video
    stride: int  # analyse frames whose index is a multiple of this (at least; see analysis_stride)
    max_seconds: float
    max_pixels: int
    cpu_seconds: float
    max_fps: float = 0.0  # analyse at most this many frames per second of video (0: every frame)
    max_frames: int = 0  # and at most this many frames in all (0: no cap)
    # A second look instead (services.pose.redetect): [frame index, x0, y0, x1, y1] crops of the displayed
    # frames, each run through BlazePose alone; `worker`, `workers` and the strides do not apply.
    regions: tuple = ()

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> "LaneJob":
        body = json.loads(raw)
        body["regions"] = tuple(tuple(int(v) for v in region) for region in body.get("regions", ()))
        return cls(**body)


def write_json(out: BinaryIO, tag: bytes, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    out.write(RECORD.pack(tag, len(payload)) + payload)
    out.flush()


def write_poses(out: BinaryIO, index: int, timestamp_ms: float, people: list[np.ndarray],
                looks: list[np.ndarray]) -> None:
    body = b"".join(np.ascontiguousarray(p, dtype="<f4").tobytes() + np.ascontiguousarray(a, dtype="<f4").tobytes()
                    for p, a in list(zip(people, looks))[:MAX_PEOPLE])
    head = POSE_HEAD.pack(index, timestamp_ms, min(len(people), MAX_PEOPLE))
    out.write(RECORD.pack(POSES, len(head) + len(body)) + head + body)


def read_poses(payload: bytes) -> tuple[int, float, list[np.ndarray], list[np.ndarray]]:
    """Parse a POSES payload (index, timestamp, landmarks per person, appearance per person),
    checking its size against its declared people count and that every number is finite."""
    index, ts, count = POSE_HEAD.unpack_from(payload)
    if count > MAX_PEOPLE or len(payload) != POSE_HEAD.size + count * PERSON_FLOATS * 4:
        raise ValueError(f"pose record of {len(payload)} bytes for {count} people")
    flat = np.frombuffer(payload, dtype="<f4", offset=POSE_HEAD.size).astype(np.float32).reshape(count, PERSON_FLOATS)
    if not np.isfinite(flat).all() or not np.isfinite(ts):
        raise ValueError("non-finite numbers in a pose record")
    return (index, ts, [row[:LANDMARK_FLOATS].reshape(33, 8) for row in flat],
            [row[LANDMARK_FLOATS:] for row in flat])
