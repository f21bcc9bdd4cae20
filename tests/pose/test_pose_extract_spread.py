"""The trackers' spread (services.kit.tracker_spread) as extraction measures and sends it, on the real videos:
measured on the kept landmarks of every multi-tracker video, a few pixels where BlazePose is sure."""

from __future__ import annotations

import numpy as np
import pytest

from services.pose.servicer import to_proto
from testkit.videos import ALL_VIDEOS, POSE2SIM


def spread_of(seq) -> tuple[np.ndarray, np.ndarray]:
    """([F,33] spread px, [F,33] landmark lost) over the frames with the performer."""
    frames = [f for f in seq.frames if f.detected]
    lost = np.array([~(f.landmarks[:, 6] > 0) for f in frames])
    return np.array([f.tracker_spread_px for f in frames]), lost


@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_the_spread_is_measured_on_the_kept_landmarks(extracted, name):
    seq = extracted(name)
    assert seq.trackers >= 2  # 60 fps: four trackers, 30 fps: two (decode_protocol.tracker_count)
    spread, lost = spread_of(seq)
    measured = np.isfinite(spread)
    # Measured: 0.71-0.89 of the performer's landmark samples (not kept, filled or at a run's end: unknown).
    assert measured.mean() > 0.6
    assert not (measured & lost).any()  # a lost landmark has no position to disagree about
    assert (spread[measured] >= 0).all()


@pytest.mark.parametrize("name", POSE2SIM)
def test_where_the_performer_is_clear_the_trackers_agree_to_a_few_pixels(extracted, name):
    """pose2sim: one man balancing slowly, 1100-1200 px tall. Measured: median 5.8-7.4 px, 95th percentile
    12-24 px (1-2 % of his height), at most 95 px (cam02, a hidden hand)."""
    spread, _ = spread_of(extracted(name))
    assert np.nanmedian(spread) < 15.0
    assert np.nanpercentile(spread, 95) < 40.0


def test_the_spread_travels_in_the_protobuf_where_it_is_known(extracted):
    seq = extracted(POSE2SIM[0])
    proto = to_proto(seq)
    for frame, pf in zip(seq.frames, proto.frames):
        if not frame.detected:
            continue
        sent = [lm.tracker_spread_px if lm.HasField("tracker_spread_px") else np.nan for lm in pf.landmarks]
        np.testing.assert_allclose(sent, frame.tracker_spread_px, rtol=1e-6, equal_nan=True)
