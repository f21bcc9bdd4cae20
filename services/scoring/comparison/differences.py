"""Student-minus-coach differences of two measured repetitions, and their aspect scores."""

from __future__ import annotations

import math


from .alignment import Alignment
from .aspects import aspect_scores
from .model import ChainPairDifference, RepetitionComparison
from .performance import RepMeasures


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else float("nan")


def angle_difference(student_deg: float, coach_deg: float) -> float:
    """student - coach, degrees, wrapped to [-180, 180): hip flexion, forward lean and hip rotation
    range over -180..180 (angles.py), where 170 and -170 are 20 degrees apart, not 340."""
    return (student_deg - coach_deg + 180.0) % 360.0 - 180.0


# Hip flexion is the first angle of the ISB hip sequence (angles.py): about the pelvis's lateral
# axis. When the thigh itself lies near that axis (abduction near 90 deg, the chamber of a
# roundhouse or side kick) the flexion angle is undefined, the gimbal lock of the sequence: its
# value swings wildly for tiny motions (1 / cos(abduction) amplification, 2x at 60 deg), so it is
# not compared there.
GIMBAL_ABDUCTION_DEG = 60.0


def _angle_differences(student: dict[str, float], coach: dict[str, float], seen: dict[str, bool]) -> dict[str, float]:
    """Differences of the angles both cameras saw well enough (viewpoint.py); NaN: not compared."""
    out = {a: angle_difference(student[a], coach[a]) if seen.get(a, True) else float("nan") for a in student}
    if "hip_flexion" in out and max(abs(student["hip_abduction"]), abs(coach["hip_abduction"])) > GIMBAL_ABDUCTION_DEG:
        out["hip_flexion"] = float("nan")
    return out


# A phase shorter than this means the segmentation did not find that moment (a real strike phase lasts
# tens of ms or more): the repetition's phase timings are then not compared at all.
MIN_PHASE_MS = 20.0
# Peak-speed lags beyond this are two separate movements, not a sequence (Putnam 1993: tens of ms;
# norms.LAG_MAX_MS = 190): they are not compared either.
MAX_COMPARED_LAG_MS = 300.0


def _phase_differences(student: RepMeasures, coach: RepMeasures) -> dict[str, float]:
    degenerate = any(v < MIN_PHASE_MS for r in (student, coach) for p, v in r.phases_ms.items() if p != "total")
    return {p: float("nan") if degenerate else student.phases_ms[p] - coach.phases_ms[p] for p in student.phases_ms}


def chain_differences(student: RepMeasures, coach: RepMeasures) -> list[ChainPairDifference]:
    """Per consecutive chain pair measured in both: lags (ms, distal peak - proximal peak) and their
    difference; the order is the same unless the two put the peaks in opposite orders, each measurably
    (chain.Pair.order)."""
    coach_pairs = {(p.proximal, p.distal): p for p in coach.chain.pairs}
    out = []
    for p in student.chain.pairs:
        c = coach_pairs.get((p.proximal, p.distal))
        if c is None or max(abs(p.lag_ms), abs(c.lag_ms)) > MAX_COMPARED_LAG_MS:
            continue
        out.append(ChainPairDifference(p.proximal, p.distal, p.lag_ms, c.lag_ms, p.lag_ms - c.lag_ms,
                                       p.order * c.order >= 0))
    return out


def compare_repetitions(student: RepMeasures, coach: RepMeasures, alignment: Alignment, *, coach_index: int,
                        coach_mirrored: bool) -> RepetitionComparison:
    phase_diff = _phase_differences(student, coach)
    angle_diff = {m: _angle_differences(student.angles[m], coach.angles[m],
                                        {a: student.seen[m][a] and coach.seen[m][a] for a in student.seen[m]})
                  for m in student.angles}
    speed_ratio = _ratio(student.peak_speed_m_s, coach.peak_speed_m_s)
    force_ratio = _ratio(student.force_per_kg, coach.force_per_kg)
    chain = chain_differences(student, coach)
    sb, cb = student.balance, coach.balance
    measured = sb.frames_used > 0 and cb.frames_used > 0
    exc_diff = sb.max_excursion_m - cb.max_excursion_m if measured else float("nan")
    out_diff = sb.fraction_outside - cb.fraction_outside if measured else float("nan")
    scores = aspect_scores(speed_ratio=speed_ratio, force_ratio=force_ratio, student_phases_ms=student.phases_ms,
                           coach_phases_ms=coach.phases_ms, chain_pairs=[(c.same_order, c.lag_diff_ms) for c in chain],
                           student_excursion_m=sb.max_excursion_m if measured else float("nan"),
                           coach_excursion_m=cb.max_excursion_m if measured else float("nan"))
    return RepetitionComparison(
        student=student, coach=coach, coach_index=coach_index, coach_mirrored=coach_mirrored, alignment=alignment,
        phase_diff_ms=phase_diff, angle_diff_deg=angle_diff, speed_ratio=speed_ratio, force_ratio=force_ratio,
        chain=chain, com_excursion_diff_m=exc_diff, com_outside_diff=out_diff, scores=scores)
