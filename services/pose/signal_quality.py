"""Landmark signal quality: gap filling, outlier rejection and smoothing of BlazePose trajectories.

Input: per frame a (33, 8) array (x, y, z normalised image coordinates; wx, wy, wz world coordinates
in metres, hip-centred; visibility; presence), NaN rows where no person was detected. Steps, per
landmark (the scoring-side counterpart is services/scoring/biomechanics/filtering.py):
1. unusable samples: coordinates not finite or visibility < visibility_min (MediaPipe's default
   confidence 0.5). They take no part in outlier detection and are replaced by filling or NaN.
2. outliers, from the world coordinates (a rejected sample loses its image coordinates too):
   - physical limit: a sample whose 3-D speed to both its previous and its next usable sample
     exceeds max_speed_m_s is rejected (a glitch makes both speeds absurd; a real movement never);
   - Hampel identifier (Pearson 2002, IEEE Trans. Control Syst. Technol. 10(1); Pearson et al. 2016,
     "Generalized Hampel filters", EURASIP J. Adv. Signal Process.) per world axis, applied not to the
     raw value but to a per-sample acceleration estimate a (m/s^2): a rolling median/MAD of the raw
     value cannot tell a spike from motion (on a 3.8 m/s slope at 30 fps the MAD of +-3 samples is
     0.25 m, so a 0.3 m spike passes, and a sharp real apex is cut). a comes from the error of a
     straight line through the neighbours either side, or through the two before or two after where
     that fits much better (see _prediction_residual): a glitch of 1-2 samples misses all three
     lines, its clean neighbours fit one of them. A sample is rejected if, over the +-hampel_window
     frames around it, |a - median(a)| > max(hampel_sigmas * 1.4826 * MAD(a), hampel_min_accel_m_s2)
     (1.4826 * MAD estimates a Gaussian sigma; the floor keeps real strikes, see SignalConfig).
3. gaps (unusable or rejected samples) whose usable neighbours are at most max_gap_ms apart are
   filled by shape-preserving cubic (PCHIP) interpolation on the real timestamps; longer gaps and
   anything before the first / after the last usable sample stay NaN (no extrapolation). PCHIP never
   overshoots the samples around a gap: it invents no motion, but an apex hidden in a gap is cut to
   their level (up to ~0.1 m for a 0.3 m, 2 Hz motion in a 133 ms gap).
4. smoothing of the 6 coordinates: "butterworth" (2nd order, zero phase, Winter 2009 ch. 3),
   "one_euro" (causal, Casiez et al. 2012) or "none".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.interpolate import PchipInterpolator
from scipy.signal import butter, filtfilt

from services.pose.one_euro import OneEuroFilter

SMOOTHING_METHODS = ("butterworth", "one_euro", "none")
N_LANDMARKS = 33
N_COORDS = 6  # x, y, z, wx, wy, wz
WORLD = slice(3, 6)
VIS = 6
OUTLIER_PASSES = 3
MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(3/4): MAD of Gaussian noise x this = its standard deviation
# A standing adult (~1.7 m) fills about half to two thirds of the frame height: ~0.35 normalised
# image units per metre. Only used to scale beta for image columns when the data cannot tell.
IMAGE_UNITS_PER_M = 0.35


@dataclass(frozen=True)
class SignalConfig:
    """How landmark trajectories are cleaned. Distances in metres, times in ms, frequencies in Hz."""

    smoothing: str = "butterworth"  # one of SMOOTHING_METHODS
    # Butterworth: Winter (2009) used 6 Hz for gait; strikes are faster (a punch lasts ~0.15-0.3 s),
    # so 10 Hz as in the scoring module, capped at 0.35 x frame rate (below Nyquist).
    cutoff_hz: float = 10.0
    order: int = 2  # per pass; filtfilt runs it twice (4th order overall, zero phase)
    # One Euro, tuned by simulation on world coordinates with 5 mm Gaussian jitter at 30 and 60 fps
    # (BlazePose world jitter at rest is a few mm): min_cutoff 1 Hz leaves ~0.35 of the jitter at
    # rest; beta 4 /m raises the cut-off to ~40 Hz at 10 m/s, so a 0.8 m kick in 0.15 s (peak 10 m/s)
    # lags ~8 ms (a quarter frame at 30 fps) with a worst position error of ~8 cm (beta 1: 20 ms,
    # 19 cm); d_cutoff 2 Hz instead of the paper's 1 Hz lets the speed estimate rise within a strike
    # (lag 11 ms with 1 Hz) for +5 % jitter.
    min_cutoff_hz: float = 1.0
    beta: float = 4.0  # Hz per m/s of world speed; image columns are rescaled to match
    d_cutoff_hz: float = 2.0
    visibility_min: float = 0.5  # MediaPipe's own default confidence threshold
    # 150 ms (as the scoring module): bridges 3 missing frames at 30 fps, 8 at 60 fps; a strike phase
    # lasts ~150-300 ms, so a longer hole may hide a whole extension and filling it would invent motion.
    # One ordinary frame interval (x 1.5) is never a gap, whatever the frame rate.
    max_gap_ms: float = 150.0
    # frames each side: 9 samples, 0.3 s at 30 fps (about one strike), 0.15 s at 60 fps; two glitch
    # samples among 9 leave the median and MAD usable (with 7, 0.5 m 2-frame glitches at 30 fps were
    # missed 1-2 times in 33 in simulation, with 9 at most once, with 11 never but over 0.37 s).
    hampel_window: int = 4
    hampel_sigmas: float = 3.0
    # Floor of the Hampel threshold, as acceleration: a minimum-jerk reach of 0.8 m in 0.15 s (a kick,
    # peak 10 m/s) peaks at 5.77 D / T^2 = 205 m/s^2, 0.5 m in 80 ms (a very fast jab, 11.7 m/s) at
    # 450 m/s^2; a one-frame glitch of h metres reads as 2 h fps^2: 0.3 m is 540 m/s^2 at 30 fps,
    # 2160 at 60. Simulated (1 cm jitter): no strike sample rejected at 24-30 fps, <1 per landmark
    # per strike at 60 fps, where a rejected sample is re-interpolated with no measurable change.
    hampel_min_accel_m_s2: float = 300.0
    # Elite punches reach ~10-15 m/s at the fist, kicks ~15-20 m/s at the foot; 30 m/s is beyond any
    # human end effector, so a sample that needs it on both sides is a mis-detection.
    max_speed_m_s: float = 30.0

    def __post_init__(self) -> None:
        if self.smoothing not in SMOOTHING_METHODS:
            raise ValueError(f"smoothing: expected one of {', '.join(SMOOTHING_METHODS)}, got {self.smoothing!r}")
        for name in ("cutoff_hz", "min_cutoff_hz", "d_cutoff_hz", "max_gap_ms", "hampel_sigmas", "max_speed_m_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: must be a positive number, got {value!r}")
        if not (isinstance(self.beta, (int, float)) and math.isfinite(self.beta) and self.beta >= 0):
            raise ValueError(f"beta: must be a number >= 0, got {self.beta!r}")
        if not (isinstance(self.hampel_min_accel_m_s2, (int, float)) and self.hampel_min_accel_m_s2 >= 0):
            raise ValueError(f"hampel_min_accel_m_s2: must be a number >= 0, got {self.hampel_min_accel_m_s2!r}")
        if not (isinstance(self.visibility_min, (int, float)) and 0.0 <= self.visibility_min <= 1.0):
            raise ValueError(f"visibility_min: must be in [0, 1], got {self.visibility_min!r}")
        for name in ("order", "hampel_window"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10):
                raise ValueError(f"{name}: must be an integer from 1 to 10, got {value!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> SignalConfig:
        """Build from a config dict (e.g. YAML); unknown keys and bad values raise ValueError."""
        mapping = dict(mapping or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(mapping) - set(known))
        if unknown:
            raise ValueError(f"unknown signal settings {unknown}; allowed: {', '.join(known)}")
        kwargs: dict[str, Any] = {}
        for name, value in mapping.items():
            kind = {"str": str, "int": int, "float": float}[str(known[name].type)]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)  # YAML writes 10 for 10.0
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{name}: expected {kind.__name__}, got {value!r}")
            kwargs[name] = value
        return cls(**kwargs)


@dataclass(frozen=True)
class CleanResult:
    landmarks: np.ndarray  # [N,33,8] float32; coordinates cleaned (NaN where unusable and not filled),
    #                        visibility and presence as measured
    filled: np.ndarray     # [N,33] bool: coordinates interpolated across a short gap
    rejected: np.ndarray   # [N,33] bool: outliers removed (also `filled` if inside a short gap)
    method: str            # what smoothing was applied, for reports, e.g. "butterworth 10 Hz"


def winter_correction(order: int, passes: int = 2) -> float:
    """Winter 2009 (sec. 3.4.4.3): design cut-off = wanted / C so that `passes` passes of a Butterworth
    of `order` are -3 dB at the wanted cut-off. C = (2^(1/passes) - 1)^(1/(2 order)); 0.802 for 2, 2."""
    return (2.0 ** (1.0 / passes) - 1.0) ** (1.0 / (2 * order))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the contiguous True stretches of a 1-D boolean mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _neighbours(usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N,L] index of the previous (-1 if none) and next (N if none) usable sample of each landmark."""
    n = usable.shape[0]
    idx = np.arange(n)[:, None]
    upto = np.maximum.accumulate(np.where(usable, idx, -1), axis=0)
    after = np.minimum.accumulate(np.where(usable, idx, n)[::-1], axis=0)[::-1]
    fill = np.full((1, usable.shape[1]), -1)
    return np.vstack([fill, upto[:-1]]), np.vstack([after[1:], fill * -n])


def _take(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """a[rows[i, j], j] for a of shape [N, L, ...]; rows are clipped, callers mask invalid ones."""
    return a[np.clip(rows, 0, a.shape[0] - 1), np.arange(a.shape[1])]


def _speed_outliers(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, max_speed: float) -> np.ndarray:
    """Samples whose 3-D speed (m/s) to the previous and to the next usable sample both exceed max_speed."""
    prev, nxt = _neighbours(usable)
    tt = np.broadcast_to(t_s[:, None], usable.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_prev = np.linalg.norm(w - _take(w, prev), axis=-1) / (tt - _take(tt, prev))
        v_next = np.linalg.norm(_take(w, nxt) - w, axis=-1) / (_take(tt, nxt) - tt)
    single = usable & (prev >= 0) & (nxt < usable.shape[0]) & (v_prev > max_speed) & (v_next > max_speed)
    return single | _excursions(tt[:, 0], w, usable, v_prev > max_speed, max_speed)


MAX_EXCURSION_S = 0.1  # a mis-fit skeleton held for up to this long is rejected as a whole


def _excursions(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, jumps: np.ndarray, max_speed: float) -> np.ndarray:
    """Runs of samples entered and left by an impossible jump (speed > max_speed) within
    MAX_EXCURSION_S, where the samples before and after the run agree with each other: a landmark
    that leaves its trajectory for a few frames (BlazePose fitting the body upside down, or to
    someone else) and comes back. Single-sample spikes are the special case of a run of one."""
    out = np.zeros_like(usable)
    for j in range(usable.shape[1]):
        rows = np.flatnonzero(usable[:, j])
        starts = [k for k in range(1, len(rows)) if jumps[rows[k], j]]
        for a, b in zip(starts, starts[1:]):
            before, first, after = rows[a - 1], rows[a], rows[b]
            if t_s[after] - t_s[first] > MAX_EXCURSION_S:
                continue
            gap = t_s[after] - t_s[before]
            if gap > 0 and np.linalg.norm(w[after, j] - w[before, j]) / gap <= max_speed:
                out[rows[a:b], j] = True
    return out


def _prediction_residual(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, reach_s: float,
                         frame_s: float) -> np.ndarray:
    """[N,L,3] error (m) of each usable sample against straight-line predictions from usable neighbours
    no further than reach_s away: between the neighbours either side, or extrapolated from the two
    before or the two after; NaN where none is possible.
    On a path of constant acceleration g (m/s^2) the line through (ta, tb) misses x(t) by
    g (t - ta)(t - tb) / 2, so each error is scaled by -frame_s^2 / ((t - ta)(t - tb)): every prediction,
    over any span, then estimates the same -g frame_s^2 / 2 on a smooth path (a curve is no outlier).
    The interpolation is used unless an extrapolation misses by less than half as much (unscaled):
    a glitch of height h misses all three lines by ~h and shows as h, while its clean neighbours, whose
    interpolation it spoils (error h/2), are fitted by the extrapolation from the other side."""
    n = usable.shape[0]
    prev, nxt = _neighbours(usable)
    p2, n2 = _take(prev, prev), _take(nxt, np.minimum(nxt, n - 1))
    n2 = np.where(nxt < n, n2, n)
    tt = np.broadcast_to(t_s[:, None], usable.shape)
    ok = {k: (r >= 0) & (r < n) & (np.abs(_take(tt, r) - tt) <= reach_s) for k, r in
          {"p": prev, "n": nxt, "p2": p2, "n2": n2}.items()}
    scaled, score = [], []
    for a, b, valid, weight in ((prev, nxt, ok["p"] & ok["n"], 1.0), (p2, prev, ok["p2"] & ok["p"], 2.0),
                                (nxt, n2, ok["n"] & ok["n2"], 2.0)):
        ta, tb = _take(tt, a), _take(tt, b)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            frac = ((tt - ta) / (tb - ta))[..., None]
            err = w - (_take(w, a) + (_take(w, b) - _take(w, a)) * frac)
            scaled.append(err * (-frame_s ** 2 / ((tt - ta) * (tt - tb)))[..., None])
        score.append(np.where((valid & usable)[..., None], weight * np.abs(err), np.inf))
    pick = np.argmin(np.stack(score), axis=0)[None]
    best = np.take_along_axis(np.stack(scaled), pick, axis=0)[0]
    return np.where(np.isfinite(np.take_along_axis(np.stack(score), pick, axis=0)[0]), best, np.nan)


def _nan_median_last(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median over the last axis ignoring NaN (NaN where all are NaN), and the count of finite values."""
    s = np.sort(a, axis=-1)  # NaN sort last
    count = np.sum(np.isfinite(a), axis=-1)
    lo = np.take_along_axis(s, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(s, np.maximum(count // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.where(count % 2 == 1, lo, hi)
    return np.where(count > 0, 0.5 * (lo + hi), np.nan), count


def _hampel_outliers(e: np.ndarray, k: int, sigmas: float, min_dev: float) -> np.ndarray:
    """[N,3] of one landmark's residuals e -> [N] True where any axis is a Hampel outlier."""
    padded = np.pad(e, ((k, k), (0, 0)), constant_values=np.nan)
    win = sliding_window_view(padded, 2 * k + 1, axis=0)  # [N,3,2k+1]
    med, count = _nan_median_last(win)
    mad, _ = _nan_median_last(np.abs(win - med[..., None]))
    with np.errstate(invalid="ignore"):
        out = (count >= 3) & (np.abs(e - med) > np.maximum(sigmas * MAD_TO_SIGMA * mad, min_dev))
    return np.any(out, axis=-1)


def _image_units_per_m(coords: np.ndarray, usable: np.ndarray) -> float:
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


def streaming_filter(config: SignalConfig, image_units_per_m: float = IMAGE_UNITS_PER_M,
                     reset_after_ms: float | None = None) -> OneEuroFilter:
    """A One Euro filter for live (33, 6) coordinate frames: beta of image columns rescaled so the same
    body motion gets the same cut-off in both (image speed = world speed x image_units_per_m)."""
    beta = np.array([config.beta / image_units_per_m] * 3 + [config.beta] * 3)
    return OneEuroFilter(config.min_cutoff_hz, beta, config.d_cutoff_hz,
                         reset_after_ms=reset_after_ms or config.max_gap_ms)


def _butterworth(t_ms: np.ndarray, x: np.ndarray, cfg: SignalConfig) -> np.ndarray:
    """Zero-phase low-pass of every contiguous finite run of x [N,33,6]. A digital filter needs uniform
    sampling: a run whose frame intervals vary by more than 1 % is resampled (PCHIP) onto a uniform grid
    at its 10th-percentile interval, filtered, and interpolated back to its own timestamps (at 3.8 m/s a
    4 ms timestamp jitter would otherwise act as 15 mm of position noise). The cut-off is capped at
    0.35 x the run's median frame rate. Runs too short for filtfilt's padding are left as they are."""
    out = x.copy()
    c = winter_correction(cfg.order)
    for j in range(x.shape[1]):
        for start, stop in _runs(np.all(np.isfinite(x[:, j]), axis=1)):
            if stop - start < 2:
                continue
            t, xs = t_ms[start:stop] / 1000.0, x[start:stop, j]
            steps = np.diff(t)
            dt = float(np.median(steps))
            uniform = np.all(np.abs(steps - dt) <= 0.01 * dt)
            if not uniform:
                dt = max(float(np.percentile(steps, 10)), 0.5 * dt)  # a few odd steps do not blow up the grid
                grid = np.linspace(t[0], t[-1], int(round((t[-1] - t[0]) / dt)) + 1)
                xs = PchipInterpolator(t, xs, axis=0)(grid)
            fc = min(cfg.cutoff_hz, 0.35 / float(np.median(steps)))
            b, a = butter(cfg.order, (fc / c) * 2.0 * dt)  # normalised to Nyquist 1 / (2 dt)
            if len(xs) <= 3 * max(len(a), len(b)):  # filtfilt's default padlen
                continue
            ys = filtfilt(b, a, xs, axis=0)
            out[start:stop, j] = ys if uniform else PchipInterpolator(grid, ys, axis=0)(t)
    return out


def clean_sequence(t_ms: np.ndarray, landmarks: np.ndarray, config: SignalConfig | None = None) -> CleanResult:
    """Reject outliers, fill short gaps and smooth BlazePose landmarks [N,33,8] at frame times t_ms [N]
    (strictly increasing, may be non-uniform). The output keeps all N frames."""
    cfg = config or SignalConfig()
    t = np.asarray(t_ms, dtype=np.float64)
    data = np.asarray(landmarks, dtype=np.float64)
    n = t.shape[0] if t.ndim == 1 else -1
    if t.ndim != 1 or data.shape != (n, N_LANDMARKS, 8):
        raise ValueError(f"expected t_ms [N] and landmarks [N,33,8], got {t.shape} and {data.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError("t_ms must be finite and strictly increasing")
    if n == 0:
        none = np.zeros((0, N_LANDMARKS), dtype=bool)
        return CleanResult(data.astype(np.float32), none, none.copy(), cfg.smoothing)
    frame_ms = float(np.median(np.diff(t))) if n > 1 else 1000.0 / 30.0
    max_gap = max(cfg.max_gap_ms, 1.5 * frame_ms)
    coords = data[..., :N_COORDS].copy()
    with np.errstate(invalid="ignore"):
        usable = np.all(np.isfinite(coords), axis=-1) & (data[..., VIS] >= cfg.visibility_min)
    t_s, w = t / 1000.0, coords[..., WORLD]

    rejected = np.zeros_like(usable)
    frame_s = frame_ms / 1000.0
    for _ in range(OUTLIER_PASSES):  # once one sample of a 2-frame glitch is out, the other stands alone
        kept = usable & ~rejected
        new = _speed_outliers(t_s, w, kept, cfg.max_speed_m_s)
        kept &= ~new
        acc = -2.0 / frame_s ** 2 * _prediction_residual(t_s, w, kept, max_gap / 1000.0, frame_s)
        for j in range(N_LANDMARKS):
            new[:, j] |= kept[:, j] & _hampel_outliers(acc[:, j], cfg.hampel_window, cfg.hampel_sigmas,
                                                       cfg.hampel_min_accel_m_s2)
        rejected |= new
        if not new.any():
            break
    kept = usable & ~rejected

    prev, nxt = _neighbours(kept)
    inside = (prev >= 0) & (nxt < n)
    filled = ~kept & inside
    filled[inside] &= (t[np.minimum(nxt, n - 1)] - t[np.maximum(prev, 0)])[inside] <= max_gap + 1e-9
    coords[~kept] = np.nan
    for j in np.flatnonzero(filled.any(axis=0)):
        coords[filled[:, j], j] = PchipInterpolator(t[kept[:, j]], coords[kept[:, j], j], axis=0)(t[filled[:, j]])

    if cfg.smoothing == "butterworth":
        coords = _butterworth(t, coords, cfg)
        method = f"butterworth {min(cfg.cutoff_hz, 0.35 * 1000.0 / frame_ms):.3g} Hz"
    elif cfg.smoothing == "one_euro":
        f = streaming_filter(cfg, _image_units_per_m(coords, kept | filled), reset_after_ms=max_gap)
        coords = np.stack([f(ti, c) for ti, c in zip(t, coords)])
        method = f"one_euro {cfg.min_cutoff_hz:g} Hz, beta {cfg.beta:g}"
    else:
        method = "none"
    out = data.copy()
    out[..., :N_COORDS] = coords
    return CleanResult(landmarks=out.astype(np.float32), filled=filled, rejected=rejected, method=method)
