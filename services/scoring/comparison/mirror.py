"""Left-right mirroring of landmark sequences, so a left-side technique can be compared with a right-side one."""

from __future__ import annotations

from dataclasses import replace

from services.scoring.biomechanics.kinematics import Kinematics
from services.scoring.biomechanics.landmarks import MIRROR_INDEX, mirror_positions
from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.repetitions import Repetition


def mirror_kinematics(kin: Kinematics) -> Kinematics:
    """Mirrored kinematics; speeds are unchanged by a reflection, only relabelled."""
    return replace(kin, pos=mirror_positions(kin.pos), vel=mirror_positions(kin.vel),
                   acc=mirror_positions(kin.acc), speed=kin.speed[:, MIRROR_INDEX])


def mirror_motion(motion: Motion) -> Motion:
    """The same performance done with the other side (e.g. a right kick -> a left kick).

    Video's image landmarks are mirrored with the world ones (measurement starts from the image): x is
    reflected about the image's left edge (x -> -x, px), which keeps every distance and direction the
    measurement uses; a Motion does not know the frame's width, and nothing measures from its edges. The
    lifted depth is the other side's."""
    image = None if motion.image is None else motion.image[:, MIRROR_INDEX] * [-1.0, 1.0]
    depth = None if motion.depth is None else motion.depth[:, MIRROR_INDEX]  # a reflection keeps depth
    return replace(motion, world=mirror_positions(motion.world), visibility=motion.visibility[:, MIRROR_INDEX],
                   image=image, depth=depth)


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def mirror_repetition(rep: Repetition) -> Repetition:
    """The repetition as seen in the mirrored sequence: same times, effector on the other side."""
    side, part = rep.effector.split("_", 1)
    return replace(rep, effector=f"{other_side(side)}_{part}")
