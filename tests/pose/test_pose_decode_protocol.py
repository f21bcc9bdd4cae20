"""services/pose/decode_protocol.py: the stride and trackers a video is analysed with, and the pose records
workers send (round trip, and every malformed record refused)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from services.pose.decode_protocol import (MAX_PEOPLE, MAX_TRACKERS, MIN_TRACKER_FRAMES, PERSON_FLOATS, POSE_HEAD,
                                           analysis_stride, read_poses, tracker_count)
from testkit.pose_records import one_person, payload, people, poisoned, with_count


@pytest.mark.parametrize("fps, stride, frame_count, expected", [
    (30.0, 1, 230, 2), (29.97, 1, 230, 2), (60.0, 1, 100, MAX_TRACKERS), (15.0, 1, 115, 1), (23.976, 1, 0, 2),
    (25.0, 1, 250, 2), (6.0, 1, 60, 1), (60.0, 2, 100, 2), (60.0, 1, 2 * MIN_TRACKER_FRAMES - 1, 1),
    (240.0, 1, 0, MAX_TRACKERS), (0.0, 1, 100, 1), (float("nan"), 1, 100, 1)])
def test_tracker_count(fps, stride, frame_count, expected):
    # Every tracker sees at least MIN_TRACKER_FPS analysed frames per second and MIN_TRACKER_FRAMES frames
    # (an unknown frame count, 0, does not limit), and there are at most MAX_TRACKERS.
    assert tracker_count(fps, stride, frame_count) == expected


@pytest.mark.parametrize("stride, fps, frames, max_fps, max_frames, expected", [
    (1, 60, 100, 120, 18000, 1), (1, 1000, 3000, 120, 18000, 9), (2, 240, 100, 120, 0, 2),
    (1, 30, 36000, 120, 18000, 2), (3, 30, 100, 0, 0, 3), (1, 120, 100, 120, 18000, 1)])
def test_analysis_stride(stride, fps, frames, max_fps, max_frames, expected):
    assert analysis_stride(stride, fps, frames, max_fps, max_frames) == expected


def test_pose_records_round_trip():
    bodies, looks = people(2)
    index, ts, got_people, got_looks = read_poses(payload(bodies, looks))
    assert (index, ts) == (7, 123.5)
    assert all(np.array_equal(a, b) for a, b in zip(got_people, bodies, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(got_looks, looks, strict=True))
    assert read_poses(payload([], []))[2:] == ([], [])


def test_at_most_max_people_are_sent():
    bodies, looks = people(MAX_PEOPLE + 4)
    assert len(read_poses(payload(bodies, looks))[2]) == MAX_PEOPLE


@pytest.mark.parametrize("payload, message", [
    pytest.param(with_count(one_person(), 2), "for 2 people", id="count-above-data"),
    pytest.param(with_count(payload(*people(2)), 1), "for 1 people", id="count-below-data"),
    pytest.param(one_person()[:-4], "for 1 people", id="truncated"),
    pytest.param(one_person() + bytes(4), "for 1 people", id="trailing-bytes"),
    pytest.param(with_count(payload(*people(MAX_PEOPLE)) + bytes(4 * PERSON_FLOATS), MAX_PEOPLE + 1),
                 f"for {MAX_PEOPLE + 1} people", id="too-many-people"),
    pytest.param(poisoned(float("nan"), "landmarks"), "non-finite", id="nan-landmark"),
    pytest.param(poisoned(float("inf"), "look"), "non-finite", id="inf-appearance"),
    pytest.param(poisoned(float("nan"), "timestamp"), "non-finite", id="nan-timestamp"),
])
def test_malformed_pose_records_are_rejected(payload, message):
    with pytest.raises(ValueError, match=message):
        read_poses(payload)


def test_pose_record_shorter_than_its_header_is_rejected():
    with pytest.raises((ValueError, struct.error)):
        read_poses(one_person()[:POSE_HEAD.size - 1])
