"""Pose sequences of reference performances: strict checks of given ones, summaries of extracted ones."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kataforge.common.v1 import common_pb2
from services.kit.errors import InvalidRequest, ValidationFailed

LANDMARKS = 33  # MediaPipe BlazePose topology
MAX_FRAMES = 7200  # 2 minutes at 60 fps: a reference is one technique, not a training session
MIN_PERSON_FRAMES = 10  # fewer cannot carry the phases of a technique (chamber, extension, recovery)
WORLD_LIMIT_M = 3.0  # world landmarks are relative to the hips: no body part is 3 m from them
MAX_FPS = 1000.0
MAX_TIMESTAMP_MS = 3_600_000.0  # one hour
MAX_DETAILS = 20  # a badly built sequence can be wrong everywhere: report the first problems only

FIELD = "pose_sequence"


@dataclass(frozen=True)
class Summary:
    fps: float
    frame_count: int
    detected_frames: int
    duration_ms: float


def _number(value: float) -> str:
    return f"{value:.6g}"


def _landmark_problem(lm: common_pb2.Landmark) -> str | None:
    """The first problem of one landmark, or None."""
    for name in ("wx", "wy", "wz"):
        value = getattr(lm, name)
        if not math.isfinite(value) or abs(value) > WORLD_LIMIT_M:
            return (f"{name} = {_number(value)} is not a world coordinate within ±{WORLD_LIMIT_M:g} m "
                    "of the hips (metres, MediaPipe world landmarks)")
    for name in ("visibility", "presence"):
        value = getattr(lm, name)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            return f"{name} = {_number(value)} must be between 0 and 1"
    for name in ("x", "y", "z"):
        if not math.isfinite(getattr(lm, name)):
            return f"{name} must be a finite number"
    return None


def _frame_problems(seq: common_pb2.PoseSequence, details: dict[str, str]) -> int:
    """Add per-frame problems to `details` (at most MAX_DETAILS); return how many were found."""
    found = 0
    previous = -math.inf

    def note(key: str, problem: str) -> None:
        nonlocal found
        found += 1
        if len(details) < MAX_DETAILS:
            details[key] = problem

    for i, frame in enumerate(seq.frames):
        key = f"{FIELD}.frames.{i}"
        ts = frame.timestamp_ms
        if not (math.isfinite(ts) and 0.0 <= ts <= MAX_TIMESTAMP_MS):
            note(f"{key}.timestamp_ms", f"Must be a time in milliseconds between 0 and {MAX_TIMESTAMP_MS:g} "
                                         f"(got {_number(ts)})")
        elif ts <= previous:
            note(f"{key}.timestamp_ms", f"Timestamps must be strictly increasing: {_number(ts)} ms follows "
                                         f"{_number(previous)} ms")
        if math.isfinite(ts):
            previous = max(previous, ts)
        count = len(frame.landmarks)
        if count not in (0, LANDMARKS):
            note(f"{key}.landmarks", f"Must hold {LANDMARKS} landmarks (BlazePose order), or none when no person "
                                     f"is in the frame (got {count})")
            continue
        for j, lm in enumerate(frame.landmarks):
            problem = _landmark_problem(lm)
            if problem is not None:
                note(f"{key}.landmarks.{j}", problem)
    return found


def check_given(seq: common_pb2.PoseSequence) -> tuple[common_pb2.PoseSequence, Summary]:
    """Check a pose sequence given by a client and return the copy to store, with its summary.

    Malformed data raises InvalidRequest with one detail per problem (the first MAX_DETAILS); a
    well-formed sequence with fewer than MIN_PERSON_FRAMES frames showing a person raises
    ValidationFailed. A frame shows a person when it has landmarks (`detected` is derived from that)."""
    details: dict[str, str] = {}
    if not (math.isfinite(seq.fps) and 0.0 < seq.fps <= MAX_FPS):
        details[f"{FIELD}.fps"] = (f"Must be the frame rate, a number above 0 and at most {MAX_FPS:g} "
                                   f"(got {_number(seq.fps)})")
    frames = len(seq.frames)
    if frames == 0:
        details[f"{FIELD}.frames"] = "This field is required: one entry per video frame"
    elif frames > MAX_FRAMES:
        details[f"{FIELD}.frames"] = (f"At most {MAX_FRAMES} frames (got {frames}): keep only the frames of the "
                                      "technique")
    found = len(details)
    if frames and frames <= MAX_FRAMES:
        found += _frame_problems(seq, details)
    if details:
        shown = "" if found <= len(details) else f"; the first {len(details)} are listed"
        raise InvalidRequest(f"Invalid pose sequence: {found} problem{'s' * (found != 1)}{shown}", details=details)

    clean = common_pb2.PoseSequence()
    clean.CopyFrom(seq)
    for i, frame in enumerate(clean.frames):
        frame.index = i
        frame.detected = len(frame.landmarks) == LANDMARKS
    first, last = seq.frames[0].timestamp_ms, seq.frames[-1].timestamp_ms
    clean.frame_count = frames
    # The span the frames cover: first to last frame plus one frame period, as the pose service counts it.
    clean.duration_ms = last - first + 1000.0 / seq.fps
    summary = _summary(clean)
    _require_person(summary, f"{FIELD}.frames")
    return clean, summary


def check_extracted(seq: common_pb2.PoseSequence) -> Summary:
    """Summary of a sequence the pose service extracted from a video; the video must suit a reference."""
    frames = len(seq.frames)
    if frames > MAX_FRAMES:
        raise ValidationFailed(f"The video has {frames} analysed frames; a reference holds at most {MAX_FRAMES} "
                               "(2 minutes at 60 fps): trim the video to the technique",
                               details={"video": f"{frames} frames, at most {MAX_FRAMES}"})
    summary = _summary(seq)
    _require_person(summary, "video")
    return summary


def _summary(seq: common_pb2.PoseSequence) -> Summary:
    return Summary(fps=seq.fps, frame_count=len(seq.frames), detected_frames=sum(f.detected for f in seq.frames),
                   duration_ms=seq.duration_ms)


def _require_person(summary: Summary, field: str) -> None:
    if summary.detected_frames < MIN_PERSON_FRAMES:
        raise ValidationFailed(
            f"Only {summary.detected_frames} of {summary.frame_count} frames show a person; a reference needs at "
            f"least {MIN_PERSON_FRAMES}: record the whole technique with the performer in view",
            details={field: f"{summary.detected_frames} frames with a person, at least {MIN_PERSON_FRAMES} needed"})
