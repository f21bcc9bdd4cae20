"""Motion capture turned into what one video gives: a random camera, then a noise model of BlazePose.

What the recogniser sees at analysis time is the pose service's world landmarks: hip-centred metres in
the camera's axes (x right, y down, z away from the camera), with BlazePose's errors. A view is made by:

1. mirroring (p = 0.5: the same technique with the other side) and a speed change (log-uniform 0.8-1.25);
2. a random camera: yaw anywhere round the performer, pitch +-30 degrees (a camera above or below the
   hips), roll +-10 degrees (a hand-held phone), distance 2-8 m; the landmarks are turned into its axes;
3. BlazePose's errors, with magnitudes measured on the shared pose2sim clips against the triangulated
   .trc (the 4 views, the project's extraction with and without its 10 Hz Butterworth; camera fitted by
   DLT on the .trc markers against the image landmarks, `bench/angles_vs_opensim.py`: find_lag,
   fit_camera, markers_in_camera_axes; errors = video world landmarks - .trc markers in the camera's
   axes, both hip-centred, over the paired frames):

   | per view                                  | cam01 | cam02 | cam03 | cam04 |
   | knee/ankle RMS error, image x, m          | 0.046 | 0.041 | 0.052 | 0.035 |
   | knee/ankle RMS error, image y, m          | 0.033 | 0.050 | 0.059 | 0.068 |
   | knee/ankle RMS error, depth z, m          | 0.107 | 0.111 | 0.107 | 0.161 |
   | elbow/wrist RMS error, depth z, m         | 0.177 | 0.160 | 0.164 | 0.208 |
   | knee/ankle depth-error change over 3 frames (50 ms), 95th pct / max, m (unfiltered)
   |                                           | 0.12/0.20 | 0.15/0.26 | 0.09/0.15 | 0.10/0.20 |
   | leg landmarks below visibility 0.5        | 1 %   | 0 %   | 23 %  | 0 %   |
   | frames where swapping left/right legs fits the truth better | 0 | 0 | 0 | 0 |

   The errors are not independent per landmark (cam01 and cam02, whose fitted cameras reproject to 12 and
   36 px; cam03's and cam04's do not fit: 387 and 237 px). Depth errors of one limb move together (knee and
   ankle correlate +0.72 to +0.79, elbow and wrist +0.60 to +0.80), and the body leans toward or away
   from the camera as a whole (left and right knee +0.70 / +0.79, shoulder and knee -0.69 / -0.39: a
   rotation about the hips' horizontal axis). Split per frame (`bench/pose_error_structure.py`: a lean fitted
   to the landmarks' height above the hips, then each limb's mean, then the rest), the depth error's variance is
   0.48 / 0.27 lean (7-8 degrees RMS), 0.40 / 0.57 limb, 0.11 / 0.16 landmark; image x's 0.16 / 0.12 lean,
   0.62 / 0.67 limb, 0.22 / 0.21 landmark.

   Modelled as: image-plane error of RMS SIGMA_XY_M (drawn per view, scaled by distance / 4 m since a
   pixel error grows in metres with the distance), depth error of RMS SIGMA_Z_M; each the sum of a part
   shared by the whole body (depth: a lean, error proportional to the height above the hips), a part
   shared by each limb and a part of each landmark, in the shares DEPTH_SHARES and PLANE_SHARES; all
   slowly varying (white noise averaged over CORRELATION_S, as errors that survive the 10 Hz filter
   are), plus frame jitter JITTER_M. On a pose held still (test_learning_video_like.py) the shares give
   knee-ankle +0.72 and elbow-wrist +0.71, as measured, but left-right knee +0.19 and shoulder-knee -0.21
   against +0.70 / +0.79 and -0.69 / -0.39: the legs' shared part is not all modelled.
   Until 2026-12-07 every landmark's error was drawn apart: a knee's and its ankle's depths then moved
   apart by sigma x sqrt(2), 0.14-0.28 m RMS, bending the shank as BlazePose does not (open_set_experiments.md
   has what the change did to recognition). Then depth jumps (DEPTH_JUMPS_PER_S events, each moving one
   limb's depth by up to DEPTH_JUMP_M over 3-10 frames, then back: the 0.3 m jumps of the pose issue); occlusions (a limb
   lost, NaN and visibility 0, for a run of frames, in up to OCCLUSION_MAX of the frames: cam03's 23 %);
   left/right label swaps of the legs or arms for a run of frames (p = SWAP_PROBABILITY per view: not
   seen on these clips, but BlazePose's known failure in side views, so trained for);
4. a frame rate drawn log-uniformly in 10-60 fps (the footage the issue names: 6-60 fps), with
   capture-time jitter of 2 % of a frame, and the cut's boundaries moved by up to CUT_JITTER_S (the
   repetition segmentation on video is not exact).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from services.scoring.biomechanics import landmarks as L

from .augment import change_speed, mirror
from .dataset import MIN_FRAMES, Sample
from .features import interp_frames


@dataclass(frozen=True)
class VideoModel:
    mirror_probability: float = 0.5
    speed: tuple[float, float] = (0.8, 1.25)
    pitch_deg: float = 30.0
    roll_deg: float = 10.0
    distance_m: tuple[float, float] = (2.0, 8.0)
    reference_distance_m: float = 4.0                 # distance of the pose2sim cameras (about 4 m)
    sigma_xy_m: tuple[float, float] = (0.03, 0.07)    # image-plane RMS at the reference distance
    sigma_z_m: tuple[float, float] = (0.10, 0.20)     # depth RMS (legs 0.107-0.161, arms 0.160-0.208)
    correlation_s: float = 0.15                       # errors left by the 10 Hz low-pass vary over ~0.1-0.2 s
    # Variance shares of (the body's lean, each limb, each landmark), measured on cam01 / cam02 (docstring)
    depth_shares: tuple[float, float, float] = (0.35, 0.45, 0.20)
    plane_shares: tuple[float, float, float] = (0.0, 0.6, 0.4)
    jitter_m: float = 0.01
    depth_jumps_per_s: float = 1.0
    depth_jump_m: float = 0.3
    occlusion_max: float = 0.25
    swap_probability: float = 0.15
    fps: tuple[float, float] = (10.0, 60.0)
    cut_jitter_s: float = 0.15


VIDEO = VideoModel()
LIMBS = ((L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
         (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB),
         (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_TOE),
         (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_TOE))
SWAPS = ((LIMBS[0], LIMBS[1]), (LIMBS[2], LIMBS[3]))
# The groups whose errors move together: head and shoulders, each arm, the hips, each leg.
GROUPS = (tuple(range(0, 11)) + (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), LIMBS[0][1:], LIMBS[1][1:],
          (L.LEFT_HIP, L.RIGHT_HIP), LIMBS[2], LIMBS[3])
GROUP_OF = np.zeros(L.N_LANDMARKS, dtype=int)
for _g, _members in enumerate(GROUPS):
    GROUP_OF[list(_members)] = _g


def camera_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """[3,3] world (MediaPipe axes: y down) -> camera axes: yaw about y, then pitch about x, then roll about z."""
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    rz = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return rz @ rx @ ry


def _smooth_noise(rng: np.random.Generator, t: np.ndarray, shape: tuple[int, ...], rms: float,
                  correlation_s: float) -> np.ndarray:
    """[T,*shape] noise of the given RMS varying over ~correlation_s: white noise on a 100 Hz grid,
    moving-averaged over correlation_s, rescaled to the RMS, sampled at t."""
    grid = np.arange(t[0], t[-1] + 0.02, 0.01)
    width = max(int(round(correlation_s / 0.01)), 1)
    white = rng.normal(size=(grid.size + width - 1, *shape))
    csum = np.cumsum(np.concatenate([np.zeros((1, *shape)), white]), axis=0)
    smooth = (csum[width:] - csum[:-width]) / width          # moving average, [grid.size, *shape]
    smooth *= rms / max(float(np.sqrt(np.mean(smooth ** 2))), 1e-9)
    return interp_frames(grid, smooth, t)


def _runs(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """[n] bool: about `share` of the frames, in runs of 3-15 frames."""
    mask = np.zeros(n, dtype=bool)
    while mask.mean() < share and n > 0:
        start, length = int(rng.integers(0, n)), int(rng.integers(3, 16))
        mask[start:start + length] = True
    return mask


def resample(t: np.ndarray, world: np.ndarray, vis: np.ndarray, fps: float,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The motion as a camera at `fps` records it (frame times jittered by 2 % of a frame)."""
    dt = 1.0 / fps
    tq = np.arange(t[0], t[-1] + 1e-9, dt)
    tq = np.clip(tq + rng.uniform(-0.02, 0.02, tq.size) * dt, t[0], t[-1])
    tq = np.maximum.accumulate(tq)
    tq = tq[np.r_[True, np.diff(tq) > 1e-6]]
    return tq, interp_frames(t, world, tq), np.nan_to_num(interp_frames(t, vis, tq))


def video_view(sample: Sample, rng: np.random.Generator, model: VideoModel = VIDEO) -> Sample:
    """One random video-like view of a repetition (steps 1-4 of the module docstring)."""
    t = np.asarray(sample.t, dtype=float)
    world = np.asarray(sample.world, dtype=float)
    vis = np.asarray(sample.visibility, dtype=float)
    # 4 (first part): the cut's boundaries, as video segmentation would place them
    if t[-1] - t[0] > 4 * model.cut_jitter_s:
        a = t[0] + rng.uniform(0.0, model.cut_jitter_s)
        b = t[-1] - rng.uniform(0.0, model.cut_jitter_s)
        keep = (t >= a) & (t <= b)
        if keep.sum() >= MIN_FRAMES:
            t, world, vis = t[keep] - t[keep][0], world[keep], vis[keep]
    if rng.random() < model.mirror_probability:
        world, vis = mirror(world, vis)
    speed = float(np.exp(rng.uniform(*np.log(model.speed))))
    if speed != 1.0:
        t, world, vis = change_speed(t, world, vis, speed)
    hips = 0.5 * (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP])
    world = world - hips[:, None, :]
    rotation = camera_rotation(rng.uniform(-np.pi, np.pi), np.deg2rad(rng.uniform(-model.pitch_deg, model.pitch_deg)),
                               np.deg2rad(rng.uniform(-model.roll_deg, model.roll_deg)))
    world = world @ rotation.T
    fps = float(np.exp(rng.uniform(*np.log(model.fps))))
    if (t[-1] - t[0]) * fps >= MIN_FRAMES:
        t, world, vis = resample(t, world, vis, fps, rng)
    world = world + _errors(rng, t, world, model)
    world, vis = _swaps_and_occlusions(rng, world, vis.copy(), model)
    return replace(sample, t=t - t[0], world=world, visibility=vis)


def _correlated(rng: np.random.Generator, t: np.ndarray, n_axes: int, rms: float, shares: tuple[float, float, float],
                height: np.ndarray, correlation_s: float) -> np.ndarray:
    """[T,33,n_axes] error of the given RMS: a lean of the whole body (proportional to the height above the
    hips, [T,33] m), a part shared by each landmark group (GROUPS) and a part of each landmark, their
    variances in `shares`."""
    lean, group, own = shares
    # RMS height above the hips (m): the lean's angle is drawn so that its error has the share's RMS.
    scale = max(float(np.sqrt(np.nanmean(height ** 2))), 0.1)
    err = np.sqrt(own) * _smooth_noise(rng, t, (height.shape[1], n_axes), rms, correlation_s)
    err += np.sqrt(group) * _smooth_noise(rng, t, (len(GROUPS), n_axes), rms, correlation_s)[:, GROUP_OF]
    if lean > 0:
        angle = _smooth_noise(rng, t, (n_axes,), np.sqrt(lean) * rms / scale, correlation_s)   # rad
        err += angle[:, None, :] * np.nan_to_num(height)[..., None]
    return err


def _errors(rng: np.random.Generator, t: np.ndarray, world: np.ndarray, model: VideoModel) -> np.ndarray:
    """[T,33,3] BlazePose-like position errors in the camera's axes of world [T,33,3] (hip-centred, y down)."""
    distance = rng.uniform(*model.distance_m)
    sigma_xy = rng.uniform(*model.sigma_xy_m) * distance / model.reference_distance_m
    sigma_z = rng.uniform(*model.sigma_z_m)
    height = -world[..., 1]
    err = np.empty(world.shape)
    err[..., :2] = _correlated(rng, t, 2, sigma_xy, model.plane_shares, height, model.correlation_s)
    err[..., 2] = _correlated(rng, t, 1, sigma_z, model.depth_shares, height, model.correlation_s)[..., 0]
    err += rng.normal(0.0, model.jitter_m, err.shape) * np.array([1.0, 1.0, 2.0])
    for _ in range(rng.poisson(model.depth_jumps_per_s * (t[-1] - t[0]))):
        limb = list(LIMBS[int(rng.integers(len(LIMBS)))])
        centre, ramp = rng.uniform(t[0], t[-1]), rng.uniform(3, 10) / max(len(t) / max(t[-1] - t[0], 1e-6), 1.0)
        bump = np.clip(1.0 - np.abs(t - centre) / max(ramp, 1e-6), 0.0, 1.0)   # up, then back down
        err[:, limb, 2] += (rng.uniform(-1.0, 1.0) * model.depth_jump_m * bump)[:, None]
    return err


def _swaps_and_occlusions(rng: np.random.Generator, world: np.ndarray, vis: np.ndarray,
                          model: VideoModel) -> tuple[np.ndarray, np.ndarray]:
    n = world.shape[0]
    if rng.random() < model.swap_probability:
        left, right = SWAPS[int(rng.integers(len(SWAPS)))]
        frames = _runs(rng, n, rng.uniform(0.05, 0.2))
        idx = np.ix_(frames, list(left) + list(right))
        world[idx] = world[np.ix_(frames, list(right) + list(left))]
    share = rng.uniform(0.0, model.occlusion_max)
    if share > 0.02:
        limb = list(LIMBS[int(rng.integers(len(LIMBS)))])
        lost = np.ix_(_runs(rng, n, share), limb)
        world[lost] = np.nan
        vis[lost] = 0.0
    vis[np.isfinite(world).all(axis=2)] *= rng.uniform(0.7, 1.0)   # BlazePose's visibility is rarely 1
    return world, vis
