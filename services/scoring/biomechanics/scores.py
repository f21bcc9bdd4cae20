"""Aspect scores (0-10) and the overall score from the measured values.

Formulas (clip(x) = min(max(x, 0), 1)):
- speed        = 10 * clip(max_speed / v_ref)                      v_ref: norms.speed_ref (CMU 135)
- force        = 10 * clip(peak_force / F_ref), F_ref = m_limb * a_ref * lever_fraction (N): the net
                 limb force of a straight limb swung about its root with the reference effector
                 acceleration a_ref (norms.acc_ref); see kinetics.lever_fraction
- timing       = 10 * mean timing score of the chain's consecutive pairs (chain.py, Putnam 1993)
- coordination = 10 * fraction of the chain's consecutive pairs in proximal-to-distal order
- balance      = 10 * (1 - fraction_outside) * clip(1 - max_excursion / BALANCE_EXCURSION_REF_M)
                 BALANCE_EXCURSION_REF_M = 0.15 m, about half an adult foot length: a CoM that far
                 outside the support cannot be held without a step (design choice). fraction_outside
                 and max_excursion are those of the extrapolated CoM (Hof et al. 2005) over the frames
                 where the performer must be stable: the settled stance after each repetition, or
                 every frame of a clip without repetitions (balance.py)
- overall      = sum_k WEIGHTS[k] * score_k (weights sum to 1; speed weighted highest because it is
                 the most robustly measured value, balance lowest because it depends on the feet,
                 which video tracks worst; design choice)
An aspect that could not be measured (feet or limb not visible) scores NEUTRAL = 5.0 and is
flagged in details, so a framing problem neither rewards nor destroys the overall score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BALANCE_EXCURSION_REF_M = 0.15
NEUTRAL = 5.0
WEIGHTS = {"speed": 0.25, "force": 0.20, "timing": 0.20, "balance": 0.15, "coordination": 0.20}


@dataclass(frozen=True)
class Scores:
    speed: float
    force: float
    timing: float
    balance: float
    coordination: float
    overall: float

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("speed", "force", "timing", "balance", "coordination", "overall")}


def _clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _or_neutral(x: float) -> float:
    return NEUTRAL if x is None or not math.isfinite(x) else x


def speed_score(max_speed: float, v_ref: float) -> float:
    return 10.0 * _clip01(max_speed / v_ref)


def force_score(peak_force: float, f_ref: float) -> float:
    if not math.isfinite(f_ref) or f_ref <= 0:
        return float("nan")
    return 10.0 * _clip01(peak_force / f_ref)


def balance_score(fraction_outside: float, max_excursion_m: float) -> float:
    if not (math.isfinite(fraction_outside) and math.isfinite(max_excursion_m)):
        return float("nan")
    return 10.0 * (1.0 - fraction_outside) * _clip01(1.0 - max_excursion_m / BALANCE_EXCURSION_REF_M)


def combine(speed: float, force: float, timing: float, balance: float, coordination: float) -> Scores:
    parts = {"speed": speed, "force": force, "timing": timing, "balance": balance, "coordination": coordination}
    parts = {k: _or_neutral(v) for k, v in parts.items()}
    overall = sum(WEIGHTS[k] * v for k, v in parts.items())
    return Scores(overall=overall, **parts)
