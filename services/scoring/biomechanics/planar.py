"""Metric positions from one camera that do not trust BlazePose's per-frame depth.

Chosen by measurement (bench/validity.py; pose2sim balancing trial, 4 views, triangulated truth 3.48
m/s for the fastest toe): peak effector speed from BlazePose's world landmarks read 11.1, 7.6, 9.4 and
3.7 m/s, dominated by the monocular depth jumping ~0.3 m over a few frames; from the image landmarks
put in metres (services.kit.image_scale) 3.24, 3.64, 3.74 and 2.86 m/s. Adding the world depth back at
full bandwidth gave 11.1 m/s again on cam01 (3 Hz low-pass: 6.2, 2 Hz: 3.7). So:

- x, y (m, camera axes: x right, y down): the image coordinates (px) times the performer's metres per
  pixel s(t). The hip centre's path is the integral of its image displacement times the local s, the
  other landmarks are their image offset from the hips times s: a person walking toward the camera
  (s changing) does not appear to move;
- z (m, away from the camera, relative to the hips): the depth lifted from the image by the project's
  depth lifter (Motion.depth, learning/lifting.py; px, put in metres with the same s(t)) where it gave
  one; the other landmarks (face, hands, feet) hang from their lifted parent joint by BlazePose's local
  depth offset (short segments, small error); without a lifter, BlazePose's world depth. Knee/hip
  flexion RMSE against OpenSim on the four pose2sim views: BlazePose depth 14.2 / 20.6 / 17.8 / 23.1 deg,
  lifted 10.7 / 12.9 / 16.5 / 13.0 (README). Either is low-passed at DEPTH_CUTOFF_FRACTION of the
  clip's cut-off (1-2 Hz), so the slow posture (which leg is in front) is kept for balance and joint
  angles while per-frame jumps never reach a speed. Speeds are
  therefore those of the image plane: a motion along the camera's axis is under-read, and the quality
  report (quality.py) says so from the effector segment's angle to the image plane.
"""

from __future__ import annotations

import numpy as np

from services.kit.image_scale import metres_per_pixel
from services.kit.landmark_filters import FILTERS
from services.kit.landmark_outliers import PARENT

from . import landmarks as L
from .motion import Motion
from .sampling import sample_mask

# The depth's cut-off is a fraction of the clip's own (the pose service's, chosen by residual analysis
# from the image): a fixed 2 Hz passed twice the depth jitter per frame into a clip played at half speed
# (pose2sim cam01: 0.76 of its wrist's peak speed then came from depth, against 0.1 at normal speed).
DEPTH_CUTOFF_FRACTION = 0.2
DEFAULT_CUTOFF_HZ = 10.0  # a sequence that does not say its cut-off


def hip_path_px(px: np.ndarray) -> np.ndarray:
    """[T,2] image position (px) of the hip centre, linearly bridged over frames where a hip is missing."""
    hip = 0.5 * (px[:, L.LEFT_HIP] + px[:, L.RIGHT_HIP])
    ok = np.isfinite(hip).all(axis=1)
    if ok.sum() < 2:
        return hip
    frames = np.arange(len(hip))
    return np.stack([np.interp(frames, frames[ok], hip[ok, k]) for k in range(2)], axis=1)


def limb_seen(usable: np.ndarray) -> np.ndarray:
    """usable [T,33] with every end dropped in the frames where the joint it hangs from is not usable
    (proximal first, so a lost knee takes the ankle and the foot): BlazePose places a hidden limb where
    it expects it, and the pose service may have rejected a joint while keeping its end."""
    out = usable.copy()
    for child, parent in sorted(PARENT.items(), key=lambda kv: kv[1]):
        out[:, child] &= out[:, parent]
    return out


def depth_cutoff_hz(motion: Motion) -> float:
    return DEPTH_CUTOFF_FRACTION * (motion.cutoff_hz if motion.cutoff_hz > 0 else DEFAULT_CUTOFF_HZ)


# Landmarks the lifter gives no depth: the face hangs from the nose, hands and feet from their joints.
_HANGS = {**{k: 0 for k in range(1, 11)}, **PARENT}


def depth_m(motion: Motion, scale: np.ndarray) -> np.ndarray:
    """[T,33] depth in metres relative to the hips: lifted (px x scale) for the landmarks the lifter
    covers, the others their lifted parent's plus BlazePose's offset from it; BlazePose's world depth
    where no lifted value exists (no lifter, or a frame without enough of the body for it)."""
    world_z = motion.world[..., 2]
    if motion.depth is None:
        return world_z
    out = motion.depth * scale[:, None]
    lifted = np.isfinite(motion.depth).any(axis=0)
    for child, parent in sorted(_HANGS.items(), key=lambda kv: kv[1]):
        if not lifted[child]:
            out[:, child] = out[:, parent] + (world_z[:, child] - world_z[:, parent])
    return np.where(np.isfinite(out), out, world_z)


def metric_positions(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """(positions [T,33,3] m as described above, NaN where unusable; metres per pixel [T])."""
    if motion.image is None:
        raise ValueError("metric_positions needs the image landmarks")
    usable = limb_seen(sample_mask(motion) & np.isfinite(motion.image).all(axis=-1))
    px = np.where(usable[..., None], motion.image, np.nan)
    scale = metres_per_pixel(motion.t, px, motion.world, usable)
    hip = hip_path_px(px)
    step = np.diff(hip, axis=0) * (0.5 * (scale[1:] + scale[:-1]))[:, None]
    hip_m = np.concatenate([np.zeros((1, 2)), np.nancumsum(step, axis=0)])
    xy = hip_m[:, None, :] + (px - hip[:, None, :]) * scale[:, None, None]
    depth = np.where(usable, depth_m(motion, scale), np.nan)[..., None]
    depth = FILTERS["butterworth"](motion.t * 1000.0, depth, cutoff_hz=depth_cutoff_hz(motion))
    pos = np.concatenate([xy, depth], axis=-1)
    pos[~usable] = np.nan
    return pos, scale
