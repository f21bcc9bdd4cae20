"""Kinetic chain: order and timing of the peak speeds of the striking limb's joints.

Putnam C.A. (1993) "Sequential motions of body segments in striking and throwing skills",
J Biomech 26 Suppl 1:125-135: in effective strikes the segments reach their peak speeds in
proximal-to-distal order, each distal peak following the proximal one by tens of milliseconds; in the
front kick the thigh's angular velocity peaks and falls while the shank's rises to its own peak
(Sorensen H. et al. (1996) "Dynamics of the martial arts high front kick", J Sports Sci 14:483-495).

Only a pair that experts keep in order is timed (TIMED_PAIRS), chosen by measurement
(bench/chain_vs_mocap.py): the landmarks' peak speeds in experts' captured strikes (CMU subject 135's 14
kicks and 8 punches, DeepMimic's kick, spin kick and punch), in the capture's 3-D and filmed from 4 sides
at 30 and 60 fps with BlazePose's jitter, ordered as below. Knee -> ankle (the thigh leads the shank)
follows in all 16 captured kicks (83-172 ms) and in 91-92 % of 384 filmed views, reversed in 2 (60 fps).
Every other pair fails: hip -> knee follows in only half the captured kicks and is reversed in 20-22 % of
the filmed views (the hip landmark moves with the whole body's step and the pelvis' turn, not as the
chain's root); ankle and toe peak together (the foot rides on the shank at the end of the kick); no pair of
the punching arm keeps an order (hip -> shoulder follows in 44 % of the captured punches and is reversed in
21-31 % of the filmed views, shoulder -> elbow is reversed in 44 % of the captured punches, elbow and wrist
peak together). Asking a student for an order experts do not keep would correct good technique, so a
punch's chain is not measured (NOT_TIMED) and its timing and coordination score neutral (scores.py).

For each timed pair (proximal p, distal d), lag = t_peak(d) - t_peak(p) in ms, and the lags the footage
allows (lag_range): the lag +- the footage's resolution (order_resolution_ms), widened to every lag between
the two peaks' tops (the span around each peak where the speed is within PEAK_TOP of it): a broad peak's time
is no better known than its top. The pose2sim balancing trial, whose knee and ankle peak together in its
markers, read its ankle 59 ms before its knee on cam01 at 60 fps, both tops 58-92 ms wide. Then
- order (Pair.order): +1 when every allowed lag is positive (the distal measurably follows), -1 when every
  one is negative (measurably reversed), else 0 (together as far as the footage can tell); order score
  o = 0 if reversed, else 1, so no reversed order is claimed, scored or corrected unless it is measurable;
- timing score w of the allowed lag nearest the window [LAG_MIN_MS, LAG_MAX_MS]: 1 inside the window;
  lag / LAG_MIN_MS for 0 < lag < LAG_MIN_MS; max(0, 1 - (lag - LAG_MAX_MS) / LAG_MAX_MS) above it; 0 at or
  below 0.
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
# A peak's top: the span around it where the speed stays within PEAK_TOP of the peak, a few times the speed's
# noise after filtering (BlazePose's 0.01 m frame jitter is 0.1-0.2 m/s at 30 fps, 3-5 % of a knee's peak).
PEAK_TOP = 0.1
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
    lag_range_ms: tuple[float, float]   # the lags the footage allows (lag_range)
    order: int            # +1 the distal measurably follows, -1 it measurably leads, 0 together (order_of)
    timing_score: float

    @property
    def order_score(self) -> float:
        return 0.0 if self.order < 0 else 1.0


@dataclass(frozen=True)
class Chain:
    joints: list[str]                     # proximal -> distal, names without side
    peak_times_ms: dict[str, float]       # relative to the effector's peak
    pairs: list[Pair] = field(default_factory=list)
    resolution_ms: float = ORDER_RESOLUTION_MS   # peaks closer than this are not ordered
    why_not_measured: str = ""            # set when there is no pair: what the user can know or do about it

    @property
    def reversed_pairs(self) -> list[Pair]:
        """The pairs whose distal peak measurably leads the proximal one (order -1)."""
        return [p for p in self.pairs if p.order < 0]

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


def lag_range(lag_ms: float, proximal_top_ms: tuple[float, float], distal_top_ms: tuple[float, float],
              resolution_ms: float) -> tuple[float, float]:
    """(lowest, highest) lag in ms the footage allows (module docstring); tops as (start, end) ms."""
    return (min(lag_ms - resolution_ms, distal_top_ms[0] - proximal_top_ms[1]),
            max(lag_ms + resolution_ms, distal_top_ms[1] - proximal_top_ms[0]))


def order_of(lag_range_ms: tuple[float, float]) -> int:
    """+1 / -1 / 0: every allowed lag positive (the distal measurably follows) / negative / neither."""
    low, high = lag_range_ms
    return 1 if low > 0 else -1 if high < 0 else 0


def lag_timing_score(lag_ms: float) -> float:
    """The timing score of one lag (module docstring)."""
    if lag_ms <= 0:
        return 0.0
    if lag_ms < LAG_MIN_MS:
        return lag_ms / LAG_MIN_MS
    if lag_ms <= LAG_MAX_MS:
        return 1.0
    return max(0.0, 1.0 - (lag_ms - LAG_MAX_MS) / LAG_MAX_MS)


def range_timing_score(lag_range_ms: tuple[float, float]) -> float:
    """The timing score of the allowed lag nearest the window (1 when the range reaches into it)."""
    low, high = lag_range_ms
    return lag_timing_score(min(max(low, LAG_MIN_MS), high))


def peak_top(values: np.ndarray, t: np.ndarray, t_peak: float, lo: float, hi: float) -> tuple[float, float]:
    """(start, end) s of the span around the peak at t_peak within [lo, hi] where values stay within PEAK_TOP of
    the peak's value."""
    k = int(np.argmin(np.abs(t - t_peak)))
    above = np.isfinite(values) & (values >= (1.0 - PEAK_TOP) * values[k]) & (t >= lo) & (t <= hi)
    a = b = k
    while a > 0 and above[a - 1]:
        a -= 1
    while b < values.size - 1 and above[b + 1]:
        b += 1
    return float(t[a]), float(t[b])


def peaks_ms(kin: Kinematics, joints: tuple[int, ...], t_effector_peak: float
             ) -> dict[str, tuple[float, float, float]]:
    """Per moving joint, (peak, top start, top end) in ms from the effector's peak, within the window around it."""
    lo, hi = t_effector_peak - PRE_S, t_effector_peak + POST_S
    found: dict[str, tuple[float, float, float]] = {}
    for idx in joints:
        speed = kin.speed[:, idx]
        top = peak(speed, kin.t, lo, hi)
        if top is not None and top[0] >= MIN_PEAK_SPEED:
            start, end = peak_top(speed, kin.t, top[1], lo, hi)
            found[L.label(idx)] = tuple(1000.0 * (x - t_effector_peak) for x in (top[1], start, end))
    return found


def not_timed(family: str, resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """The chain of a family without a timed pair (NOT_TIMED)."""
    return Chain(joints=[], peak_times_ms={}, resolution_ms=resolution_ms, why_not_measured=NOT_TIMED[family])


def analyse_chain(kin: Kinematics, chain: tuple[int, ...], t_effector_peak: float,
                  resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """Consecutive pairs of `chain` (landmarks, proximal to distal: timed_chain) around the effector's peak;
    resolution_ms: order_resolution_ms of the footage's frame rate (kin is on the analysis grid, finer than
    the frames)."""
    names = [L.label(i) for i in chain]
    found = peaks_ms(kin, chain, t_effector_peak)
    times = {name: at for name, (at, _, _) in found.items()}
    pairs = []
    for prox, dist in zip(names[:-1], names[1:]):
        if prox in found and dist in found:
            lag = times[dist] - times[prox]
            allowed = lag_range(lag, found[prox][1:], found[dist][1:], resolution_ms)
            pairs.append(Pair(prox, dist, float(lag), allowed, order_of(allowed), range_timing_score(allowed)))
    why = "" if pairs else (f"the {' and the '.join(names)} were not tracked, or did not move, around the "
                            "strike: their peaks could not be timed")
    return Chain(joints=names, peak_times_ms=times, pairs=pairs, resolution_ms=resolution_ms, why_not_measured=why)


def technique_chain(kin: Kinematics, family: str, effector: str, t_effector_peak: float,
                    resolution_ms: float = ORDER_RESOLUTION_MS) -> Chain:
    """The timed chain of a technique (timed_chain) done with `effector`, or not_timed for its family."""
    joints = timed_chain(family, effector)
    return analyse_chain(kin, joints, t_effector_peak, resolution_ms) if joints else not_timed(family, resolution_ms)
