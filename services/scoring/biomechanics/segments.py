"""Body segment parameters (de Leva 1996) mapped onto BlazePose landmarks; whole-body centre of mass.

de Leva P. (1996) "Adjustments to Zatsiorsky-Seluyanov's segment inertia parameters", J Biomech
29(9):1223-1230, Table 4, MALE values: mass as % of body mass, centre of mass (CoM) as % of the
segment length from the proximal endpoint. The sum of all segment masses is 100 %.
Landmark approximations of de Leva's endpoints (stated, since BlazePose has no anatomical markers):
- head (vertex-C7, CoM 59.76 %): CoM taken at the mid-point of the ears (tragion level);
- trunk (C7-mid-hip, CoM 44.86 % from C7): C7 ~ mid-shoulders, mid-hip = mean of the hip landmarks;
- hand (wrist-3rd metacarpal, 79.00 %): MET3 ~ mid-point of the index (19/20) and pinky (17/18) points;
- shank (knee-lateral malleolus): the ankle landmark; foot (heel-toe tip): heel and foot-index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import landmarks as L

Point = Callable[[np.ndarray], np.ndarray]  # pos [...,33,3] -> [...,3]


def _lm(i: int) -> Point:
    return lambda p: p[..., i, :]


def _mid(i: int, j: int) -> Point:
    return lambda p: 0.5 * (p[..., i, :] + p[..., j, :])


@dataclass(frozen=True)
class Segment:
    name: str
    mass_fraction: float   # of body mass (de Leva 1996, males)
    com_fraction: float    # CoM distance from proximal endpoint / segment length
    proximal: Point
    distal: Point

    def com(self, pos: np.ndarray) -> np.ndarray:
        """Segment CoM position, m: proximal + com_fraction * (distal - proximal)."""
        prox = self.proximal(pos)
        return prox + self.com_fraction * (self.distal(pos) - prox)


def _side(side: str) -> dict[str, Segment]:
    left = side == "left"
    sh, el, wr = (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST) if left else (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST)
    pk, ix = (L.LEFT_PINKY, L.LEFT_INDEX) if left else (L.RIGHT_PINKY, L.RIGHT_INDEX)
    hp, kn, an = (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE) if left else (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)
    he, to = (L.LEFT_HEEL, L.LEFT_TOE) if left else (L.RIGHT_HEEL, L.RIGHT_TOE)
    return {
        "upper_arm": Segment(f"{side}_upper_arm", 0.0271, 0.5772, _lm(sh), _lm(el)),
        "forearm": Segment(f"{side}_forearm", 0.0162, 0.4574, _lm(el), _lm(wr)),
        "hand": Segment(f"{side}_hand", 0.0061, 0.7900, _lm(wr), _mid(pk, ix)),
        "thigh": Segment(f"{side}_thigh", 0.1416, 0.4095, _lm(hp), _lm(kn)),
        "shank": Segment(f"{side}_shank", 0.0433, 0.4459, _lm(kn), _lm(an)),
        "foot": Segment(f"{side}_foot", 0.0137, 0.4415, _lm(he), _lm(to)),
    }


LEFT, RIGHT = _side("left"), _side("right")
HEAD = Segment("head", 0.0694, 0.0, _mid(L.LEFT_EAR, L.RIGHT_EAR), _mid(L.LEFT_EAR, L.RIGHT_EAR))
TRUNK = Segment("trunk", 0.4346, 0.4486, _mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER), _mid(L.LEFT_HIP, L.RIGHT_HIP))
ALL_SEGMENTS: tuple[Segment, ...] = (HEAD, TRUNK, *LEFT.values(), *RIGHT.values())


def limb_segments(effector: str) -> tuple[Segment, ...]:
    """Proximal-to-distal segments of the striking limb ending at the effector."""
    side = LEFT if L.side_of(effector) == "left" else RIGHT
    if effector.endswith("wrist"):
        return side["upper_arm"], side["forearm"], side["hand"]
    return side["thigh"], side["shank"], side["foot"]


def effector_segment(effector: str) -> int:
    """Index in limb_segments(effector) of the segment whose distal end is the effector."""
    return {"wrist": 1, "ankle": 1, "toe": 2}[effector.split("_", 1)[1]]


def whole_body_com(pos: np.ndarray) -> np.ndarray:
    """Whole-body CoM [N,3], m: sum_i f_i * c_i over de Leva's 14 segments (fractions sum to 1).

    NaN in a frame where any segment is unknown: a CoM missing a limb would be biased.
    """
    return sum(s.mass_fraction * s.com(pos) for s in ALL_SEGMENTS)
