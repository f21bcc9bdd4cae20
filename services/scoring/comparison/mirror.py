"""Left-right mirroring of landmark sequences, so a left-side technique can be compared with a right-side one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from services.scoring.biomechanics.kinematics import Kinematics
from services.scoring.biomechanics.landmarks import N_LANDMARKS
from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.repetitions import Repetition

# BlazePose pairs its left and right landmarks as (odd, even) indices from 1 to 32 except the
# eyes' inner/outer points (1-3 left, 4-6 right) and the mouth (9 left, 10 right).
_PAIRS = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, 33, 2)))
MIRROR_INDEX = np.arange(N_LANDMARKS)
for _l, _r in _PAIRS:
    MIRROR_INDEX[_l], MIRROR_INDEX[_r] = _r, _l

# Reflection through the camera's sagittal (y-z) plane: x -> -x. Swapping the labels alone would
# put the left leg where the right one was; negating x as well gives the mirror image of the body,
# i.e. the same technique performed with the other side.
_FLIP = np.array([-1.0, 1.0, 1.0])


def mirror_positions(pos: np.ndarray) -> np.ndarray:
    """[...,33,3] landmarks -> the mirrored body: left and right swapped, x negated (same units)."""
    return pos[..., MIRROR_INDEX, :] * _FLIP


def mirror_kinematics(kin: Kinematics) -> Kinematics:
    """Mirrored kinematics; speeds are unchanged by a reflection, only relabelled."""
    return replace(kin, pos=mirror_positions(kin.pos), vel=mirror_positions(kin.vel),
                   acc=mirror_positions(kin.acc), speed=kin.speed[:, MIRROR_INDEX])


def mirror_motion(motion: Motion) -> Motion:
    """The same performance done with the other side (e.g. a right kick -> a left kick)."""
    return replace(motion, world=mirror_positions(motion.world), visibility=motion.visibility[:, MIRROR_INDEX])


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def mirror_repetition(rep: Repetition) -> Repetition:
    """The repetition as seen in the mirrored sequence: same times, effector on the other side."""
    side, part = rep.effector.split("_", 1)
    return replace(rep, effector=f"{other_side(side)}_{part}")
