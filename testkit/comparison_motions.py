"""Students made from real CMU front kicks by known edits: cut, time-warped, re-posed, mirrored."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from services.kit.paths import CMU_KARATE
from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.motion import Motion
from services.scoring.mocap.cmu import load_motion

CMU = CMU_KARATE
MARGIN_S = 0.4   # kept around a repetition when it is cut out of its clip


@lru_cache(maxsize=4)
def cmu_motion(clip: str) -> Motion:
    """A CMU subject-135 clip ("04" front kick, "09" lunge punch, ...) in the lab frame, 120 Hz
    (parsed once per test session: ~2 s a clip)."""
    return load_motion(CMU / "135.asf", CMU / f"135_{clip}.amc")


def cut(motion: Motion, start_s: float, end_s: float) -> Motion:
    """The frames of [start_s - MARGIN_S, end_s + MARGIN_S], times from 0."""
    keep = (motion.t >= start_s - MARGIN_S) & (motion.t <= end_s + MARGIN_S)
    return replace(motion, t=motion.t[keep] - motion.t[keep][0], world=motion.world[keep],
                   visibility=motion.visibility[keep], detected=motion.detected[keep])


def time_scaled(motion: Motion, factor: float) -> Motion:
    """The same movement performed `factor` times slower (every speed divided by factor)."""
    return replace(motion, t=motion.t * factor)


def phase_stretched(motion: Motion, t0: float, t1: float, factor: float) -> Motion:
    """[t0, t1] lasts `factor` times longer, the rest is unchanged but shifted.

    new t = t + (factor - 1) (t1 - t0) h(u), u = (t - t0) / (t1 - t0) clipped to 0..1, with Perlin's
    smootherstep h = 10 u^3 - 15 u^4 + 6 u^5: the local slowing 1 + (factor - 1) 30 u^2 (1 - u)^2
    is 1 with zero slope at both ends of the phase, so the motion keeps its speed there (no speed
    jump for the filters, and the speed threshold that finds the repetition's start sees the same
    motion), and the phase gains exactly (factor - 1) (t1 - t0).
    """
    d = t1 - t0
    u = np.clip((motion.t - t0) / d, 0.0, 1.0)
    return replace(motion, t=motion.t + (factor - 1.0) * d * (10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5))


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation of vectors v [N,3] about unit axes [N,3] by `angle` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return v * c + np.cross(axis, v) * s + axis * np.sum(axis * v, axis=-1, keepdims=True) * (1 - c)


def knee_bent(motion: Motion, side: str, degrees: float, at_s: float, hold_s: float = 0.05,
              ramp_s: float = 0.15) -> Motion:
    """The shank and foot of `side` rotated about the knee, in the leg's plane, so the knee's
    flexion (180 - angle hip-knee-ankle) grows by `degrees` within hold_s of `at_s`, fading to 0
    over ramp_s on either side (the leg's other moments, e.g. standing on it, stay as they were)."""
    hip, knee, ankle, heel, toe = ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_TOE) if side == "left"
                                   else (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_TOE))
    w = motion.world.copy()
    thigh, shank = w[:, knee] - w[:, hip], w[:, ankle] - w[:, knee]
    # Rotating the shank about thigh x shank turns it away from the thigh's direction: more flexion.
    axis = np.cross(thigh, shank)
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    u = np.clip((np.abs(motion.t - at_s) - hold_s) / ramp_s, 0.0, 1.0)
    angle = np.radians(degrees) * (1.0 - (3 * u ** 2 - 2 * u ** 3))[:, None]
    for j in (ankle, heel, toe):
        w[:, j] = w[:, knee] + _rotate(w[:, j] - w[:, knee], axis, angle)
    return replace(motion, world=w)
