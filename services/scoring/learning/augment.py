"""Data augmentation of one repetition: mirroring, camera rotation, speed change, noise and dropout."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from services.scoring.biomechanics.landmarks import MIRROR_INDEX, mirror_positions

from .dataset import Sample
from .features import interp_frames


@dataclass(frozen=True)
class Ranges:
    """How far each transformation goes (design choices: what a phone or tripod camera plausibly does)."""

    mirror_probability: float = 0.5
    yaw_rad: float = float(np.pi)                # the camera anywhere around the performer
    tilt_rad: float = float(np.deg2rad(10.0))    # camera pitched up or down by up to 10 degrees
    speed: tuple[float, float] = (0.8, 1.25)     # 20 % slower to 25 % faster (log-uniform: symmetric in ratio)
    noise_m: float = 0.015                       # landmark jitter, 1.5 cm per axis (BlazePose wobbles by cm)
    landmark_dropout: float = 0.03               # fraction of (frame, landmark) samples lost (occlusion)
    frame_dropout: float = 0.10                  # fraction of frames lost (missed detections, dropped frames)


FULL = Ranges()
# What leaves the biomechanics engine's aspect scores unchanged, so that a re-timed repetition's scores
# stay the target of its copies: mirroring and yaw change none of them (checked on the CMU
# repetitions), whereas tilt still moves the balance of short cuts (too little ground contact to
# estimate the vertical, balance.estimate_vertical) and 1.5 cm of jitter moved timing and coordination
# by up to 6.7 points.
SCORE_PRESERVING = Ranges(tilt_rad=0.0, noise_m=0.0, landmark_dropout=0.0, frame_dropout=0.0)


def mirror(world: np.ndarray, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same motion performed with the other side: swap left/right landmarks and negate x."""
    return mirror_positions(world), visibility[:, MIRROR_INDEX].copy()


def rotation(yaw_rad: float, tilt_rad: float) -> np.ndarray:
    """[3,3] camera rotation: yaw about the vertical y axis, then tilt (pitch) about the x axis."""
    cy, sy = np.cos(yaw_rad), np.sin(yaw_rad)
    ct, st = np.cos(tilt_rad), np.sin(tilt_rad)
    yaw = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, ct, -st], [0.0, st, ct]])
    return tilt @ yaw


def rotate(world: np.ndarray, yaw_rad: float, tilt_rad: float = 0.0) -> np.ndarray:
    """Rotate every landmark about the hip-centre origin (a rigid motion: bone lengths are kept)."""
    return world @ rotation(yaw_rad, tilt_rad).T


def change_speed(t: np.ndarray, world: np.ndarray, visibility: np.ndarray,
                 factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The repetition performed `factor` times faster (duration / factor), re-sampled at the original frame rate."""
    dt = float(np.median(np.diff(t)))               # s, the camera's frame interval
    duration = (t[-1] - t[0]) / factor
    n = max(int(np.floor(duration / dt + 1e-9)) + 1, 2)
    t_new = t[0] + np.arange(n) * dt
    src = t[0] + (t_new - t[0]) * factor            # where in the original each new frame comes from
    src = np.minimum(src, t[-1])
    return t_new, interp_frames(t, world, src), np.nan_to_num(interp_frames(t, visibility, src))


def add_noise(world: np.ndarray, rng: np.random.Generator, sigma_m: float) -> np.ndarray:
    return world + rng.normal(0.0, sigma_m, world.shape)


def drop_landmarks(world: np.ndarray, visibility: np.ndarray, rng: np.random.Generator,
                   p: float) -> tuple[np.ndarray, np.ndarray]:
    """Lose a fraction p of the (frame, landmark) samples: unknown position, visibility 0."""
    lost = rng.random(visibility.shape) < p
    world, visibility = world.copy(), visibility.copy()
    world[lost] = np.nan
    visibility[lost] = 0.0
    return world, visibility


def drop_frames(t: np.ndarray, world: np.ndarray, visibility: np.ndarray, rng: np.random.Generator,
                p: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lose a fraction p of the frames (never the first and last, so the duration is kept)."""
    keep = rng.random(t.shape[0]) >= p
    keep[[0, -1]] = True
    return t[keep], world[keep], visibility[keep]


def augment(sample: Sample, rng: np.random.Generator, *, speed: float | None = None,
            ranges: Ranges = FULL) -> Sample:
    """A random variant of the repetition: every transformation, each drawn from its range.

    `speed` fixes the speed factor (the form assessor's targets are computed per speed factor); None
    draws it log-uniformly in ranges.speed.
    """
    t = np.asarray(sample.t, dtype=float)
    world = np.asarray(sample.world, dtype=float)
    vis = np.asarray(sample.visibility, dtype=float)
    if rng.random() < ranges.mirror_probability:
        world, vis = mirror(world, vis)
    world = rotate(world, rng.uniform(-ranges.yaw_rad, ranges.yaw_rad), rng.uniform(-ranges.tilt_rad, ranges.tilt_rad))
    if speed is None:
        speed = float(np.exp(rng.uniform(*np.log(ranges.speed))))
    if speed != 1.0:
        t, world, vis = change_speed(t, world, vis, speed)
    if ranges.noise_m > 0:
        world = add_noise(world, rng, ranges.noise_m)
    if ranges.landmark_dropout > 0:
        world, vis = drop_landmarks(world, vis, rng, ranges.landmark_dropout)
    if ranges.frame_dropout > 0:
        t, world, vis = drop_frames(t, world, vis, rng, ranges.frame_dropout)
    return replace(sample, t=t, world=world, visibility=vis)
