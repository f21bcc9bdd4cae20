"""One Motion measured once: which positions, resampled and filtered, differentiated.

Video (a Motion with image landmarks) is measured in the image plane put in metres (planar.py);
motion capture, whose 3-D is exact, in its own laboratory frame. A video's velocities and accelerations
(so speeds, forces, timing) are those of the image plane: depth from one camera (lifted or BlazePose's)
is good enough for posture but not to differentiate. Measured on pose2sim cam01 and its re-framings
(max_speed ratio to the original: mirrored / half playback speed / every other frame): lifted depth in
the velocity 0.905 / 0.641 / 0.850, BlazePose's low-passed depth 0.923 / 0.549 / 0.858, image plane
only 0.910 / 0.498 / 0.858 (wanted 1 / 0.5 / 1). The depth's rate is kept (depth_velocity) for the
quality report: how much of the effector's motion was along the camera's axis, which the speed misses.
Where the pose service's BlazePose trackers disagreed about a landmark by more than SPREAD_LIMIT_M
(services.kit.tracker_spread), its speed is no measurement and is not counted (trackers_disagree).
The physics report, the segmentation, the comparison with the coach and the quality report all start
from the same Measured, computed once per Motion and kept on it (a Motion is immutable, so the cache
cannot go stale).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from services.kit.image_scale import foreshortening

from .kinematics import EDGE_CYCLES, Kinematics, kinematics
from .motion import Motion
from .planar import depth_cutoff_hz, limb_seen, metric_positions
from .sampling import Smoothed, sample_mask, smooth

_ATTR = "_measured"
# Trackers further apart than this about a landmark do not measure it. Real strikes read well under it:
# the CMU karate kicks and punches filmed at 23-60 fps from 4 yaws with BlazePose's frame jitter (0.01 m)
# read at most 0.13 m within 0.1 s of each repetition's peak (95th percentile 0.06-0.10 m), with three
# times that jitter at most 0.21 m, 1 of 156 repetitions over it (bench/tracker_spread_kicks.py). On video,
# at the right toe's fastest moment: pose2sim cam01 0.03 m; sports2d 0.09 m (7.3 m/s at 7.3 s), its phone
# recording 0.25 m (11.7 m/s at 5.0 s, where the original has no peak).
SPREAD_LIMIT_M = 0.2


@dataclass(frozen=True)
class Measured:
    motion: Motion
    smoothed: Smoothed
    kinematics: Kinematics
    source: str                     # "image_plane" (video) or "world" (motion capture, or no image)
    scale_m_per_px: np.ndarray | None  # [T] at the video's frames, None for "world"
    depth_velocity: np.ndarray | None = None  # [N,33] m/s along the camera's axis ("image_plane" only)
    # [N,33] grid samples within the filter's reach of a frame where the trackers disagreed about the
    # landmark beyond SPREAD_LIMIT_M: their velocity, acceleration and speed are NaN in `kinematics`
    trackers_disagree: np.ndarray | None = None

    @cached_property
    def segment_in_plane(self) -> np.ndarray | None:
        """[T,S] cos of each image_scale.SEGMENTS segment's angle to the image plane at the video's frames
        (1 = in the plane, NaN unknown); None for "world" (motion capture is 3-D). The quality report and
        the comparison's viewpoint check both read it."""
        if self.source != "image_plane":
            return None
        motion = self.motion
        usable = limb_seen(sample_mask(motion) & np.isfinite(motion.image).all(axis=-1))
        return foreshortening(motion.image, motion.world, usable, self.scale_m_per_px)

    def disagreement(self, landmark: int) -> tuple[list[tuple[float, float]], float]:
        """The spans (s) where the trackers disagreed about a landmark beyond SPREAD_LIMIT_M, and the largest
        spread there (m; NaN without spans)."""
        if self.trackers_disagree is None:
            return [], float("nan")
        mask = self.trackers_disagree[:, landmark]
        grid = self.kinematics.t
        edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
        spans = [(float(grid[a]), float(grid[b - 1])) for a, b in zip(edges[0::2], edges[1::2])]
        if not spans:
            return [], float("nan")
        spread = self.motion.tracker_spread[:, landmark] * self.scale_m_per_px
        return spans, float(np.nanmax(spread))

    def settings(self) -> dict:
        out = dict(self.smoothed.settings)
        depth = (f"lifted from the image ({self.motion.depth_source})" if self.motion.depth is not None
                 else "BlazePose's world depth")
        out["positions"] = (f"image plane in metres (performer's bone lengths), depth {depth} low-passed at "
                            f"{depth_cutoff_hz(self.motion):.3g} Hz" if self.source == "image_plane"
                            else "3-D world/lab frame")
        if self.scale_m_per_px is not None and np.isfinite(self.scale_m_per_px).any():
            out["mm_per_px_median"] = float(1000.0 * np.nanmedian(self.scale_m_per_px))
        return out


def in_image_plane(kin: Kinematics) -> Kinematics:
    """kin with its velocity and acceleration along the camera's axis (z) removed; positions kept."""
    vel, acc = kin.vel.copy(), kin.acc.copy()
    vel[..., 2] = 0.0
    acc[..., 2] = 0.0
    return replace(kin, vel=vel, acc=acc, speed=np.linalg.norm(vel, axis=-1))


def disagreeing(motion: Motion, sm: Smoothed, scale: np.ndarray) -> np.ndarray | None:
    """[N,33] bool on sm's grid: within the filter's reach (EDGE_CYCLES / cut-off, at least one video frame)
    of a frame where the trackers disagreed about the landmark by more than SPREAD_LIMIT_M; None when the
    motion carries no spread."""
    if motion.tracker_spread is None:
        return None
    with np.errstate(invalid="ignore"):
        bad = motion.tracker_spread * scale[:, None] > SPREAD_LIMIT_M
    out = np.zeros((sm.t.size, bad.shape[1]), dtype=bool)
    reach = max(EDGE_CYCLES / max(float(sm.settings["cutoff_hz"]), 1e-6), 1.0 / sm.video_fs)
    for i, k in zip(*np.nonzero(bad)):
        out[np.abs(sm.t - motion.t[i]) <= reach, k] = True
    return out


def not_counted(kin: Kinematics, mask: np.ndarray) -> Kinematics:
    """kin with velocity, acceleration and speed NaN at the samples `mask` [N,33] (positions kept): every
    consumer (the report, repetitions, the comparison, the timeline) then leaves them out alike."""
    vel, acc = kin.vel.copy(), kin.acc.copy()
    vel[mask], acc[mask] = np.nan, np.nan
    speed = kin.speed.copy()
    speed[mask] = np.nan
    return replace(kin, vel=vel, acc=acc, speed=speed)


def measure(motion: Motion) -> Measured:
    """The Measured of a Motion (computed on first use, then kept on the Motion)."""
    cached = motion.__dict__.get(_ATTR)
    if cached is not None:
        return cached
    scale = None
    if motion.image is not None and np.isfinite(motion.image).any():
        positions, scale = metric_positions(motion)
        if not np.isfinite(scale).any():  # no bone seen whole: nothing to put the image in metres with
            positions, scale = None, None
    else:
        positions = None
    sm = smooth(motion, positions)
    kin, depth_velocity, disagree = kinematics(sm), None, None
    if positions is not None:
        kin, depth_velocity = in_image_plane(kin), kin.vel[..., 2]
        disagree = disagreeing(motion, sm, scale)
        if disagree is not None and disagree.any():
            kin = not_counted(kin, disagree)
    out = Measured(motion=motion, smoothed=sm, kinematics=kin, source="world" if positions is None else "image_plane",
                   scale_m_per_px=scale, depth_velocity=depth_velocity, trackers_disagree=disagree)
    object.__setattr__(motion, _ATTR, out)
    return out
