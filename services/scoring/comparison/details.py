"""The comparison's measured values as a JSON-serialisable dict (verbose output)."""

from __future__ import annotations

import math
from typing import Any

from services.scoring.biomechanics.scores import WEIGHTS, Scores

from . import corrections as C
from .alignment import SIMILARITY_SIGMA
from .model import ReferencePerformance, RepetitionComparison
from .performance import RepMeasures


def _f(x: float | None, nd: int = 4) -> float | None:
    """JSON-friendly float: rounded, None for NaN/inf."""
    return round(float(x), nd) if x is not None and math.isfinite(x) else None


def _fd(d: dict[str, float], nd: int = 4) -> dict[str, float | None]:
    return {k: _f(v, nd) for k, v in d.items()}


def _performance(m: RepMeasures) -> dict[str, Any]:
    b = m.balance
    return {
        "index": m.rep.index, "effector": m.rep.effector, "side": m.side, "held": m.rep.held,
        "moments_s": _fd(m.rep.moments()), "peak_s": _f(m.rep.peak_s),
        "phases_ms": _fd(m.phases_ms, 1),
        "angles_deg": {moment: _fd(a, 2) for moment, a in m.angles.items()},
        "peak_speed_m_s": _f(m.peak_speed_m_s, 3), "peak_force_n": _f(m.peak_force_n, 1),
        "peak_force_per_kg_n_kg": _f(m.force_per_kg, 3), "body_mass_kg": _f(m.body_mass_kg, 2),
        "chain_peak_times_ms": _fd(m.chain.peak_times_ms, 1), "chain_order": m.chain.observed_order,
        "chain_lags_ms": [{"proximal": p.proximal, "distal": p.distal, "lag_ms": _f(p.lag_ms, 1)}
                          for p in m.chain.pairs],
        "balance_frames": b.frames_used, "com_max_excursion_m": _f(b.max_excursion_m),
        "com_outside_fraction": _f(b.fraction_outside), "com_sway_rms_m": _f(b.sway_rms_m),
    }


def _repetition(r: RepetitionComparison) -> dict[str, Any]:
    al = r.alignment
    ds, dc = 1000.0 * r.student.dt_s, 1000.0 * r.coach.dt_s
    return {
        "student": _performance(r.student),
        "coach": {**_performance(r.coach), "mirrored": r.coach_mirrored},
        "alignment": {
            "similarity_pct": _f(al.similarity_pct, 2), "pose_error_torso": _f(al.pose_error),
            "dtw_distance_torso": _f(al.distance), "path_length": len(al.path),
            "joint_error_torso": _fd(al.joint_error),
            # (student ms, coach ms) from each repetition's start: which coach instant each student
            # instant was matched with.
            "path_ms": [[round(i * ds, 1), round(j * dc, 1)] for i, j in al.path],
        },
        "phase_diff_ms": _fd(r.phase_diff_ms, 1),
        "angle_diff_deg": {moment: _fd(a, 2) for moment, a in r.angle_diff_deg.items()},
        "speed_ratio": _f(r.speed_ratio), "force_ratio": _f(r.force_ratio),
        "chain": [{"proximal": c.proximal, "distal": c.distal, "student_lag_ms": _f(c.student_lag_ms, 1),
                   "coach_lag_ms": _f(c.coach_lag_ms, 1), "lag_diff_ms": _f(c.lag_diff_ms, 1),
                   "same_order": c.same_order} for c in r.chain],
        "com_excursion_diff_m": _f(r.com_excursion_diff_m), "com_outside_diff": _f(r.com_outside_diff),
        "scores": _fd(r.scores.as_dict(), 3),
    }


def comparison_details(reps: list[RepetitionComparison], scores: Scores, similarity_pct: float, *,
                       reference: ReferencePerformance, family: str, label: str,
                       student_mass_kg: float) -> dict[str, Any]:
    return {
        "coach": reference.coach_name, "reference_id": reference.reference_id,
        "technique": reference.technique, "technique_label": label, "technique_family": family,
        "coach_body_mass_kg": _f(reference.body_mass_kg), "student_body_mass_kg": _f(student_mass_kg),
        "differences": "student minus coach; ratios student / coach",
        "units": {"time": "ms", "angle": "degrees (angles.py convention)", "speed": "m/s", "force": "N",
                  "pose": "torso lengths (hip-centred, facing +x)"},
        "similarity_pct": _f(similarity_pct, 2), "similarity_sigma_torso": SIMILARITY_SIGMA,
        "scores": _fd(scores.as_dict(), 3), "score_weights": dict(WEIGHTS),
        "thresholds": {"angle_deg": C.ANGLE_DEG, "timing_min_ms": C.TIMING_MIN_MS,
                       "timing_fraction": C.TIMING_FRACTION, "speed_ratio_low": C.SPEED_RATIO_LOW,
                       "force_ratio_low": C.FORCE_RATIO_LOW, "chain_lag_ms": C.CHAIN_LAG_MS,
                       "com_excess_m": C.COM_EXCESS_M, "com_excess_fraction": C.COM_EXCESS_FRACTION},
        "repetitions": [_repetition(r) for r in reps],
    }
