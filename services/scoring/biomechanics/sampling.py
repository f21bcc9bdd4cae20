"""Landmark trajectories onto a uniform grid: drop unreliable samples, fill short gaps, resample, and
low-pass what the pose service did not filter yet (with the kit's filter table, services.kit.landmark_filters).

Method (Winter 2009, "Biomechanics and Motor Control of Human Movement", 4th ed., ch. 3):
- samples of a landmark with visibility below VISIBILITY_MIN (MediaPipe's own default confidence,
  0.5) or in frames without a detected person are treated as missing, so a mis-tracked point can
  never produce a speed spike;
- gaps up to MAX_GAP_S are filled by the same cubic spline that resamples (below), longer gaps stay
  missing (interpolating across them would invent motion);
- video timestamps can be non-uniform, a digital filter needs uniform sampling: every landmark is
  resampled onto a uniform grid by a cubic spline (C2, not-a-knot) through its samples. Not PCHIP: PCHIP
  sets each sample's slope from its neighbours' secants and flattens it at any extremum of a coordinate, and
  the cubic between two samples then steepens to make up (up to 1.5 x the secant), so a peak speed read
  from it depends on where the frames fell. Measured on a movement of Gaussian speed profile (sigma 40 ms,
  a strike) sampled at 30 fps at ten phases: peak speed 0.994 [0.987-1.001] of the truth by cubic spline,
  1.024 [0.984-1.046] by PCHIP; at 15 fps 0.92 [0.84-0.99] against 1.02 [0.86-1.12]; at 60 fps both within
  1 %. Sports2D's running foot at 15 fps read 8.51 m/s by PCHIP, 8.08 by spline (7.21 at 30 fps). The
  grid is at least ANALYSIS_RATE_HZ (120 Hz, or the video's
  median frame rate if higher): a central difference over +-1 sample of a 30 fps video has a gain
  of only sin(2 pi f dt)/(2 pi f dt) = 0.83 at 5 Hz and would cut a punch's peak speed by ~10 %,
  whereas on the 120 Hz grid of the interpolating spline the gain is 0.99;
- a 2nd-order Butterworth low-pass run forwards and backwards (scipy.signal.filtfilt: zero phase,
  4th order overall). Winter's correction for the double pass (C = (2**(1/2) - 1) ** (1/4) = 0.802)
  is applied to the design frequency so that the -3 dB point of the whole filter is the stated
  cut-off. Winter used 6 Hz for walking; striking movements are faster (a punch lasts ~0.15-0.3 s),
  so CUTOFF_HZ = 10 Hz, capped at 0.35 x the video's frame rate (nothing above its Nyquist
  frequency was measured).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline

from services.kit.landmark_filters import FILTERS, winter_correction

from .landmarks import N_LANDMARKS
from .motion import Motion

ANALYSIS_RATE_HZ = 120.0
INTERPOLATION = "cubic spline"
VISIBILITY_MIN = 0.5
MAX_GAP_S = 0.15
CUTOFF_HZ = 10.0
FILTER_ORDER = 2


@dataclass(frozen=True)
class Smoothed:
    """Filtered landmark trajectories on a uniform grid. pos is NaN where a landmark is unusable."""

    t: np.ndarray          # [N] s, uniform
    dt: float              # s
    video_fs: float        # Hz, median frame rate of the input
    pos: np.ndarray        # [N,33,3] m
    settings: dict = field(default_factory=dict)

    @property
    def fs(self) -> float:
        return 1.0 / self.dt


def sample_mask(motion: Motion, visibility_min: float = VISIBILITY_MIN) -> np.ndarray:
    """[T,33] True where a landmark sample is trustworthy."""
    return (motion.detected[:, None] & (motion.visibility >= visibility_min)
            & np.all(np.isfinite(motion.world), axis=-1))


def _resample(ts: np.ndarray, xs: np.ndarray, grid: np.ndarray, max_gap: float) -> np.ndarray:
    """A cubic spline through the valid samples (ts, xs [n,...]) evaluated on grid; NaN inside long gaps.
    Each run of samples between two long gaps gets its own spline: one across a gap would couple the
    motion before it with the motion after (a C2 spline's pieces are solved together)."""
    out = np.full((grid.size, *xs.shape[1:]), np.nan)
    if ts.size == 0:
        return out
    cuts = np.flatnonzero(np.diff(ts) > max_gap + 1e-9) + 1
    for run_t, run_x in zip(np.split(ts, cuts), np.split(xs, cuts)):
        if run_t.size == 1:  # a lone sample is kept where the grid meets it
            out[np.isclose(grid, run_t[0])] = run_x[0]
            continue
        inside = (grid >= run_t[0] - 1e-9) & (grid <= run_t[-1] + 1e-9)
        if np.any(inside):
            out[inside] = CubicSpline(run_t, run_x, axis=0)(np.clip(grid[inside], run_t[0], run_t[-1]))
    return out


def smooth(motion: Motion, positions: np.ndarray | None = None, *, cutoff_hz: float = CUTOFF_HZ,
           visibility_min: float = VISIBILITY_MIN, max_gap_s: float = MAX_GAP_S) -> Smoothed:
    """Gap-fill, resample and (unless the pose service already filtered them) low-pass every landmark of
    the detected span of the clip. positions [T,33,3] m: what to measure (default: motion.world)."""
    pos_in = motion.world if positions is None else positions
    det = np.flatnonzero(motion.detected)
    t0, t1 = motion.t[det[0]], motion.t[det[-1]]
    span = motion.t[det[0]:det[-1] + 1]
    video_dt = float(np.median(np.diff(span))) if span.size > 1 else 1.0 / 30.0
    video_fs = 1.0 / video_dt
    fs = max(video_fs, ANALYSIS_RATE_HZ)
    dt = 1.0 / fs
    n = int(np.floor((t1 - t0) / dt + 1e-6)) + 1
    grid = t0 + dt * np.arange(n)
    # A gap of one ordinary frame interval is not a gap, whatever the frame rate.
    max_gap = max(max_gap_s, 1.5 * video_dt)
    fc = min(cutoff_hz, 0.35 * video_fs)
    good = sample_mask(motion, visibility_min) & np.all(np.isfinite(pos_in), axis=-1)
    pos = np.full((n, N_LANDMARKS, 3), np.nan)
    # Landmarks seen in the same frames share their sample times: interpolated together in one call
    # (the spline works along axis 0, each column on its own), a few calls per clip instead of 33.
    together: dict[bytes, list[int]] = {}
    for j in range(N_LANDMARKS):
        together.setdefault(good[:, j].tobytes(), []).append(j)
    for columns in together.values():
        seen = good[:, columns[0]]
        pos[:, columns] = _resample(motion.t[seen], pos_in[seen][:, columns], grid, max_gap)
    # The pose service's filter already removed the jitter (typed in its SignalProcessing): filtering
    # again would lower the effective cut-off (two 10 Hz passes are -6 dB at 10 Hz), so only resample.
    prefiltered = motion.filtered != "none"
    if not prefiltered:
        pos = FILTERS["butterworth"](grid * 1000.0, pos, cutoff_hz=fc, order=FILTER_ORDER)
    settings = {
        "filter": (f"{motion.smoothing or motion.filtered} (pose service)" if prefiltered else
                   f"Butterworth low-pass, order {FILTER_ORDER}, zero-phase (filtfilt), Winter 2009"),
        "filter_name": motion.filtered if prefiltered else "butterworth",
        "cutoff_hz": float(motion.cutoff_hz if prefiltered else fc),
        "design_cutoff_hz": float((motion.cutoff_hz if prefiltered else fc) / winter_correction(FILTER_ORDER)),
        "visibility_min": float(visibility_min), "max_gap_s": float(max_gap),
        "video_rate_hz": float(video_fs), "resampled_to_hz": float(fs), "interpolation": INTERPOLATION,
    }
    return Smoothed(t=grid, dt=dt, video_fs=video_fs, pos=pos, settings=settings)
