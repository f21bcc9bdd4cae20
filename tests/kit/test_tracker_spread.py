"""services/kit/tracker_spread.py: real motion reads near zero, trackers that disagree read their gap."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.tracker_spread import frame_lanes, tracker_spread

PX_PER_M = 400.0


def minimum_jerk_kick(t: np.ndarray, start: float = 0.5, duration: float = 0.15, reach_m: float = 0.8) -> np.ndarray:
    """[N,1,2] px: a foot reaching reach_m along x in `duration` s (minimum jerk, peak 1.875 reach/T) and back."""
    def reach(s):
        s = np.clip(s, 0.0, 1.0)
        return 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5
    out = reach((t - start) / duration) - reach((t - start - 0.25) / duration)
    xy = np.zeros((t.size, 1, 2))
    xy[:, 0, 0] = 300.0 + PX_PER_M * reach_m * out
    xy[:, 0, 1] = 200.0 + 20.0 * np.sin(2 * np.pi * t)
    return xy


@pytest.mark.parametrize("fps, trackers, most_m", [(30, 2, 0.06), (60, 4, 0.06), (24, 2, 0.12), (50, 4, 0.12)])
def test_a_real_kick_dealt_to_several_trackers_reads_a_few_centimetres(fps, trackers, most_m):
    """A 10 m/s kick at 15 samples per tracker reads 0.05 m, at 12 (24 fps, two trackers) 0.11 m; a straight
    line between one tracker's samples would read twice to three times that."""
    t = np.arange(0, 1.2, 1.0 / fps)
    spread = tracker_spread(t, minimum_jerk_kick(t), np.arange(t.size) % trackers)
    assert np.isfinite(spread[6:-6]).all()
    assert np.nanmax(spread) / PX_PER_M < most_m


def test_a_tracker_that_places_the_landmark_elsewhere_reads_the_distance():
    fps, trackers = 30, 2
    t = np.arange(0, 2.0, 1.0 / fps)
    xy = minimum_jerk_kick(t, start=5.0)  # a foot at rest, swaying
    lanes = np.arange(t.size) % trackers
    odd_off = (lanes == 1) & (t > 0.9) & (t < 1.3)  # tracker 1 puts the foot 100 px (0.25 m) lower
    xy[odd_off, 0, 1] += 100.0
    spread = tracker_spread(t, xy, lanes)
    assert np.nanmax(spread[(t > 1.0) & (t < 1.2)]) == pytest.approx(100.0, rel=0.1)
    calm = (t < 0.65) | (t > 1.55)  # a spline rings a few samples past a jump, then settles
    assert np.nanmax(spread[calm & (t > 0.2) & (t < 1.8)]) < 3.0


def test_one_tracker_or_a_landmark_not_kept_gives_no_spread():
    t = np.arange(0, 1.0, 1 / 30)
    xy = minimum_jerk_kick(t)
    assert np.isnan(tracker_spread(t, xy, np.zeros(t.size, dtype=int))).all()
    xy[10] = np.nan
    spread = tracker_spread(t, xy, np.arange(t.size) % 2)
    assert np.isnan(spread[10]).all() and np.isfinite(spread[12]).all()


def test_a_long_gap_in_the_other_tracker_is_not_bridged():
    t = np.arange(0, 2.0, 1 / 30)
    xy = minimum_jerk_kick(t)
    lanes = np.arange(t.size) % 2
    xy[(lanes == 1) & (t > 0.4) & (t < 1.0)] = np.nan  # tracker 1 loses the foot for 0.6 s
    spread = tracker_spread(t, xy, lanes)
    assert np.isnan(spread[(lanes == 0) & (t > 0.5) & (t < 0.9)]).all()


def test_frames_are_dealt_as_the_workers_deal_them():
    # rank = index // stride, tracker = rank mod trackers (services/pose/pose_worker.py _decode)
    assert frame_lanes(np.array([0, 2, 4, 6, 8]), 2, 2).tolist() == [0, 1, 0, 1, 0]
    assert frame_lanes(np.array([0, 1, 2, 3, 4, 5]), 1, 4).tolist() == [0, 1, 2, 3, 0, 1]


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        tracker_spread(np.arange(3.0), np.zeros((3, 2, 3)), np.zeros(3))
