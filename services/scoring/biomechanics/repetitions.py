"""Technique segmentation: each repetition in a clip as start, chamber, extension, retraction, end.

Works on filtered kinematics (kinematics.py), whatever their source (video or motion capture).
Effector e and its root r: a kick's toe (fallback ankle) and hip, a hand technique's wrist and
shoulder. Extension d(t) = |p_e - p_r| (m) and effector speed s(t) = |v_e| (m/s).
1. Repetitions are the peaks of s (scipy.signal.find_peaks) at least PEAK_FRACTION of the clip's
   highest effector peak, at least MIN_SEPARATION_S apart, with a prominence of at least
   PROMINENCE_FRACTION of that peak (a retraction's second bump is not a new repetition); both
   sides compete, the higher peak wins within MIN_SEPARATION_S.
   A kick's peak counts only if the toe rises at least KICK_LIFT_OF_LEG x leg length (hip-ankle) above
   the ground (the lowest foot point) within +-LIFT_WINDOW_S: a step moves the foot as fast as a
   kick but keeps it low (CMU 135: kicks lift the toe 1.2-1.5 m, steps < 0.3 m).
2. Phases, searched inside the repetition's window (half-way to the neighbouring peaks, at most
   WINDOW_S from its peak):
   - start: last sample before the peak where s < REST_FRACTION of the peak speed;
   - chamber: minimum of d between start and the peak (knee or fist pulled in before the drive);
   - extension (impact): maximum of d from EXT_BEFORE_S before to EXT_AFTER_S after the speed
     peak (the effector's speed peaks just before full extension);
   - retraction: the minimum of d after the extension when the limb comes back by at least
     RETURN_FRACTION of the stroke (d_ext - d_chamber); otherwise the technique is held out
     ("held", e.g. a lunge punch kept until the next step) and retraction is the first sample
     after the extension where s < REST_FRACTION of the peak;
   - end: first sample after the retraction where s < REST_FRACTION of the peak (or the window's end).
Times are in seconds on the kinematics grid; durations in ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from . import landmarks as L
from .balance import FOOT_LANDMARKS, VERTICAL
from .kinematics import Kinematics

PEAK_FRACTION = 0.5
MIN_REPETITION_SPEED_M_S = 1.5
PROMINENCE_FRACTION = 0.3
MIN_SEPARATION_S = 0.5
KICK_LIFT_OF_LEG = 0.35
LIFT_WINDOW_S = 0.3
WINDOW_S = 1.2
REST_FRACTION = 0.15
EXT_BEFORE_S = 0.05
EXT_AFTER_S = 0.25
RETURN_FRACTION = 0.3

KICK_EFFECTORS = {"left": (L.LEFT_TOE, L.LEFT_ANKLE, L.LEFT_HIP), "right": (L.RIGHT_TOE, L.RIGHT_ANKLE, L.RIGHT_HIP)}
HAND_EFFECTORS = {"left": (L.LEFT_WRIST, L.LEFT_SHOULDER), "right": (L.RIGHT_WRIST, L.RIGHT_SHOULDER)}


@dataclass(frozen=True)
class Repetition:
    index: int
    effector: str          # e.g. "right_toe", "left_wrist"
    start_s: float
    chamber_s: float
    extension_s: float
    retraction_s: float
    end_s: float
    peak_speed_m_s: float
    peak_s: float
    held: bool             # True when the limb stays out after the extension (no return stroke)

    def phases_ms(self) -> dict[str, float]:
        """Durations of the phases, ms."""
        edges = (self.start_s, self.chamber_s, self.extension_s, self.retraction_s, self.end_s)
        names = ("start_to_chamber", "chamber_to_extension", "extension_to_retraction", "retraction_to_end")
        return {n: 1000.0 * (b - a) for n, a, b in zip(names, edges[:-1], edges[1:])}

    def moments(self) -> dict[str, float]:
        return {"start": self.start_s, "chamber": self.chamber_s, "extension": self.extension_s,
                "retraction": self.retraction_s, "end": self.end_s}


def _effector_track(kin: Kinematics, family: str, side: str) -> tuple[str, int, int] | None:
    """(name, effector index, root index) of a side's effector, None if it was never tracked."""
    if family == "kick":
        toe, ankle, hip = KICK_EFFECTORS[side]
        for idx, name in ((toe, "toe"), (ankle, "ankle")):
            if np.count_nonzero(np.isfinite(kin.speed[:, idx])) >= 3:
                return f"{side}_{name}", idx, hip
        return None
    wrist, shoulder = HAND_EFFECTORS[side]
    return (f"{side}_wrist", wrist, shoulder) if np.count_nonzero(np.isfinite(kin.speed[:, wrist])) >= 3 else None


def lift_above_ground(kin: Kinematics, idx: int) -> np.ndarray:
    """[N] height (m) of landmark idx above the lowest foot point (y points down)."""
    feet = kin.pos[:, list(FOOT_LANDMARKS), VERTICAL]
    seen = np.isfinite(feet).any(axis=1)  # frames with no foot point have no ground (NaN, and no warning)
    ground = np.full(len(feet), np.nan)
    ground[seen] = np.nanmax(feet[seen], axis=1)
    return ground - kin.pos[:, idx, VERTICAL]


def leg_length(kin: Kinematics) -> float:
    """Median hip-to-ankle distance over both legs, m (NaN if never tracked)."""
    d = [np.linalg.norm(kin.pos[:, h] - kin.pos[:, a], axis=-1)
         for h, a in ((L.LEFT_HIP, L.LEFT_ANKLE), (L.RIGHT_HIP, L.RIGHT_ANKLE))]
    d = np.concatenate(d)
    return float(np.nanmedian(d)) if np.any(np.isfinite(d)) else float("nan")


def _candidates(kin: Kinematics, family: str) -> list[tuple[int, str, int, int]]:
    tracks = [tr for side in ("left", "right") if (tr := _effector_track(kin, family, side))]
    if not tracks:
        return []
    top = max(float(np.nanmax(kin.speed[:, idx])) for _, idx, _ in tracks)
    fs = 1.0 / kin.dt
    found = []
    for name, idx, root in tracks:
        s = np.nan_to_num(kin.speed[:, idx], nan=0.0)
        peaks, _ = find_peaks(s, height=max(PEAK_FRACTION * top, MIN_REPETITION_SPEED_M_S), prominence=PROMINENCE_FRACTION * top,
                              distance=max(1, int(MIN_SEPARATION_S * fs)))
        if family == "kick":
            lift = lift_above_ground(kin, idx)
            need = KICK_LIFT_OF_LEG * leg_length(kin)
            w = int(LIFT_WINDOW_S * fs)
            peaks = [k for k in peaks
                     if np.isfinite(need) and np.nanmax(lift[max(0, k - w):k + w + 1], initial=-np.inf) >= need]
        found.extend((int(k), name, idx, root) for k in peaks)
    # Strongest first; a peak within MIN_SEPARATION_S of a stronger one (other side) is dropped.
    found.sort(key=lambda c: -kin.speed[c[0], c[2]])
    kept: list[tuple[int, str, int, int]] = []
    for cand in found:
        if all(abs(kin.t[cand[0]] - kin.t[k[0]]) >= MIN_SEPARATION_S for k in kept):
            kept.append(cand)
    return sorted(kept)


def _first(mask: np.ndarray, lo: int, hi: int, default: int, reverse: bool = False) -> int:
    idx = np.flatnonzero(mask[lo:hi]) + lo
    if idx.size == 0:
        return default
    return int(idx[-1] if reverse else idx[0])


def find_repetitions(kin: Kinematics, family: str) -> list[Repetition]:
    """Every repetition of a kick ("kick") or hand technique ("punch") in the clip, in time order."""
    cands = _candidates(kin, "kick" if family == "kick" else "punch")
    n, fs = kin.t.size, 1.0 / kin.dt
    reps = []
    for i, (k, name, idx, root) in enumerate(cands):
        lo = max(0, k - int(WINDOW_S * fs), (cands[i - 1][0] + k) // 2 if i else 0)
        hi = min(n, k + int(WINDOW_S * fs) + 1, (k + cands[i + 1][0]) // 2 + 1 if i + 1 < len(cands) else n)
        s = kin.speed[:, idx]
        d = np.linalg.norm(kin.pos[:, idx] - kin.pos[:, root], axis=-1)
        peak_speed = float(s[k])
        rest = np.nan_to_num(s, nan=np.inf) < REST_FRACTION * peak_speed
        start = _first(rest, lo, k, lo, reverse=True)
        dd = np.where(np.isfinite(d), d, np.nan)
        chamber = start + int(np.nanargmin(dd[start:k + 1])) if np.any(np.isfinite(dd[start:k + 1])) else start
        e_lo, e_hi = max(chamber, k - int(EXT_BEFORE_S * fs)), min(hi, k + int(EXT_AFTER_S * fs) + 1)
        ext = e_lo + int(np.nanargmax(dd[e_lo:e_hi])) if np.any(np.isfinite(dd[e_lo:e_hi])) else k
        stroke = dd[ext] - dd[chamber]
        after = dd[ext:hi]
        held = True
        retraction = _first(rest, ext, hi, hi - 1)
        if after.size and np.any(np.isfinite(after)) and np.isfinite(stroke) and stroke > 0:
            back = ext + int(np.nanargmin(after))
            if dd[ext] - dd[back] >= RETURN_FRACTION * stroke:
                retraction, held = back, False
        end = _first(rest, retraction, hi, hi - 1)
        reps.append(Repetition(
            index=len(reps), effector=name, start_s=float(kin.t[start]), chamber_s=float(kin.t[chamber]),
            extension_s=float(kin.t[ext]), retraction_s=float(kin.t[retraction]), end_s=float(kin.t[max(end, retraction)]),
            peak_speed_m_s=peak_speed, peak_s=float(kin.t[k]), held=held))
    return reps


def detect_family(kin: Kinematics) -> str:
    """"kick" when a foot rises like a kick (see KICK_LIFT_OF_LEG) at a speed peak, else "punch"."""
    return "kick" if _candidates(kin, "kick") else "punch"
