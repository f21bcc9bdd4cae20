"""The low-pass filters of landmark trajectories, by name: one table for the pose service and scoring.

FILTERS maps a method name ("butterworth", "one_euro", "none") to a function
f(t_ms [N], x [N,L,C], settings) -> x filtered, NaN-aware (each finite run of a column on its own).
The pose service runs one of them once per sequence (landmark_signal.clean_sequence) and records its
name and cut-off in the sequence's typed SignalProcessing fields; scoring runs the same table only on
what was not filtered yet (positions of motion capture or of a sequence sent unfiltered).
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.signal import butter, filtfilt

from services.kit.landmark_outliers import runs
from services.kit.one_euro import OneEuroFilter

# A standing adult (~1.7 m) fills about half to two thirds of the frame height: ~0.35 normalised
# image units per metre. Only used to scale beta for image columns when the data cannot tell.
IMAGE_UNITS_PER_M = 0.35


def winter_correction(order: int, passes: int = 2) -> float:
    """Winter 2009 (sec. 3.4.4.3): design cut-off = wanted / C so that `passes` passes of a Butterworth
    of `order` are -3 dB at the wanted cut-off. C = (2^(1/passes) - 1)^(1/(2 order)); 0.802 for 2, 2."""
    return (2.0 ** (1.0 / passes) - 1.0) ** (1.0 / (2 * order))




def image_units_per_m(coords: np.ndarray, usable: np.ndarray) -> float:
    """Normalised image units per metre: median over frames of the spread of x, y over that of wx, wy."""
    img = np.where(usable[..., None], coords[..., 0:2], np.nan)
    wld = np.where(usable[..., None], coords[..., 3:5], np.nan)
    good = usable.sum(axis=1) >= 4
    if not np.any(good):
        return IMAGE_UNITS_PER_M
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ratio = np.nanmedian(np.sqrt(np.nansum(np.nanvar(img[good], axis=1), axis=-1)
                                     / np.nansum(np.nanvar(wld[good], axis=1), axis=-1)))
    return float(ratio) if np.isfinite(ratio) and ratio > 0 else IMAGE_UNITS_PER_M


def one_euro_streaming(min_cutoff_hz: float, beta: float, d_cutoff_hz: float, reset_after_ms: float,
                       image_units_per_m: float = IMAGE_UNITS_PER_M) -> OneEuroFilter:
    """A One Euro filter (Casiez et al. 2012) for live (33, 6) coordinate frames: beta of the image columns
    rescaled so that the same body motion gets the same cut-off in both (image speed = world speed x
    image_units_per_m)."""
    betas = np.array([beta / image_units_per_m] * 3 + [beta] * 3)
    return OneEuroFilter(min_cutoff_hz, betas, d_cutoff_hz, reset_after_ms=reset_after_ms)


def butterworth(t_ms: np.ndarray, x: np.ndarray, *, cutoff_hz: float, order: int = 2, **_: object) -> np.ndarray:
    """Zero-phase low-pass (Butterworth of `order`, run forwards and backwards: Winter 2009 ch. 3, with his
    double-pass correction) of every contiguous finite run of each column of x [N,L,C].

    A digital filter needs uniform sampling: a run whose frame intervals vary by more than 1 % is
    resampled (PCHIP) onto a uniform grid at its 10th-percentile interval, filtered, and interpolated
    back to its own timestamps (at 3.8 m/s a 4 ms timestamp jitter would otherwise act as 15 mm of
    position noise). The cut-off is capped at 0.35 x the run's median frame rate (below Nyquist).
    Runs too short for filtfilt's padding (3 x the filter length) are left as they are: a stretch that
    short holds no frequency content to separate from the jitter."""
    out = np.array(x, dtype=np.float64, copy=True)
    c = winter_correction(order)
    finite = np.all(np.isfinite(out.reshape(len(out), out.shape[1], -1)), axis=2)  # [N, L]
    # Columns with the same finite run share its timestamps: filtered together in one call (filtfilt and
    # PCHIP work along axis 0, each column on its own), so a clip costs a few calls, not one per landmark.
    groups: dict[tuple[int, int], list[int]] = {}
    for j in range(out.shape[1]):
        for start, stop in runs(finite[:, j]):
            if stop - start >= 2:
                groups.setdefault((start, stop), []).append(j)
    for (start, stop), columns in groups.items():
        t, xs = t_ms[start:stop] / 1000.0, out[start:stop, columns]
        steps = np.diff(t)
        dt = float(np.median(steps))
        uniform = np.all(np.abs(steps - dt) <= 0.01 * dt)
        if not uniform:
            dt = max(float(np.percentile(steps, 10)), 0.5 * dt)  # a few odd steps do not blow up the grid
            grid = np.linspace(t[0], t[-1], int(round((t[-1] - t[0]) / dt)) + 1)
            xs = PchipInterpolator(t, xs, axis=0)(grid)
        fc = min(cutoff_hz, 0.35 / float(np.median(steps)))
        b, a = _design(order, (fc / c) * 2.0 * dt)  # normalised to Nyquist 1 / (2 dt)
        if len(xs) <= 3 * max(len(a), len(b)):  # filtfilt's default padlen
            continue
        ys = filtfilt(b, a, xs, axis=0)
        out[start:stop, columns] = ys if uniform else PchipInterpolator(grid, ys, axis=0)(t)
    return out


@functools.lru_cache(maxsize=512)
def _design(order: int, wn: float) -> tuple[np.ndarray, np.ndarray]:
    """A Butterworth low-pass design, kept: a stream re-filtered every 0.1 s asks for the same few designs
    thousands of times, and designing costs more than filtering a window."""
    return butter(order, wn)


def one_euro(t_ms: np.ndarray, x: np.ndarray, *, min_cutoff_hz: float, beta: float, d_cutoff_hz: float,
             reset_after_ms: float, image_units_per_m: float = IMAGE_UNITS_PER_M, **_: object) -> np.ndarray:
    """Causal One Euro filter over a whole [N,33,6] sequence, frame by frame (as live analysis runs it)."""
    f = one_euro_streaming(min_cutoff_hz, beta, d_cutoff_hz, reset_after_ms, image_units_per_m)
    return np.stack([f(ti, c) for ti, c in zip(t_ms, x)])


def no_filter(t_ms: np.ndarray, x: np.ndarray, **_: object) -> np.ndarray:
    return np.array(x, dtype=np.float64, copy=True)


FILTERS: dict[str, Callable[..., np.ndarray]] = {"butterworth": butterworth, "one_euro": one_euro, "none": no_filter}


def describe(method: str, *, cutoff_hz: float = 0.0, min_cutoff_hz: float = 0.0, beta: float = 0.0, **_: object) -> str:
    """Human-readable form of a filter choice, as reports print it (e.g. "butterworth 10 Hz")."""
    if method == "butterworth":
        return f"butterworth {cutoff_hz:.3g} Hz"
    if method == "one_euro":
        return f"one_euro {min_cutoff_hz:g} Hz, beta {beta:g}"
    return "none"


# Residual analysis (Winter 2009, sec. 3.4.4.4): the RMS residual R(fc) between a signal and its
# low-passed version falls with fc while signal is being removed, then along a straight line where only
# noise is; the line's intercept a estimates the noise RMS, and fc where R(fc) = a is the cut-off that
# removes about as much signal as it keeps noise. It is chosen from the data in cycles per frame, so a
# clip played at half speed gets half the cut-off (a fixed 10 Hz passed twice the jitter per frame
# there: pose2sim cam01 at half speed read 3.8 m/s instead of 1.8). On 27 real karate side kicks
# (Kinovea ankle tracks, ../shared/data/kinematics, 33-50 Hz) Winter's cut-off itself (3-6 Hz) lowered
# peak speeds by 7 % on average against 10 Hz (19 % at worst), RESIDUAL_FACTOR 1.5 times it by 2 %
# (and pose2sim's peaks by -1 to +5 % against 10 Hz's +9 to +24 %): hence the factor.
RESIDUAL_FACTOR = 1.5
RESIDUAL_MIN_SAMPLES = 30
RESIDUAL_GRID = 40


def residual_cutoff(t_ms: np.ndarray, x: np.ndarray, *, floor_hz: float = 1.0, order: int = 2) -> float | None:
    """Cut-off (Hz) by residual analysis x RESIDUAL_FACTOR, the median over the columns of x [N,L,C]
    (each on its longest finite run of at least RESIDUAL_MIN_SAMPLES samples); None when no column
    has such a run. Bounded to [floor_hz, 0.35 x frame rate]."""
    frame_s = float(np.median(np.diff(t_ms))) / 1000.0
    fs = 1.0 / frame_s
    c = winter_correction(order)
    top = 0.45 * fs * c  # design frequency must stay below Nyquist
    grid = np.linspace(0.02 * fs, top, RESIDUAL_GRID)
    filters = [butter(order, (f / c) * 2.0 * frame_s) for f in grid]
    chosen = []
    for j in range(x.shape[1]):
        finite = np.all(np.isfinite(x[:, j].reshape(len(x), -1)), axis=1)
        spans = [r for r in runs(finite) if r[1] - r[0] >= RESIDUAL_MIN_SAMPLES]
        if not spans:
            continue
        start, stop = max(spans, key=lambda r: r[1] - r[0])
        xs = x[start:stop, j].reshape(stop - start, -1)
        resid = np.array([np.sqrt(np.mean((xs - filtfilt(b, a, xs, axis=0)) ** 2)) for b, a in filters])
        tail = grid >= 0.6 * top
        intercept = np.polyfit(grid[tail], resid[tail], 1)[1]
        below = np.flatnonzero(resid <= intercept)
        chosen.append(grid[below[0]] if below.size else grid[-1])
    if not chosen:
        return None
    return float(min(max(RESIDUAL_FACTOR * float(np.median(chosen)), floor_hz), 0.35 * fs))
