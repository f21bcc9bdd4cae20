"""Video file -> pose sequence of the performer (BlazePose, 33 landmarks per frame)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from services.kit import errors
from services.pose import video
from services.pose.landmarker import LANDMARK_FIELDS, MODEL_NAME, Candidate, Landmarker

# After this long without a detection the performer is chosen afresh (largest body) instead of
# by proximity to where they were last seen.
REACQUIRE_AFTER_MS = 1000.0
MAX_FRAME_STRIDE = 1000


class ExtractionCancelled(Exception):
    """The caller no longer wants the result (e.g. the client went away); work stopped early."""


@dataclass
class PoseFrame:
    index: int  # position in the decoded video (before any stride)
    timestamp_ms: float  # presentation time from the container
    detected: bool
    # (33, 8) float32 in LANDMARK_FIELDS order: x, y, z (normalised image coordinates, z in x's scale),
    # wx, wy, wz (metres, origin at the hip centre), visibility, presence; None when not detected.
    landmarks: np.ndarray | None = None


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
    inference_seconds: float = 0.0  # time spent in the pose model, excluding decoding


class PerformerTracker:
    """Picks the performer among the people detected in each frame.

    Rule: when no one has been chosen yet (or no one was seen for REACQUIRE_AFTER_MS), take the
    person with the largest body bounding box (pixels^2; the performer is usually the nearest,
    most central subject). Afterwards take the person whose box centre is nearest (pixels) to the
    previous choice's, so a larger bystander walking through does not steal the track.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._centre: tuple[float, float] | None = None
        self._seen_at = -math.inf

    def choose(self, people: list[Candidate], timestamp_ms: float) -> Candidate | None:
        if not people:
            return None
        boxes = [p.bbox(self.width, self.height) for p in people]
        if self._centre is None or timestamp_ms - self._seen_at > REACQUIRE_AFTER_MS:
            best = max(range(len(people)), key=lambda i: (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]))
        else:
            cx, cy = self._centre
            best = min(range(len(people)), key=lambda i: math.hypot((boxes[i][0] + boxes[i][2]) / 2 - cx,
                                                                    (boxes[i][1] + boxes[i][3]) / 2 - cy))
        x0, y0, x1, y1 = boxes[best]
        self._centre, self._seen_at = ((x0 + x1) / 2, (y0 + y1) / 2), timestamp_ms
        return people[best]


def extract_poses(path: Path, bundle: Path, *, frame_stride: int = 1, max_video_seconds: float = 600.0,
                  num_poses: int = 2, cancelled: Callable[[], bool] | None = None) -> PoseSequence:
    """Run BlazePose over every `frame_stride`-th frame of the video at `path` (our own file).

    Raises InvalidRequest for a file that is not a usable video and ValidationFailed when no
    person is detected in any analysed frame. `cancelled` is polled once per frame; when it turns
    true, ExtractionCancelled is raised so an abandoned request stops using the CPU.
    """
    if not 1 <= frame_stride <= MAX_FRAME_STRIDE:
        raise errors.InvalidRequest(f"frame_stride must be between 1 and {MAX_FRAME_STRIDE}",
                                    details={"frame_stride": f"got {frame_stride}"})
    info = video.probe(path, max_video_seconds)
    tracker = PerformerTracker(info.width, info.height)
    frames: list[PoseFrame] = []
    people_seen, inference, stats = 0, 0.0, video.DecodeStats()
    with Landmarker(bundle, num_poses=num_poses) as landmarker:
        for frame in video.frames(path, info, max_video_seconds, frame_stride, stats):
            if cancelled is not None and cancelled():
                raise ExtractionCancelled(f"stopped at frame {frame.index}")
            started = time.perf_counter()
            people = landmarker.detect(frame.rgb, frame.timestamp_ms)
            inference += time.perf_counter() - started
            people_seen = max(people_seen, len(people))
            chosen = tracker.choose(people, frame.timestamp_ms)
            frames.append(PoseFrame(index=frame.index, timestamp_ms=frame.timestamp_ms, detected=chosen is not None,
                                    landmarks=None if chosen is None else chosen.landmarks))
    if not any(f.detected for f in frames):
        raise errors.ValidationFailed("No person was detected in the video",
                                      details={"video": "no person detected in any frame"})
    # Duration (ms) = time of the last decoded frame plus one nominal frame period (1000 / fps).
    return PoseSequence(fps=info.fps, width=info.width, height=info.height, frame_count=stats.decoded,
                        duration_ms=stats.last_timestamp_ms + 1000.0 / info.fps, people_seen=people_seen,
                        frames=frames, inference_seconds=inference)


__all__ = ["ExtractionCancelled", "LANDMARK_FIELDS", "PerformerTracker", "PoseFrame", "PoseSequence", "extract_poses"]
