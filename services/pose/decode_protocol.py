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


@dataclass(frozen=True)
class LaneJob:
    """One worker's share of a video (sent as one JSON line on its stdin): of the frames to analyse
    (every `stride`-th), the worker takes those whose rank modulo `lanes` is `lane`."""

    path: str  # our own temp file; never a user-given name or URL
    lane: int  # 0 .. lanes - 1
    lanes: int  # workers sharing the video
    stride: int  # analyse frames whose index is a multiple of this (at least; see analysis_stride)
    max_seconds: float
    max_pixels: int
    cpu_seconds: float
    max_fps: float = 0.0  # analyse at most this many frames per second of video (0: every frame)
    max_frames: int = 0  # and at most this many frames in all (0: no cap)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> "LaneJob":
        return cls(**json.loads(raw))


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
