"""Kinetic chain: order and timing of the peak speeds of the striking limb's segments.

Putnam C.A. (1993) "Sequential motions of body segments in striking and throwing skills",
J Biomech 26 Suppl 1:125-135: in effective strikes the segments reach their peak speeds in
proximal-to-distal order (hip -> knee -> ankle -> toe in a kick, hip -> shoulder -> elbow -> wrist
in a punch), each distal peak following the proximal one by tens of milliseconds.

For each consecutive pair (proximal p, distal d), lag = t_peak(d) - t_peak(p) in ms, and
- order score o = 0 if the distal peak measurably leads (lag <= -resolution), else 1: peaks closer than the
  resolution are simultaneous as far as the footage can tell (order_resolution_ms), so no reversed order
  is claimed, scored or corrected from them;
- timing score w = 1 if LAG_MIN_MS <= lag <= LAG_MAX_MS; lag / LAG_MIN_MS for 0 < lag < LAG_MIN_MS;
  max(0, 1 - (lag - LAG_MAX_MS) / LAG_MAX_MS) above the window; 0 when out of order.
kinetic_chain_efficiency (%) = 100 * mean over pairs of (o + w) / 2.
Peaks are searched in a window around the effector's peak (PRE_S before, POST_S after), so other
repetitions in the clip do not interfere; a joint that does not move (peak below
MIN_PEAK_SPEED) has no peak and its pairs are left out. Landmark speeds are relative to the hip centre (MediaPipe
world frame), so the hip landmark's speed measures pelvis rotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import landmarks as L
from .kinematics import Kinematics, peak
from .norms import LAG_MAX_MS, LAG_MIN_MS

PRE_S = 0.6
POST_S = 0.15
# A landmark whose speed never exceeds this (m/s) in the window is not moving: it has no peak to
# time (a few cm/s is MediaPipe's jitter after filtering), so its pairs are left out.
MIN_PEAK_SPEED = 0.1
# Peak times are refined below a frame by a parabola (kinematics.peak), but on video a landmark's peak is
# placed no better than about a frame: pose2sim cam02 (60 fps) read its knee 3 ms before its hip and its
# ankle 2 ms before its knee, an order that noise decides. Two peaks closer than the resolution are not
# ordered: ORDER_RESOLUTION_MS (about a frame at 50-60 fps; Putnam's lags are tens of ms), or one frame
# interval of the footage when that is longer.
ORDER_RESOLUTION_MS = 20.0


@dataclass(frozen=True)
class Pair:
    proximal: str
    distal: str
    lag_ms: float
    order_score: float
    timing_score: float


@dataclass(frozen=True)
class Chain:
    joints: list[str]                     # proximal -> distal, names without side
    peak_times_ms: dict[str, float]       # relative to the effector's peak
    pairs: list[Pair] = field(default_factory=list)
    resolution_ms: float = ORDER_RESOLUTION_MS   # peaks closer than this are not ordered

    @property
    def reversed_pairs(self) -> list[Pair]:
        """The pairs whose distal peak measurably leads the proximal one (order score 0, analyse_chain)."""
        return [p for p in self.pairs if p.order_score == 0.0]

    @property
    def measured(self) -> bool:
        return bool(self.pairs)

    @property
    def order_fraction(self) -> float:
        return float(np.mean([p.order_score for p in self.pairs])) if self.pairs else float("nan")

    @property
    def timing_fraction(self) -> float:
        return float(np.mean([p.timing_score for p in self.pairs])) if self.pairs else float("nan")

    @property
    def efficiency(self) -> float:
        """%: 100 * mean of (order + timing) / 2 over the consecutive pairs."""
        return 100.0 * 0.5 * (self.order_fraction + self.timing_fraction) if self.pairs else float("nan")

    @property
    def observed_order(self) -> list[str]:
        return sorted(self.peak_times_ms, key=lambda j: (self.peak_times_ms[j], self.joints.index(j)))


def order_resolution_ms(video_fs: float) -> float:
    """ms below which two peaks are not ordered, for footage of video_fs frames/s (ORDER_RESOLUTION_MS above)."""
    return max(ORDER_RESOLUTION_MS, 1000.0 / video_fs) if video_fs > 0 else ORDER_RESOLUTION_MS


def reordered(lag_a_ms: float, lag_b_ms: float, resolution_ms: float = ORDER_RESOLUTION_MS) -> bool:
    """Whether two lags of one pair (two performances) put its peaks in opposite orders, both measurably."""
    return (lag_a_ms > 0) != (lag_b_ms > 0) and min(abs(lag_a_ms), abs(lag_b_ms)) >= resolution_ms


def lag_timing_score(lag_ms: float) -> float:
    if lag_ms <= 0:
        return 0.0
    if lag_ms < LAG_MIN_MS:
        return lag_ms / LAG_MIN_MS
    if lag_ms <= LAG_MAX_MS:
        return 1.0
    return max(0.0, 1.0 - (lag_ms - LAG_MAX_MS) / LAG_MAX_MS)


def analyse_chain(kin: Kinematics, chain: tuple[int, ...], t_effector_peak: float,
                  resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """The chain's peaks within the window around the effector's peak; resolution_ms: order_resolution_ms of
    the footage's frame rate (kin is on the analysis grid, finer than the frames)."""
    lo, hi = t_effector_peak - PRE_S, t_effector_peak + POST_S
    names = [L.label(i) for i in chain]
    times: dict[str, float] = {}
    for name, idx in zip(names, chain):
        found = peak(kin.speed[:, idx], kin.t, lo, hi)
        if found is not None and found[0] >= MIN_PEAK_SPEED:
            times[name] = (found[1] - t_effector_peak) * 1000.0
    pairs = []
    for prox, dist in zip(names[:-1], names[1:]):
        if prox in times and dist in times:
            lag = times[dist] - times[prox]
            pairs.append(Pair(prox, dist, float(lag), 0.0 if lag <= -resolution_ms else 1.0, lag_timing_score(lag)))
    return Chain(joints=names, peak_times_ms=times, pairs=pairs, resolution_ms=resolution_ms)
