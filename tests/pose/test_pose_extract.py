"""Pose extraction on the real videos: detection, timing, frame geometry and body dimensions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from services.kit import errors
from services.pose.extract import ExtractionCancelled, PerformerTracker, extract_poses
from services.pose.landmarker import Candidate
from tests.conftest import VIDEOS
from tests.pose.conftest import ALL_VIDEOS, POSE2SIM

EXPECTED = {name: (60.0, 1920) for name in POSE2SIM} | {"sports2d-demo.mp4": (30.0, 994)}
# BlazePose indices (MediaPipe pose topology) and plausible adult segment lengths in metres
# (anthropometric tables, e.g. Drillis & Contini 1966: thigh ~0.245 H, shank ~0.246 H, upper arm
# ~0.186 H, forearm ~0.146 H for stature H of 1.5-2.0 m), widened for BlazePose's joint placement.
SEGMENTS = {
    "thigh": ((23, 25), (24, 26), 0.30, 0.60),
    "shank": ((25, 27), (26, 28), 0.28, 0.55),
    "upper arm": ((11, 13), (12, 14), 0.18, 0.42),
    "forearm": ((13, 15), (14, 16), 0.15, 0.38),
}


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_person_found_in_most_frames(extracted, name):
    seq = extracted(name)
    detected = [f for f in seq.frames if f.detected]
    assert len(detected) >= 0.9 * len(seq.frames)
    assert seq.people_seen >= 1 and seq.model == "blazepose_full" and seq.inference_seconds > 0
    assert all(f.landmarks.shape == (33, 8) for f in detected)
    vis = np.stack([f.landmarks[:, 6] for f in detected])
    assert ((vis >= 0) & (vis <= 1)).all()


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_timestamps_follow_the_file_frame_rate(extracted, name):
    seq = extracted(name)
    fps, _ = EXPECTED[name]
    assert seq.fps == fps
    ts = np.array([f.timestamp_ms for f in seq.frames])
    assert (np.diff(ts) > 0).all()
    assert np.diff(ts) == pytest.approx(1000 / fps, abs=1.0)
    assert [f.index for f in seq.frames] == list(range(seq.frame_count))
    assert seq.duration_ms == pytest.approx(seq.frame_count * 1000 / fps, abs=1.0)


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_frame_size_matches_the_video(extracted, name):
    seq = extracted(name)
    _, height = EXPECTED[name]
    assert seq.height == height
    if name in POSE2SIM:
        assert seq.height > seq.width  # portrait camera
    else:
        assert seq.width > seq.height


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_world_limb_lengths_are_human(extracted, name):
    world = np.stack([f.landmarks[:, 3:6] for f in extracted(name).frames if f.detected])  # metres
    for segment, (left, right, low, high) in SEGMENTS.items():
        for a, b in (left, right):
            length = float(np.median(np.linalg.norm(world[:, a] - world[:, b], axis=1)))
            assert low <= length <= high, f"{name}: {segment} {a}-{b} median {length:.3f} m"


def test_frame_stride_analyses_every_nth_frame(bundle):
    seq = extract_poses(VIDEOS / "pose2sim-balancing-cam03.mp4", bundle, frame_stride=10)
    assert [f.index for f in seq.frames] == list(range(0, 100, 10))
    assert seq.frame_count == 100
    assert [f.timestamp_ms for f in seq.frames] == pytest.approx([i * 1000 / 60 for i in range(0, 100, 10)], abs=0.5)


def test_video_without_a_person_is_refused(bundle, tmp_path):
    path = tmp_path / "empty-room.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (320, 240))
    assert writer.isOpened()
    for i in range(12):
        writer.write(np.full((240, 320, 3), 40 + 10 * i, dtype=np.uint8))
    writer.release()
    with pytest.raises(errors.ValidationFailed, match="No person was detected in the video"):
        extract_poses(path, bundle)


def _person(x0: float, y0: float, x1: float, y1: float) -> Candidate:
    """A candidate whose landmarks span the given normalised box."""
    lms = np.zeros((33, 8), dtype=np.float32)
    lms[:, 0] = np.linspace(x0, x1, 33)
    lms[:, 1] = np.linspace(y0, y1, 33)
    return Candidate(lms)


def test_tracker_starts_with_the_largest_and_stays_with_that_person():
    tracker = PerformerTracker(1000, 1000)
    small, big = _person(0.05, 0.5, 0.15, 0.7), _person(0.5, 0.1, 0.8, 0.9)
    assert tracker.choose([small, big], 0) is big
    # A larger bystander appears on the left while the performer moved slightly: stay with the performer.
    bystander, performer = _person(0.0, 0.0, 0.45, 1.0), _person(0.52, 0.1, 0.82, 0.9)
    assert tracker.choose([bystander, performer], 33) is performer
    assert tracker.choose([], 66) is None
    # Seen again within the re-acquire window: still by proximity.
    assert tracker.choose([bystander, _person(0.5, 0.1, 0.8, 0.9)], 500) is not bystander
    # After a long gap the choice starts over with the largest body.
    assert tracker.choose([bystander, performer], 5000) is bystander


def test_cancellation_stops_the_work(bundle):
    polls = []

    def cancelled() -> bool:
        polls.append(1)
        return len(polls) > 3

    with pytest.raises(ExtractionCancelled, match="frame 3"):
        extract_poses(VIDEOS / "sports2d-demo.mp4", bundle, cancelled=cancelled)
    assert len(polls) == 4
