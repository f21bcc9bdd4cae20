"""Motion capture filmed by an ideal camera: what a video of a captured performance would give the scoring.

The camera is level, at `yaw_deg` round the performer (0: looking along the capture's +z), far enough to be
orthographic; the image plane is the plane across its axis, in metres (x across, y down). Frames are sampled
at `fps` from the capture and each landmark gets independent frame jitter (BlazePose's is about 0.01 m,
learning.video_like.VideoModel.jitter_m). Used by the benchmarks and tests that check a measurement against
the capture's truth in the views a video could have.
"""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.motion import Motion

PX_PER_M = 400.0                      # a performer about 700 px tall, as in a 1080p frame
ORIGIN_PX = np.array([960.0, 540.0])


def camera_axes(world: np.ndarray, yaw_deg: float) -> np.ndarray:
    """[..., 3] positions in the camera's axes (x across the image, y down, z away from the camera), metres."""
    yaw = np.radians(yaw_deg)
    across = np.cos(yaw) * world[..., 0] + np.sin(yaw) * world[..., 2]
    depth = -np.sin(yaw) * world[..., 0] + np.cos(yaw) * world[..., 2]
    return np.stack([across, world[..., 1], depth], axis=-1)


def _resampled(t: np.ndarray, values: np.ndarray, frames: np.ndarray) -> np.ndarray:
    flat = values.reshape(len(t), -1)
    out = np.stack([np.interp(frames, t, flat[:, j]) for j in range(flat.shape[1])], axis=1)
    return out.reshape(len(frames), *values.shape[1:])


def filmed(t: np.ndarray, world: np.ndarray, yaw_deg: float, fps: float, rng: np.random.Generator,
           jitter_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(frame times, [N,33,2] image-plane metres with frame jitter) of the capture seen from yaw_deg."""
    frames = np.arange(t[0], t[-1], 1.0 / fps)
    plane = _resampled(t, camera_axes(world, yaw_deg)[..., :2], frames)
    return frames, plane + rng.normal(0.0, jitter_m, plane.shape)


def filmed_motion(motion: Motion, yaw_deg: float, fps: float, rng: np.random.Generator,
                  jitter_m: float) -> Motion:
    """The capture as the pose service would return its video: image landmarks in pixels and world landmarks
    (hip-centred, camera axes, with the same jitter in depth), every landmark seen."""
    frames = np.arange(motion.t[0], motion.t[-1], 1.0 / fps)
    cam = _resampled(motion.t, camera_axes(motion.world, yaw_deg), frames)
    cam = cam + rng.normal(0.0, jitter_m, cam.shape)
    hips = 0.5 * (cam[:, L.LEFT_HIP] + cam[:, L.RIGHT_HIP])
    n = len(frames)
    return Motion(t=frames, world=cam - hips[:, None], visibility=np.full((n, L.N_LANDMARKS), 0.99),
                  detected=np.ones(n, dtype=bool), image=ORIGIN_PX + PX_PER_M * cam[..., :2])
