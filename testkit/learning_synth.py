"""Synthetic repetitions of three distinguishable techniques, in MediaPipe's world frame (m, y down, z away).

A standing adult (~1.75 m, trunk 0.5 m) performs, with the right side: a front kick (foot travels
forward, -z, and up), a side kick (foot travels sideways, -x, and up) or a lunge punch (hand travels
forward). Each repetition varies its reach, duration, frame rate, body size, facing direction and
jitter, so a model must learn the movement and not one recording.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from services.scoring.learning.dataset import Sample

TECHNIQUES = ("front_kick", "side_kick", "lunge_punch")


def standing_pose() -> np.ndarray:
    """[33,3] metres, facing the camera (the subject's left at +x)."""
    p = np.zeros((33, 3))
    for o, sx in ((0, 1.0), (1, -1.0)):
        def put(i: int, x: float, y: float, z: float) -> None:
            p[i + o] = (sx * x, y, z)
        put(11, 0.19, -0.50, 0.0); put(13, 0.21, -0.22, 0.0); put(15, 0.22, 0.04, 0.0)
        put(17, 0.24, 0.12, 0.01); put(19, 0.21, 0.13, -0.01); put(21, 0.19, 0.09, -0.02)
        put(23, 0.10, 0.0, 0.0); put(25, 0.10, 0.44, 0.0); put(27, 0.10, 0.86, 0.0)
        put(29, 0.10, 0.93, 0.05); put(31, 0.11, 0.93, -0.20)
    p[0] = (0.0, -0.68, -0.10)
    p[1:4] = [(0.02, -0.71, -0.09), (0.035, -0.71, -0.09), (0.05, -0.71, -0.09)]
    p[4:7] = [(-0.02, -0.71, -0.09), (-0.035, -0.71, -0.09), (-0.05, -0.71, -0.09)]
    p[7], p[8] = (0.08, -0.69, 0.0), (-0.08, -0.69, 0.0)
    p[9], p[10] = (0.03, -0.64, -0.09), (-0.03, -0.64, -0.09)
    return p


def _pulse(t: np.ndarray, t_c: float, width: float) -> np.ndarray:
    """0 -> 1 -> 0 out-and-back displacement: a smooth step up at t_c - width, back down at t_c + width."""
    up = 0.5 * (1 + erf((t - (t_c - 1.5 * width)) / (np.sqrt(2) * width / 2)))
    down = 0.5 * (1 + erf((t - (t_c + 1.5 * width)) / (np.sqrt(2) * width / 2)))
    return up - down


# Per technique: (landmarks that move, how far each travels as a fraction of the reach, direction (x, y, z)).
_MOVES = {
    "front_kick": ([26, 28, 30, 32], [0.45, 0.85, 0.95, 1.0], (0.0, -0.5, -1.0)),
    "side_kick": ([26, 28, 30, 32], [0.45, 0.85, 0.95, 1.0], (-1.0, -0.5, 0.0)),
    "lunge_punch": ([14, 16, 18, 20, 22], [0.5, 1.0, 1.0, 1.0, 1.0], (0.0, 0.2, -1.0)),
}


def repetition(technique: str, rng: np.random.Generator, source: str = "", yaw: float | None = None) -> Sample:
    fps = float(rng.choice([30.0, 60.0]))
    duration = rng.uniform(0.8, 1.4)
    t = np.arange(int(duration * fps)) / fps
    scale = rng.uniform(0.9, 1.1)
    world = np.repeat(standing_pose()[None], t.size, axis=0) * scale
    idx, fractions, direction = _MOVES[technique]
    d = np.asarray(direction) / np.linalg.norm(direction)
    reach = rng.uniform(0.5, 0.7) * scale
    bump = _pulse(t, duration * rng.uniform(0.4, 0.6), rng.uniform(0.06, 0.1))
    for i, f in zip(idx, fractions):
        world[:, i] += reach * f * bump[:, None] * d
    yaw = rng.uniform(-np.pi, np.pi) if yaw is None else yaw     # the performer faces anywhere
    c, s = np.cos(yaw), np.sin(yaw)
    world = world @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T
    world += rng.normal(0.0, 0.004, world.shape)
    vis = rng.uniform(0.8, 1.0, (t.size, 33))
    return Sample(technique=technique, t=t, world=world, visibility=vis, source=source)


def dataset(per_technique: int = 6, seed: int = 0, techniques=TECHNIQUES) -> list[Sample]:
    rng = np.random.default_rng(seed)
    return [repetition(name, rng, f"synthetic/{name}#{k}") for name in techniques for k in range(per_technique)]
