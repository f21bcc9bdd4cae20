"""Kinetic chain: order and timing of the peak speeds of the striking limb's joints.

Putnam C.A. (1993) "Sequential motions of body segments in striking and throwing skills",
J Biomech 26 Suppl 1:125-135: in effective strikes the segments reach their peak speeds in
proximal-to-distal order, each distal peak following the proximal one by tens of milliseconds; in the
front kick the thigh's angular velocity peaks and falls while the shank's rises to its own peak
(Sorensen H. et al. (1996) "Dynamics of the martial arts high front kick", J Sports Sci 14:483-495).

Only the pairs that experts never reverse are timed (TIMED_PAIRS), chosen by measurement
(bench/chain_vs_mocap.py): the landmarks' peak speeds in experts' captured strikes (CMU subject 135's 14
kicks and 8 punches, DeepMimic's kick, spin kick and punch), in the capture's 3-D and filmed from 4 sides
at 30 and 60 fps with BlazePose's jitter. Knee -> ankle (the thigh leads the shank) follows in all 16
captured kicks (83-172 ms) and in 92 % of 384 filmed views, 99 % of which read it later than -50 ms
(ORDER_RESOLUTION_MS). Every other pair fails: hip -> knee is reversed in half the captured kicks (the hip landmark moves with the whole
body's step and the pelvis' turn, not as the chain's root), ankle -> toe peak together or the toe first
(19 % reversed: the foot rides on the shank at the end of the kick), and no pair of the punching arm
holds (hip -> shoulder, shoulder -> elbow and elbow -> wrist reversed in 11-56 % of the captured
punches). Asking a student for an order experts do not keep would correct good technique, so a punch's
chain is not measured (NOT_TIMED) and its timing and coordination score neutral (scores.py).

For each timed pair (proximal p, distal d), lag = t_peak(d) - t_peak(p) in ms, and
- order score o = 0 if the distal peak measurably leads (lag <= -resolution), else 1: peaks closer than the
  resolution are simultaneous as far as the footage can tell (order_resolution_ms), so no reversed order
  is claimed, scored or corrected from them;
- timing score w of the lag moved up to the resolution towards the window [LAG_MIN_MS, LAG_MAX_MS] (a lag
  is known no better than that): 1 inside the window; lag / LAG_MIN_MS for 0 < lag < LAG_MIN_MS;
  max(0, 1 - (lag - LAG_MAX_MS) / LAG_MAX_MS) above it; 0 at or below 0.
kinetic_chain_efficiency (%) = 100 * mean over pairs of (o + w) / 2.
Peaks are searched in a window around the effector's peak (PRE_S before, POST_S after), so other
repetitions in the clip do not interfere; a joint that does not move (peak below
MIN_PEAK_SPEED) has no peak and its pairs are left out. Speeds are those of the measurement
(measurement.py: the laboratory frame of motion capture, the image plane of a video).
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
# Peak times are refined below a frame by a parabola (kinematics.peak), but a broad peak moves with the noise:
# experts' kicks, whose knee leads the ankle by 83-172 ms in the capture, read that lag down to -46 ms (1st
# percentile) filmed at 30 fps with BlazePose's jitter and -44 ms at 60 fps (bench/chain_vs_mocap.py); pose2sim
# cam02 (60 fps) read its knee 3 ms before its hip. Two peaks closer than the resolution are not ordered:
# ORDER_RESOLUTION_MS, or one frame interval of the footage when that is longer.
ORDER_RESOLUTION_MS = 50.0
# The same repetition filmed from two sides reads its knee -> ankle lag this far apart (95th percentile over
# pairs of views of the experts' kicks, bench/chain_vs_mocap.py: 134 ms): two performances filmed
# differently cannot be told apart by less.
VIEW_LAG_SPREAD_MS = 135.0

# (proximal, distal) joint names timed per technique family (module docstring), and why a family has none.
TIMED_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {"kick": (("knee", "ankle"),), "punch": ()}
NOT_TIMED = {"punch": "no order of the punching arm's joints holds across experts' punches (motion capture: "
                      "hip, shoulder, elbow and wrist peak in varying orders), so none is asked of yours"}


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
    why_not_measured: str = ""            # set when there is no pair: what the user can know or do about it

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


def timed_chain(family: str, effector: str) -> tuple[int, ...]:
    """Landmarks of the timed pairs' joints (TIMED_PAIRS) on the effector's side, proximal to distal; empty
    when the family has none."""
    names = [j for pair in TIMED_PAIRS[family] for j in pair]
    side = L.side_of(effector).upper()
    return tuple(getattr(L, f"{side}_{name.upper()}") for name in dict.fromkeys(names))


def order_resolution_ms(video_fs: float) -> float:
    """ms below which two peaks are not ordered, for footage of video_fs frames/s (ORDER_RESOLUTION_MS above)."""
    return max(ORDER_RESOLUTION_MS, 1000.0 / video_fs) if video_fs > 0 else ORDER_RESOLUTION_MS


def reordered(lag_a_ms: float, lag_b_ms: float, resolution_ms: float = ORDER_RESOLUTION_MS) -> bool:
    """Whether two lags of one pair (two performances) put its peaks in opposite orders, both measurably."""
    return (lag_a_ms > 0) != (lag_b_ms > 0) and min(abs(lag_a_ms), abs(lag_b_ms)) >= resolution_ms


def lag_timing_score(lag_ms: float, resolution_ms: float = 0.0) -> float:
    """The timing score of a lag known to within resolution_ms (module docstring)."""
    if lag_ms < LAG_MIN_MS:
        lag_ms = min(lag_ms + resolution_ms, LAG_MIN_MS)
    elif lag_ms > LAG_MAX_MS:
        lag_ms = max(lag_ms - resolution_ms, LAG_MAX_MS)
    if lag_ms <= 0:
        return 0.0
    if lag_ms < LAG_MIN_MS:
        return lag_ms / LAG_MIN_MS
    if lag_ms <= LAG_MAX_MS:
        return 1.0
    return max(0.0, 1.0 - (lag_ms - LAG_MAX_MS) / LAG_MAX_MS)


def peak_times_ms(kin: Kinematics, joints: tuple[int, ...], t_effector_peak: float) -> dict[str, float]:
    """ms from the effector's peak to each moving joint's peak speed within the window around it."""
    lo, hi = t_effector_peak - PRE_S, t_effector_peak + POST_S
    times: dict[str, float] = {}
    for idx in joints:
        found = peak(kin.speed[:, idx], kin.t, lo, hi)
        if found is not None and found[0] >= MIN_PEAK_SPEED:
            times[L.label(idx)] = (found[1] - t_effector_peak) * 1000.0
    return times


def not_timed(family: str, resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """The chain of a family without a timed pair (NOT_TIMED)."""
    return Chain(joints=[], peak_times_ms={}, resolution_ms=resolution_ms, why_not_measured=NOT_TIMED[family])


def analyse_chain(kin: Kinematics, chain: tuple[int, ...], t_effector_peak: float,
                  resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """Consecutive pairs of `chain` (landmarks, proximal to distal: timed_chain) around the effector's peak;
    resolution_ms: order_resolution_ms of the footage's frame rate (kin is on the analysis grid, finer than
    the frames)."""
    names = [L.label(i) for i in chain]
    times = peak_times_ms(kin, chain, t_effector_peak)
    pairs = []
    for prox, dist in zip(names[:-1], names[1:]):
        if prox in times and dist in times:
            lag = times[dist] - times[prox]
            pairs.append(Pair(prox, dist, float(lag), 0.0 if lag <= -resolution_ms else 1.0,
                              lag_timing_score(lag, resolution_ms)))
    why = "" if pairs else (f"the {' and the '.join(names)} were not tracked, or did not move, around the "
                            "strike: their peaks could not be timed")
    return Chain(joints=names, peak_times_ms=times, pairs=pairs, resolution_ms=resolution_ms, why_not_measured=why)


def technique_chain(kin: Kinematics, family: str, effector: str, t_effector_peak: float,
                    resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """The timed chain of a technique (timed_chain) done with `effector`, or not_timed for its family."""
    joints = timed_chain(family, effector)
    return analyse_chain(kin, joints, t_effector_peak, resolution_ms) if joints else not_timed(family, resolution_ms)
