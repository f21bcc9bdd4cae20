"""Metres per pixel of the performer, from the body's own least foreshortened segment.

BlazePose gives each landmark twice: in the image (pixels, accurate to a few pixels) and in a
hip-centred 3-D "world" frame (metres) whose depth is a monocular guess that jumps by ~0.3 m over a
few frames (bench/angles_vs_opensim.py: knee/ankle depth RMS error 0.107 m against 0.03-0.05 m across
the image). Segment LENGTHS in the world frame are steady, though: the model fits a body of plausible
proportions. So the image is put in metres with them, as Sports2D converts pixels with the person's
height (Pagnon et al. 2022, JOSS 7(77):4362):

- L_k: length of segment k in the world frame, median over the clip (m);
- l_k(t): its length in the image (px). A segment tilted out of the image plane by theta shows
  l = L cos(theta) / s, with s the metres per pixel at the performer's distance, so each segment
  bounds s from above: s <= L_k / l_k(t), with equality for a segment parallel to the image;
- s(t): the second smallest bound of the frame (the least foreshortened segment, robust to one
  mis-detected segment), then a running median over RUNNING_MEDIAN_S: a person's distance to the
  camera changes slowly, a single bad frame must not;
- foreshortening_k(t) = l_k(t) s(t) / L_k, the cosine of the segment's angle to the image plane
  (1 = in the plane; what quality reports use to say a motion was along the camera's axis).

The scale inherits BlazePose's body-size prior (its shanks are ~12 % shorter than the pose2sim
subject's): the speeds of a much taller or shorter person are off by their size ratio.
"""

from __future__ import annotations

import warnings

import numpy as np

# (name, proximal landmark, distal landmark): long, rigid segments of the limbs and trunk.
SEGMENTS: tuple[tuple[str, int, int], ...] = (
    ("left_upper_arm", 11, 13), ("left_forearm", 13, 15), ("right_upper_arm", 12, 14), ("right_forearm", 14, 16),
    ("left_thigh", 23, 25), ("left_shank", 25, 27), ("right_thigh", 24, 26), ("right_shank", 26, 28),
    ("shoulders", 11, 12), ("hips", 23, 24), ("left_flank", 11, 23), ("right_flank", 12, 24),
)
RUNNING_MEDIAN_S = 0.5
MIN_SEGMENTS = 3  # bounds needed in a frame before its scale is believed


def segment_lengths(world: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """[S] median world length (m) of each segment over the frames where both ends are usable (NaN if none)."""
    out = np.full(len(SEGMENTS), np.nan)
    for k, (_, a, b) in enumerate(SEGMENTS):
        ok = usable[:, a] & usable[:, b]
        if ok.any():
            out[k] = float(np.median(np.linalg.norm(world[ok, a] - world[ok, b], axis=-1)))
    return out


def image_lengths(px: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """[T,S] image length (px) of each segment, NaN where an end is not usable."""
    out = np.full((px.shape[0], len(SEGMENTS)), np.nan)
    for k, (_, a, b) in enumerate(SEGMENTS):
        ok = usable[:, a] & usable[:, b]
        out[ok, k] = np.linalg.norm(px[ok, a] - px[ok, b], axis=-1)
    return out


def _running_median(t_s: np.ndarray, x: np.ndarray, half_window_s: float) -> np.ndarray:
    """The median of the finite x within half_window_s of each sample's time (NaN where there is none).

    All windows at once (a live stream re-measures its window ten times a second): each row holds the
    samples whose times lie within the window, the rest NaN."""
    out = np.full(x.shape, np.nan)
    if x.size == 0:
        return out
    order = np.argsort(t_s, kind="stable")
    ts, xs = t_s[order], x[order]
    lo = np.searchsorted(ts, ts - half_window_s - 1e-9, side="left")
    hi = np.searchsorted(ts, ts + half_window_s + 1e-9, side="right")
    idx = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    near = idx < hi[:, None]
    idx = np.minimum(idx, ts.size - 1)
    near &= np.abs(ts[idx] - ts[:, None]) <= half_window_s  # the same test as one sample at a time
    windows = np.where(near, xs[idx], np.nan)
    has = np.isfinite(windows).any(axis=1)
    if has.any():
        out[order[has]] = np.nanmedian(windows[has], axis=1)
    return out


def metres_per_pixel(t_s: np.ndarray, px: np.ndarray, world: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """[T] metres per pixel at the performer (NaN for a frame with no usable segment within the window).

    t_s [T] s; px [T,33,2] image pixels; world [T,33,3] m; usable [T,33] bool."""
    lengths = segment_lengths(world, usable)
    with np.errstate(invalid="ignore", divide="ignore"):
        bounds = lengths[None, :] / image_lengths(px, usable)
    bounds[~np.isfinite(bounds) | (bounds <= 0)] = np.inf
    bounds.sort(axis=1)
    enough = np.isfinite(bounds[:, MIN_SEGMENTS - 1])
    per_frame = np.where(enough, bounds[:, 1], np.nan)
    scale = _running_median(np.asarray(t_s, float), per_frame, RUNNING_MEDIAN_S / 2.0)
    if np.isfinite(scale).any() and not np.isfinite(scale).all():
        known = np.flatnonzero(np.isfinite(scale))
        scale = np.interp(np.arange(scale.size), known, scale[known])  # held at the ends
    return scale


def foreshortening(px: np.ndarray, world: np.ndarray, usable: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """[T,S] cos of each segment's angle to the image plane (0..1; NaN where not measurable)."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.clip(image_lengths(px, usable) * scale[:, None] / segment_lengths(world, usable)[None, :], 0.0, 1.0)
