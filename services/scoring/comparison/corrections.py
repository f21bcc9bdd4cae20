"""Corrections from the student-coach differences, naming numbers and the coach (drills.py: the training
recommendations that follow them).

Differences are averaged over the student's repetitions (student values, coach values and their
difference separately), so a fault shows when it is systematic, not when it comes and goes. A
difference becomes a correction only beyond its threshold; corrections are ranked by size =
|difference| / threshold, largest first, so "how many thresholds off" compares angles with times.
Thresholds (design choices, stated with why):
- ANGLE_DEG = 15 deg: video pose estimates of joint angles carry errors of several degrees, and an
  expert's own repetitions differ by ~10 deg at the same moment, up to ~19 deg for the thigh at
  the chamber, where it moves fastest (CMU 135 front kicks);
- TIMING_MIN_MS = 50 ms or TIMING_FRACTION = 20 % of the coach's phase, whichever is larger: a
  phase boundary from a 30 fps video is uncertain by about a frame (33 ms) at each end, and CMU
  135's own front kicks vary their phases by up to ~40 ms;
- SPEED_RATIO_LOW = 0.9: a peak speed below 90 % of the coach's (CMU 135's own front kicks are
  within 6 % of each other); FORCE_RATIO_LOW = 0.7: the peak limb force comes from second
  derivatives and varies by up to ~30 % between his own front kicks;
- CHAIN_LAG_MS = chain.VIEW_LAG_SPREAD_MS (135 ms): the same expert kick filmed from two sides reads its
  knee -> ankle lag this far apart (95th percentile, bench/chain_vs_mocap.py), so a smaller difference may
  be the cameras'; any measurable change of the proximal-to-distal order is a correction;
- balance: a maximum CoM excursion outside the support beyond the coach's by more than
  COM_EXCESS_M = 0.05 m (half a foot width) or COM_EXCESS_FRACTION = 30 % of the coach's excursion,
  whichever is larger (CMU 135's own front kicks spread by ~7 cm on 29-36 cm excursions).
Each correction also names the moment it speaks of (s, the student's clock), for a player to jump to: in
the student repetition that shows the difference most, the key moment of an angle, the start of a phase,
the distal joint's peak of a chain lag, the effector's peak of speed and force, the end of the repetition
(the settled stance after it) for balance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Callable, NamedTuple

import numpy as np

from services.scoring.biomechanics.chain import VIEW_LAG_SPREAD_MS

from .model import RepetitionComparison

ANGLE_DEG = 15.0
TIMING_MIN_MS = 50.0
TIMING_FRACTION = 0.2
SPEED_RATIO_LOW = 0.9
FORCE_RATIO_LOW = 0.7
CHAIN_LAG_MS = VIEW_LAG_SPREAD_MS
COM_EXCESS_M = 0.05
COM_EXCESS_FRACTION = 0.3

MOMENT_WORDS = {"chamber": "the chamber", "extension": "full extension", "retraction": "the retraction"}
# compared angle -> (what, more, less): "your {what} {more|less}"
ANGLE_WORDS = {
    "knee_flexion": ("knee is bent", "{d}° more", "{d}° less"),
    "support_knee_flexion": ("supporting knee is bent", "{d}° more", "{d}° less"),
    "other_knee_flexion": ("other knee is bent", "{d}° more", "{d}° less"),
    "hip_flexion": ("thigh is raised", "{d}° higher", "{d}° lower"),
    "hip_abduction": ("thigh is", "{d}° further out to the side", "{d}° closer to your midline"),
    "trunk_lean": ("trunk leans", "{d}° more", "{d}° less"),
    "trunk_forward_lean": ("trunk leans", "{d}° further forward", "{d}° further back"),
    "hip_rotation": ("striking hip is turned", "{d}° further ahead of your shoulders",
                     "{d}° further behind your shoulders"),
    "elbow_flexion": ("elbow is bent", "{d}° more", "{d}° less"),
    "guard_elbow_flexion": ("other elbow is bent", "{d}° more", "{d}° less"),
    "shoulder_elevation": ("upper arm is raised", "{d}° higher", "{d}° lower"),
}
# (angle, moment or "*", sign of student - coach, family or "*") -> fix; the first match wins.
ANGLE_FIXES = {
    ("knee_flexion", "extension", 1, "kick"): "snap the leg straight",
    ("knee_flexion", "chamber", -1, "kick"): "fold the leg tighter before driving it out",
    ("hip_flexion", "*", -1, "kick"): "lift the knee higher",
    ("support_knee_flexion", "*", 1, "kick"): "stand taller on the supporting leg",
    ("support_knee_flexion", "*", -1, "kick"): "soften the supporting knee",
    ("trunk_lean", "*", 1, "*"): "keep the trunk more upright",
    ("hip_rotation", "*", -1, "*"): "turn the hip further into the technique",
    ("elbow_flexion", "extension", 1, "punch"): "extend the arm fully at the target",
}
PHASE_WORDS = {"start_to_chamber": "chamber", "chamber_to_extension": "extension",
               "extension_to_retraction": "retraction", "retraction_to_end": "recovery"}
PHASE_FIXES = {  # (phase, sign) -> fix
    ("start_to_chamber", 1): "bring the {limb} into the chamber faster",
    ("start_to_chamber", -1): "take the time to chamber fully",
    ("chamber_to_extension", 1): "drive the {part} out to the target faster",
    ("chamber_to_extension", -1): "reach full extension before pulling back",
    ("extension_to_retraction", 1): "snap the {limb} back as soon as it reaches the target",
    ("extension_to_retraction", -1): "stay at full extension as long as {coach} does",
    ("retraction_to_end", 1): "return to your stance sooner",
    ("retraction_to_end", -1): "finish in a settled stance",
    ("total", 1): "practise at {coach}'s tempo",
    ("total", -1): "slow down to {coach}'s tempo and complete every phase",
}


class Correction(NamedTuple):
    text: str
    at_s: float | None   # the moment it speaks of, s on the student's clock (None: none)


def _most(reps: list[RepetitionComparison], size: Callable[[RepetitionComparison], float],
          moment: Callable[[RepetitionComparison], float | None]) -> float | None:
    """The moment in the repetition where size(rep) is largest (NaN sizes skipped; None when all are)."""
    known = [(v, i) for i, r in enumerate(reps) if math.isfinite(v := float(size(r)))]
    if not known:
        return None
    at = moment(reps[max(known)[1]])
    return float(at) if at is not None and math.isfinite(at) else None


# The moment a phase's difference speaks of: where the phase starts.
PHASE_STARTS = {"start_to_chamber": "start", "chamber_to_extension": "chamber",
                "extension_to_retraction": "extension", "retraction_to_end": "retraction", "total": "start"}


def finite_mean(values) -> float:
    """The mean of the finite values, NaN when there is none."""
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


def _circular_mean(values) -> float:
    """Mean of angles in degrees on the circle (an arithmetic mean of 170 and -170 would be 0)."""
    v = np.radians([x for x in values if x is not None and math.isfinite(x)])
    return float(np.degrees(np.arctan2(np.sin(v).mean(), np.cos(v).mean()))) if v.size else float("nan")


def family_words(family: str) -> dict[str, str]:
    """What a kick or a strike is made with, for the messages."""
    kick = family == "kick"
    return {"limb": "leg" if kick else "arm", "part": "foot" if kick else "fist",
            "action": "kick" if kick else "strike"}


Found = list[tuple[float, str, float | None]]   # (size in thresholds, text, moment s)


def _angle_corrections(reps: list[RepetitionComparison], coach: str, family: str) -> Found:
    out = []
    for moment in MOMENT_WORDS:
        for name, (what, more, less) in ANGLE_WORDS.items():
            if name not in reps[0].angle_diff_deg[moment]:
                continue
            if family == "punch" and name == "knee_flexion":
                what = "knee on the punching side is bent"
            diff = finite_mean(r.angle_diff_deg[moment][name] for r in reps)
            if not (math.isfinite(diff) and abs(diff) > ANGLE_DEG):
                continue
            s = _circular_mean(r.student.angles[moment][name] for r in reps)
            c = _circular_mean(r.coach.angles[moment][name] for r in reps)
            sign = 1 if diff > 0 else -1
            fix = next((f for (a, m, sg, fam), f in ANGLE_FIXES.items()
                        if a == name and m in (moment, "*") and sg == sign and fam in (family, "*")),
                       f"match {coach}'s position at {MOMENT_WORDS[moment]}")
            how = (more if sign > 0 else less).format(d=f"{abs(diff):.0f}")
            at = _most(reps, lambda r, m=moment, n=name: abs(r.angle_diff_deg[m][n]),
                       lambda r, m=moment: r.student.rep.moments()[m])
            out.append((abs(diff) / ANGLE_DEG, f"At {MOMENT_WORDS[moment]} your {what} {how} than {coach}'s "
                                               f"({s:.0f}° vs {c:.0f}°): {fix}.", at))
    return out


def timing_threshold_ms(coach_ms: float) -> float:
    return max(TIMING_MIN_MS, TIMING_FRACTION * coach_ms)


def _timing_corrections(reps, coach: str, words: dict[str, str], label: str) -> Found:
    out = []
    for phase in (*PHASE_WORDS, "total"):
        diff = finite_mean(r.phase_diff_ms[phase] for r in reps)
        c = finite_mean(r.coach.phases_ms[phase] for r in reps)
        s = finite_mean(r.student.phases_ms[phase] for r in reps)
        limit = timing_threshold_ms(c)
        # The whole-technique time is only named when no single phase explains it.
        if phase == "total" and out:
            continue
        if not (math.isfinite(diff) and abs(diff) > limit):
            continue
        sign = 1 if diff > 0 else -1
        name = PHASE_WORDS.get(phase, f"whole {label}")
        fix = PHASE_FIXES[(phase, sign)].format(coach=coach, **words)
        at = _most(reps, lambda r, p=phase: abs(r.phase_diff_ms[p]),
                   lambda r, p=phase: r.student.rep.moments()[PHASE_STARTS[p]])
        out.append((abs(diff) / limit, f"Your {name} lasts {abs(diff):.0f} ms {'longer' if sign > 0 else 'shorter'} "
                                       f"than {coach}'s ({s:.0f} vs {c:.0f} ms): {fix}.", at))
    return out



def _chain_corrections(reps, coach: str, words: dict[str, str]) -> Found:
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    for r in reps:
        for p in r.chain:
            pairs[(p.proximal, p.distal)].append(p)
    out = []
    for (prox, dist), ps in pairs.items():
        s, c = finite_mean(p.student_lag_ms for p in ps), finite_mean(p.coach_lag_ms for p in ps)
        diff = s - c
        # The order differs when most repetitions put the peaks in opposite orders, each measurably
        # (chain.Pair.order: beyond the footage's resolution, the peaks' tops apart), and so do the means.
        swapped = 2 * sum(not p.same_order for p in ps) > len(ps) and (s > 0) != (c > 0)
        if not (swapped or abs(diff) > CHAIN_LAG_MS):
            continue

        def when(lag: float) -> str:   # the proximal's peak relative to the distal's
            return f"{abs(lag):.0f} ms {'before' if lag > 0 else 'after'}"
        if swapped and c > 0:
            fix = f"start the {words['action']} with the {prox}"
        elif swapped:
            fix = f"follow {coach}'s order: let the {dist} lead"
        elif c <= 0:
            fix = f"match {coach}'s timing of the {prox} and the {dist}"
        elif diff > 0:
            fix = f"let the {dist} follow the {prox} without a pause"
        else:
            fix = f"let the {prox} lead a little longer before the {dist} fires"
        size = max(abs(diff) / CHAIN_LAG_MS, 2.0 if swapped else 0.0)
        at = _most(reps, lambda r, pair=(prox, dist): abs(_lag_diff(r, pair)), lambda r, d=dist: _distal_peak_s(r, d))
        out.append((size, f"Your {prox} reaches peak speed {when(s)} your {dist}; {coach}'s {when(c)}: {fix}.", at))
    return out


def _lag_diff(r: RepetitionComparison, pair: tuple[str, str]) -> float:
    """ms: a chain pair's lag difference (student - coach) in one repetition, NaN when it was not measured."""
    return next((p.lag_diff_ms for p in r.chain if (p.proximal, p.distal) == pair), math.nan)


def _distal_peak_s(r: RepetitionComparison, joint: str) -> float | None:
    """s: the student's peak of a chain joint (chain peak times are ms from the effector's peak)."""
    lag_ms = r.student.chain.peak_times_ms.get(joint)
    return None if lag_ms is None else r.student.rep.peak_s + lag_ms / 1000.0


def corrections(reps: list[RepetitionComparison], *, coach: str, family: str, label: str,
                speed_trusted: bool = True, force_trusted: bool = True,
                balance_trusted: bool = True) -> list[Correction]:
    """Corrections beyond their thresholds, largest (in thresholds) first, each with its moment; none on
    speed unless the student's speed was measured reliably (speed_trusted), none on force unless it and its
    force were (force_trusted: quality.force_quality), none on balance unless the student's balance was
    (balance_trusted: quality.balance_quality)."""
    words = family_words(family)
    found = _angle_corrections(reps, coach, family) + _timing_corrections(reps, coach, words, label)
    found += _chain_corrections(reps, coach, words)
    part = words["part"] if family == "kick" else "hand"
    speed = finite_mean(r.speed_ratio for r in reps) if speed_trusted else math.nan
    if speed < SPEED_RATIO_LOW:
        s, c = finite_mean(r.student.peak_speed_m_s for r in reps), finite_mean(r.coach.peak_speed_m_s for r in reps)
        found.append(((1 - speed) / (1 - SPEED_RATIO_LOW),
                      f"Your {part} speed is {speed * 100:.0f} % of {coach}'s ({s:.1f} vs {c:.1f} m/s): relax until "
                      f"the last moment and snap the {words['action']} out and back.",
                      _most(reps, lambda r: -r.speed_ratio, lambda r: r.student.rep.peak_s)))
    force = finite_mean(r.force_ratio for r in reps) if speed_trusted and force_trusted else math.nan
    if force < FORCE_RATIO_LOW:
        fs = finite_mean(r.student.peak_force_n for r in reps)
        fc = finite_mean(r.coach.force_per_kg * r.student.body_mass_kg for r in reps)
        found.append(((1 - force) / (1 - FORCE_RATIO_LOW),
                      f"Your peak {words['limb']} force is {force * 100:.0f} % of {coach}'s at your body mass "
                      f"({fs:.0f} vs {fc:.0f} N): accelerate through the whole movement, not only at its end.",
                      _most(reps, lambda r: -r.force_ratio, lambda r: r.student.rep.peak_s)))
    excess = finite_mean(r.com_excursion_diff_m for r in reps) if balance_trusted else math.nan
    s = finite_mean(r.student.balance.max_excursion_m for r in reps)
    c = finite_mean(r.coach.balance.max_excursion_m for r in reps)
    limit = max(COM_EXCESS_M, COM_EXCESS_FRACTION * c) if math.isfinite(c) else COM_EXCESS_M
    if excess > limit:
        found.append((excess / limit,
                      f"Your centre of mass goes {excess * 100:.0f} cm further outside your base of support than "
                      f"{coach}'s ({s * 100:.0f} vs {c * 100:.0f} cm): keep your weight over the supporting foot.",
                      _most(reps, lambda r: r.com_excursion_diff_m, lambda r: r.student.rep.end_s)))
    return [Correction(text, at) for _, text, at in sorted(found, key=lambda f: -f[0])]
