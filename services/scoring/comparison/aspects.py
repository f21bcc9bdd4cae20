"""Aspect scores (0-10) of a student repetition from its differences with the coach's.

clip(x) = min(max(x, 0), 1). Each aspect is 10 when the student matches the coach, so a repetition
compared with itself scores 10 everywhere; exceeding the coach (faster, stronger) is not penalised.
- speed        = 10 * clip(v_student / v_coach): peak effector speed ratio (m/s over m/s).
- force        = 10 * clip((F_s / m_s) / (F_c / m_c)): ratio of the peak net limb forces
                 (kinetics.py, de Leva masses) per kg of body mass, so a light student is not
                 marked down for weighing less than the coach (F is proportional to body mass).
- timing       = 10 * clip(1 - sum_p |dT_p| / sum_p T_coach,p) over the four phases p (start ->
                 chamber -> extension -> retraction -> end): the mean absolute phase-time error
                 relative to the coach's mean phase duration. A student 25 % slower in every phase
                 scores 7.5; the same total time with the time spent in the wrong phases also loses.
- coordination = 10 * mean over the chain's timed pairs (knee -> ankle in a kick, chain.TIMED_PAIRS; a
                 punch has none and scores neutral) of (o + w) / 2, o = 1 if the pair is in the same
                 order (proximal first or not) as the coach's, w = clip(1 - max(0, |lag_s - lag_c| -
                 VIEW_LAG_SPREAD_MS) / LAG_MAX_MS): the structure of chain.py's efficiency (Putnam
                 1993), measured against the coach instead of a norm. A difference within
                 VIEW_LAG_SPREAD_MS (135 ms) is what two views of one kick can read, so it costs
                 nothing; LAG_MAX_MS (190 ms) is the widest lag of the experts' kicks.
- balance      = 10 * clip(1 - max(0, e_s - e_c) / max(e_c, BALANCE_EXCURSION_REF_M)), e = the
                 maximum CoM excursion outside the base of support over the repetition (m,
                 balance.py). Only what goes beyond the coach's own excursion counts (a technique
                 that steps through leaves the support by design), on a scale of the coach's
                 excursion or 0.15 m (scores.py's BALANCE_EXCURSION_REF_M), whichever is larger: the
                 further a technique carries the CoM, the more it varies between repetitions (CMU
                 135's own front kicks reach 29-36 cm, a 7 cm spread).
An aspect that cannot be measured in both (e.g. feet not tracked) is NaN and scores.combine turns
it into the neutral 5 with the same weights as the single-performance analysis.
"""

from __future__ import annotations

import math

from services.scoring.biomechanics.chain import VIEW_LAG_SPREAD_MS
from services.scoring.biomechanics.norms import LAG_MAX_MS
from services.scoring.biomechanics.scores import BALANCE_EXCURSION_REF_M, Scores, combine

PHASES = ("start_to_chamber", "chamber_to_extension", "extension_to_retraction", "retraction_to_end")


def clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def ratio_score(ratio: float) -> float:
    return 10.0 * clip01(ratio) if math.isfinite(ratio) else float("nan")


def timing_score(student_ms: dict[str, float], coach_ms: dict[str, float]) -> float:
    coach_total = sum(coach_ms[p] for p in PHASES)
    if coach_total <= 0:
        return float("nan")
    error = sum(abs(student_ms[p] - coach_ms[p]) for p in PHASES)
    return 10.0 * clip01(1.0 - error / coach_total)


def coordination_score(pairs: list[tuple[bool, float]]) -> float:
    """pairs: (same order, lag difference in ms) per chain pair measured in both."""
    if not pairs:
        return float("nan")
    parts = [0.5 * (1.0 if same else 0.0) + 0.5 * clip01(1.0 - max(0.0, abs(d) - VIEW_LAG_SPREAD_MS) / LAG_MAX_MS)
             for same, d in pairs]
    return 10.0 * sum(parts) / len(parts)


def balance_score(student_excursion_m: float, coach_excursion_m: float) -> float:
    if not (math.isfinite(student_excursion_m) and math.isfinite(coach_excursion_m)):
        return float("nan")
    scale = max(coach_excursion_m, BALANCE_EXCURSION_REF_M)
    return 10.0 * clip01(1.0 - max(0.0, student_excursion_m - coach_excursion_m) / scale)


def aspect_scores(*, speed_ratio: float, force_ratio: float, student_phases_ms: dict[str, float],
                  coach_phases_ms: dict[str, float], chain_pairs: list[tuple[bool, float]],
                  student_excursion_m: float, coach_excursion_m: float) -> Scores:
    return combine(speed=ratio_score(speed_ratio), force=ratio_score(force_ratio),
                   timing=timing_score(student_phases_ms, coach_phases_ms),
                   balance=balance_score(student_excursion_m, coach_excursion_m),
                   coordination=coordination_score(chain_pairs))
