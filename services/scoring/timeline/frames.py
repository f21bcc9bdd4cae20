"""The frames a timeline shows, their landmarks, and how values of the analysis grid land on them.

The analysis measures on a uniform grid (biomechanics/sampling.py: at least 120 Hz, so a 30 fps video has
4 grid samples per frame) between the first and the last frame with a person; a timeline is per analysed
video frame, as a player shows it. Times are seconds here (ms only in the JSON); landmarks are fractions
of the image as the pose service gave them (x right, y down, rotation metadata already applied).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from services.scoring.biomechanics.landmarks import MIRROR_INDEX
from services.scoring.biomechanics.motion import Motion

# A page replays a few thousand frames smoothly; a longer video (up to the pose service's 18,000 frames) is
# shown at every step-th frame, and says so (Frames.step), rather than being cut short.
MAX_FRAMES = 3000
POINT_DECIMALS = 4          # 1e-4 of the image: a tenth of a pixel on a 1080p frame


@dataclass(frozen=True)
class Frames:
    index: np.ndarray   # [n] indices into the motion's frames
    t: np.ndarray       # [n] s, strictly increasing
    step: int           # every step-th analysed frame
    total: int          # frames analysed


def choose_frames(motion: Motion, max_frames: int = MAX_FRAMES) -> Frames:
    total = motion.n_frames
    step = max(1, math.ceil(total / max_frames))
    index = np.arange(0, total, step)
    return Frames(index=index, t=motion.t[index], step=step, total=total)


def nearest(sorted_t: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the nearest element of sorted_t for each value of t."""
    if sorted_t.size == 1:
        return np.zeros(np.shape(t), dtype=int)
    right = np.clip(np.searchsorted(sorted_t, t), 1, sorted_t.size - 1)
    left = right - 1
    return np.where(np.abs(sorted_t[right] - t) < np.abs(t - sorted_t[left]), right, left)


def frame_max(grid_t: np.ndarray, values: np.ndarray, frame_t: np.ndarray) -> np.ndarray:
    """[n] the largest finite grid value within each frame's interval (half-way to its neighbours), NaN where
    there is none. A peak falls between two video frames as often as not: the value at the frame's instant
    would show a lower peak than the one the analysis reports, while the interval's maximum holds it."""
    out = np.full(frame_t.size, np.nan)
    edges = 0.5 * (frame_t[1:] + frame_t[:-1])
    owner = np.searchsorted(edges, grid_t, side="right")
    finite = np.isfinite(values)
    np.fmax.at(out, owner[finite], values[finite])
    return out


def grid_at(grid_t: np.ndarray, frame_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grid index nearest each frame, whether the frame lies on the grid's span at all)."""
    dt = float(grid_t[1] - grid_t[0]) if grid_t.size > 1 else 1.0
    k = np.rint((frame_t - grid_t[0]) / dt).astype(int)
    inside = (k >= 0) & (k < grid_t.size)
    return np.clip(k, 0, grid_t.size - 1), inside


def image_points(motion: Motion, index: np.ndarray, size: tuple[int, int],
                 mirrored: np.ndarray | None = None) -> list[list[float]]:
    """Per frame in index: [x0, y0, v0, ...] of the 33 landmarks, x and y fractions (0-1) of the image, v the
    visibility; [] where no person was found, and for every frame of poses without image landmarks
    (motion capture). A landmark BlazePose places beyond the image (a hidden foot) is put on its edge.
    mirrored [n] (optional): frames shown as the other side, left and right swapped and x -> 1 - x, as
    the comparison mirrors a reference to the student's side (comparison/mirror.py)."""
    width, height = size
    if motion.image is None or width <= 0 or height <= 0:
        return [[] for _ in index]
    xy = motion.image[index] / np.array([width, height], dtype=float)
    vis = motion.visibility[index]
    if mirrored is not None and np.any(mirrored):
        flip = np.asarray(mirrored, dtype=bool)
        xy[flip] = xy[flip][:, MIRROR_INDEX] * [-1.0, 1.0] + [1.0, 0.0]
        vis = vis.copy()
        vis[flip] = vis[flip][:, MIRROR_INDEX]
    points = np.concatenate([np.clip(xy, 0.0, 1.0), vis[..., None]], axis=-1)
    points = np.round(points, POINT_DECIMALS).reshape(len(index), -1)
    shown = motion.detected[index] & np.isfinite(points).all(axis=1)
    return [row.tolist() if ok else [] for row, ok in zip(points, shown)]


def json_values(values: np.ndarray, decimals: int) -> list[float | None]:
    """Rounded values, None for NaN/inf (JSON has no NaN)."""
    return [v if math.isfinite(v) else None for v in np.round(np.asarray(values, dtype=float), decimals).tolist()]
