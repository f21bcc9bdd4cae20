"""How far the BlazePose trackers of one video disagree about each landmark, in pixels.

The pose service deals a video's analysed frames round-robin to several BlazePose trackers
(services.pose.decode_protocol). Where BlazePose is sure of a landmark, every tracker puts it on one
smooth path. Where it is not (a leg hidden behind the other, a body upside down in a flip), each tracker
places it its own way, the merged path zigzags from frame to frame, and no outlier test catches it once
half the samples are off (sports2d's phone recording: the right toe read 11.7 m/s at 5.0 s where the
original, with the same frames, read 7.3 at 7.3 s). The filter turns such a zigzag into speed, so the
speed measured there is not a measurement.

The spread says where that happens: at each frame, the largest distance between the landmark measured
by the frame's own tracker and where each other tracker's samples, joined by a cubic spline, put it at
that moment. A cubic spline through one tracker's samples follows a real kick's path closely: a
minimum-jerk reach of 0.8 m in 0.15 s (peak 10 m/s) reads 0.05 m at 15 samples per second per tracker
(30 fps, two trackers) and 0.11 m at 12 (24 fps), where a straight line between the samples reads 0.10 and
0.13 m (tests/kit/test_tracker_spread.py). So real motion reads a few centimetres and disagreement
reads as itself. Unknown (NaN) where the frame's landmark was not kept, where no other tracker saw it
around that moment, or when the video had one tracker.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

MIN_RUN = 4  # samples of one tracker a spline needs (not-a-knot cubic)
MAX_STEP = 2.5  # a tracker's samples further apart than this many of its periods are not joined


def _runs(t: np.ndarray, max_step: float) -> list[np.ndarray]:
    """Indices into t (sorted) split where consecutive samples are more than max_step apart."""
    if t.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(t) > max_step) + 1
    return np.split(np.arange(t.size), cuts)


def tracker_spread(t: np.ndarray, xy: np.ndarray, lanes: np.ndarray) -> np.ndarray:
    """t [N] strictly increasing times (any unit); xy [N,L,2] positions (px, NaN where not kept); lanes [N]
    the tracker of each frame. Returns [N,L] the spread (xy's unit), NaN where unknown."""
    t = np.asarray(t, dtype=np.float64)
    xy = np.asarray(xy, dtype=np.float64)
    lanes = np.asarray(lanes)
    n, n_landmarks = xy.shape[0], xy.shape[1]
    if t.shape != (n,) or lanes.shape != (n,) or xy.shape[2:] != (2,):
        raise ValueError(f"expected t [N], xy [N,L,2], lanes [N]; got {t.shape}, {xy.shape}, {lanes.shape}")
    spread = np.full((n, n_landmarks), np.nan)
    ids = np.unique(lanes)
    if ids.size < 2 or n < 2:
        return spread
    # A tracker's period: the video's frame interval times the number of trackers.
    period = float(np.median(np.diff(t))) * ids.size
    seen = np.isfinite(xy).all(axis=-1)
    for lane in ids:
        mine, others = lanes == lane, lanes != lane
        for k in range(n_landmarks):
            own = np.flatnonzero(mine & seen[:, k])
            for run in _runs(t[own], MAX_STEP * period):
                if run.size < MIN_RUN:
                    continue
                at = own[run]
                spline = CubicSpline(t[at], xy[at, k], axis=0, extrapolate=False)
                inside = others & seen[:, k] & (t >= t[at[0]]) & (t <= t[at[-1]])
                if not inside.any():
                    continue
                gap = np.linalg.norm(xy[inside, k] - spline(t[inside]), axis=-1)
                current = spread[inside, k]
                spread[inside, k] = np.where(np.isnan(current), gap, np.fmax(current, gap))
    return spread


def frame_lanes(indices: np.ndarray, stride: int, trackers: int) -> np.ndarray:
    """The tracker of each analysed frame, as decode_protocol deals them: rank (frame index // stride)
    k goes to tracker k mod `trackers`."""
    return (np.asarray(indices, dtype=np.int64) // max(1, int(stride))) % max(1, int(trackers))
