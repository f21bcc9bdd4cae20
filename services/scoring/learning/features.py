"""Normalise one repetition into the models' fixed input: [64 frames, 33 landmarks, (x, y, z, visibility)].

Steps, in order (all positions in metres until step 4, then in body lengths):
1. hip-centre every frame: subtract the midpoint of the hips (23, 24); MediaPipe's world landmarks
   already have this origin, other sources (motion capture) may not;
2. canonical yaw: rotate about the vertical y axis so that the girdles' line (right -> left: the hip
   line and the shoulder line, each averaged over the repetition and made unit length in the ground
   plane, then summed) points along +x, i.e. the performer faces the camera. The models are thereby
   invariant to where the camera stood around the performer, which the few references a coach records
   cannot teach them. Both girdles, because in a side view the hip line lies along the camera's axis,
   where BlazePose's depth errs by 0.10-0.20 m against a hip width of ~0.25 m (video_like's table): the
   hips alone turned the features by tens of degrees at random. Measured by 4-fold cross-validation
   (bench/recognition_cv.py), hips alone -> both girdles, training seeds 0 / 1 / 2: video-like accuracy
   0.787 -> 0.837, 0.799 -> 0.843, 0.815 -> 0.829; open-set TPR (over 4 cross-fitting seeds) 0.650-0.665
   -> 0.673-0.701, 0.650-0.669 -> 0.734-0.758, 0.646-0.697 -> 0.642-0.691 (FPR 0.018-0.062 throughout): the
   accuracy gain held on every seed, the TPR gain on two of three; no canonical yaw at all (camera
   axes): accuracy 0.722, TPR 0.465-0.522;
3. body length L (m) = mean over frames of |mid-shoulder - mid-hip| (the trunk length, ~0.5 m in adults);
4. divide positions by L, so a tall and a short performer of one technique give the same input;
5. resample in time to 64 frames equally spaced between the first and last timestamp, by linear
   interpolation over the timestamps; a value interpolated from an unknown (NaN) landmark is unknown;
6. unknown landmarks become (0, 0, 0) with visibility 0.
What normalisation removes but the form assessor needs (how fast, how big) travels beside the pose as
the context vector (duration of the repetition in s, body length in m).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from services.kit.errors import ValidationFailed
from services.scoring.biomechanics.landmarks import (LEFT_HIP, LEFT_SHOULDER, MIRROR_INDEX, N_LANDMARKS,
                                                     RIGHT_HIP, RIGHT_SHOULDER, mirror_positions)

N_FRAMES = 64
N_CHANNELS = 4
INPUT_DIM = N_LANDMARKS * N_CHANNELS  # 132 per frame, as the spec's input_dim
CONTEXT_DIM = 2
# Trunk length used when the shoulders or hips are never seen (adult mid-shoulder to mid-hip, ~0.5 m;
# de Leva 1996 trunk segment lengths).
DEFAULT_BODY_LENGTH_M = 0.5
MIN_BODY_LENGTH_M = 0.1


@dataclass(frozen=True)
class Features:
    pose: np.ndarray      # [64,33,4] float32: body lengths, canonical yaw; visibility 0..1
    context: np.ndarray   # [2] float32: (duration s, body length m)


def interp_frames(t: np.ndarray, values: np.ndarray, tq: np.ndarray) -> np.ndarray:
    """Linear interpolation of values [T,...] sampled at t [T] onto tq, propagating NaN (tq inside [t0, tN])."""
    i1 = np.clip(np.searchsorted(t, tq, side="right"), 1, len(t) - 1)
    i0 = i1 - 1
    w = np.clip((tq - t[i0]) / (t[i1] - t[i0]), 0.0, 1.0).reshape((-1,) + (1,) * (values.ndim - 1))
    a, b = values[i0], values[i1]
    # Exact hits on a sample take that sample alone: its NaN-free neighbour must not be poisoned.
    out = np.where(w <= 0.0, a, np.where(w >= 1.0, b, (1.0 - w) * a + w * b))
    return out


def _nanmean(x: np.ndarray, axis: int = 0) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN slices are handled by the callers
        return np.nanmean(x, axis=axis)


def yaw_rotation(angle_rad: float) -> np.ndarray:
    """[3,3] rotation about the vertical y axis taking the x-z direction (cos a, sin a) onto +x."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def facing_yaw(world: np.ndarray) -> float:
    """Angle (rad) of the girdles' line in the ground (x-z) plane: the hip and shoulder lines (right ->
    left) of world [T,33,3], each averaged over the frames and made unit length, summed (step 2 above).
    A girdle never seen is left out; 0 when neither is."""
    line = np.zeros(2)
    for left, right in ((LEFT_HIP, RIGHT_HIP), (LEFT_SHOULDER, RIGHT_SHOULDER)):
        ground = _nanmean(world[:, left] - world[:, right])[[0, 2]]
        length = float(np.linalg.norm(ground))
        if np.all(np.isfinite(ground)) and length > 1e-9:
            line += ground / length
    return float(np.arctan2(line[1], line[0])) if np.linalg.norm(line) > 1e-9 else 0.0


def featurize(t: np.ndarray, world: np.ndarray, visibility: np.ndarray) -> Features:
    """t [T] s strictly increasing, world [T,33,3] m (NaN unknown), visibility [T,33] -> Features."""
    t = np.asarray(t, dtype=float).reshape(-1)
    world = np.asarray(world, dtype=float)
    vis = np.nan_to_num(np.asarray(visibility, dtype=float), nan=0.0).clip(0.0, 1.0)
    n = t.shape[0]
    if world.shape != (n, N_LANDMARKS, 3) or vis.shape != (n, N_LANDMARKS):
        raise ValidationFailed(f"A repetition needs [T,33,3] world landmarks and [T,33] visibility; got "
                               f"{world.shape} and {vis.shape}", details={"frames": "malformed landmarks"})
    if n < 2 or not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0):
        raise ValidationFailed("A repetition needs at least 2 frames with finite, strictly increasing timestamps",
                               details={"timestamps": "fewer than 2 frames or not increasing"})
    hip_mid = 0.5 * (world[:, LEFT_HIP] + world[:, RIGHT_HIP])            # [T,3] m
    pos = world - hip_mid[:, None, :]
    yaw = facing_yaw(world)
    pos = pos @ yaw_rotation(yaw).T
    trunk = np.linalg.norm(0.5 * (world[:, LEFT_SHOULDER] + world[:, RIGHT_SHOULDER]) - hip_mid, axis=1)
    body_length = float(_nanmean(trunk)) if np.any(np.isfinite(trunk)) else DEFAULT_BODY_LENGTH_M
    if not np.isfinite(body_length) or body_length < MIN_BODY_LENGTH_M:
        body_length = DEFAULT_BODY_LENGTH_M
    pos = pos / body_length
    tq = np.linspace(t[0], t[-1], N_FRAMES)
    pos = interp_frames(t, pos, tq)
    vis = interp_frames(t, vis, tq)
    known = np.all(np.isfinite(pos), axis=2)
    out = np.zeros((N_FRAMES, N_LANDMARKS, N_CHANNELS), dtype=np.float32)
    out[..., :3] = np.where(known[..., None], pos, 0.0)
    out[..., 3] = np.where(known, vis, 0.0)
    return Features(pose=out, context=np.array([t[-1] - t[0], body_length], dtype=np.float32))


def featurize_sample(sample) -> Features:
    """Features of anything with t, world and visibility attributes (dataset.Sample, the mocap samples)."""
    return featurize(sample.t, sample.world, sample.visibility)


def mirrored(pose: np.ndarray) -> np.ndarray:
    """Features [..., 64, 33, 4] of the same motion performed with the other side: left and right landmarks
    swapped (visibility with them) and x negated. The canonical yaw survives: the girdles' line, right ->
    left, still points along +x (its x is kept, its small z negated), so this equals featurizing the
    mirrored motion (augment.mirror, on the pose's positions and visibility)."""
    return np.concatenate([mirror_positions(pose[..., :3]), pose[..., MIRROR_INDEX, 3:]], axis=-1).astype(pose.dtype)


def stack(features: list[Features]) -> tuple[np.ndarray, np.ndarray]:
    """([N,64,33,4], [N,2]) float32 batches."""
    return (np.stack([f.pose for f in features]).astype(np.float32),
            np.stack([f.context for f in features]).astype(np.float32))
