"""Landmark signal quality: gap filling, outlier rejection and smoothing of BlazePose trajectories.

Input: per frame a (33, 8) array (x, y, z normalised image coordinates; wx, wy, wz world coordinates
in metres, hip-centred; visibility; presence), NaN rows where no person was detected. Steps, per
landmark. This is the one owner of landmark cleanup: the pose service runs it once per sequence, and
the filters themselves are the table of services.kit.landmark_filters, which scoring also uses:
1. unusable samples: coordinates not finite or visibility < visibility_min (MediaPipe's default
   confidence 0.5). They take no part in outlier detection and are replaced by filling or NaN.
1b. anatomically impossible samples (landmark_outliers.implausible): an end whose parent joint is not
   seen in that frame, or whose bone to it has an impossible length;
2. outliers, from the world coordinates and (given the image size) from the image coordinates put in
   metres by services.kit.image_scale, since scoring measures speeds in the image (a rejected sample loses its image coordinates too):
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
3b. where the frames were dealt to several BlazePose trackers (lanes), how far they disagree about each
   kept landmark (services.kit.tracker_spread, image pixels): scoring does not count speeds there;
4. smoothing of the 6 coordinates: "butterworth" (2nd order, zero phase, Winter 2009 ch. 3),
   "one_euro" (causal, Casiez et al. 2012) or "none".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
from scipy.interpolate import PchipInterpolator

from services.kit.image_scale import metres_per_pixel
from services.kit.landmark_filters import (FILTERS, IMAGE_UNITS_PER_M, describe, image_units_per_m,
                                           one_euro_streaming, residual_cutoff)
from services.kit.tracker_spread import tracker_spread
from services.kit.landmark_outliers import (hampel_outliers, implausible, neighbours, prediction_residual,
                                            speed_outliers)

SMOOTHING_METHODS = ("butterworth", "one_euro", "none")
N_LANDMARKS = 33
N_COORDS = 6  # x, y, z, wx, wy, wz
WORLD = slice(3, 6)
VIS = 6
OUTLIER_PASSES = 3


@dataclass(frozen=True)
class SignalConfig:
    """How landmark trajectories are cleaned. Distances in metres, times in ms, frequencies in Hz."""

    smoothing: str = "butterworth"  # one of SMOOTHING_METHODS
    # Butterworth: Winter (2009) used 6 Hz for gait; strikes are faster (a punch lasts ~0.15-0.3 s),
    # so 10 Hz as in the scoring module, capped at 0.35 x frame rate (below Nyquist).
    cutoff_hz: float = 10.0  # the cut-off when cutoff_method is "fixed", and the fallback of "residual"
    # "residual": chosen per clip from the image coordinates by residual analysis (landmark_filters.
    # residual_cutoff: invariant to playback speed, measured there); "fixed": cutoff_hz.
    cutoff_method: str = "residual"
    residual_floor_hz: float = 1.0  # never below this (a still clip has no content to choose from)
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
        if self.cutoff_method not in ("residual", "fixed"):
            raise ValueError(f"cutoff_method: expected residual or fixed, got {self.cutoff_method!r}")
        for name in ("cutoff_hz", "residual_floor_hz", "min_cutoff_hz", "d_cutoff_hz", "max_gap_ms", "hampel_sigmas", "max_speed_m_s"):
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

    def filter_settings(self, frame_ms: float, max_gap_ms: float, image_units: float,
                        chosen_cutoff_hz: float | None = None) -> dict[str, float]:
        """Keyword arguments of landmark_filters.FILTERS[self.smoothing] for a clip of this frame interval
        (chosen_cutoff_hz: what residual analysis chose, used when cutoff_method is "residual")."""
        if self.smoothing == "butterworth":
            fc = chosen_cutoff_hz if self.cutoff_method == "residual" and chosen_cutoff_hz else self.cutoff_hz
            return {"cutoff_hz": min(fc, 0.35 * 1000.0 / frame_ms), "order": self.order}
        if self.smoothing == "one_euro":
            return {"min_cutoff_hz": self.min_cutoff_hz, "beta": self.beta, "d_cutoff_hz": self.d_cutoff_hz,
                    "reset_after_ms": max_gap_ms, "image_units_per_m": image_units}
        return {}

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
    filter: str = "none"   # its name in landmark_filters.FILTERS
    cutoff_hz: float = 0.0  # Butterworth cut-off actually used (capped by the frame rate); 0 otherwise
    implausible: int = 0   # samples dropped as anatomically impossible (part of `rejected`)
    image_checked: bool = False  # the image coordinates were judged too (image size given, scale found)
    # [N,33] px: how far the video's trackers disagree about each kept landmark (NaN: unknown); None
    # without lanes or image size
    tracker_spread_px: np.ndarray | None = None



def clean_sequence(t_ms: np.ndarray, landmarks: np.ndarray, config: SignalConfig | None = None,
                   image_size: tuple[int, int] | None = None, lanes: np.ndarray | None = None) -> CleanResult:
    """Reject outliers, fill short gaps and smooth BlazePose landmarks [N,33,8] at frame times t_ms [N]
    (strictly increasing, may be non-uniform). The output keeps all N frames. image_size (width, height in
    px) turns on the image-plane checks (plausible bone lengths, outliers of the image motion in metres);
    with it, lanes [N] (the tracker of each frame) gives tracker_spread_px."""
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
        return CleanResult(data.astype(np.float32), none, none.copy(), cfg.smoothing, cfg.smoothing)
    frame_ms = float(np.median(np.diff(t))) if n > 1 else 1000.0 / 30.0
    max_gap = max(cfg.max_gap_ms, 1.5 * frame_ms)
    coords = data[..., :N_COORDS].copy()
    with np.errstate(invalid="ignore"):
        usable = np.all(np.isfinite(coords), axis=-1) & (data[..., VIS] >= cfg.visibility_min)
    t_s, w = t / 1000.0, coords[..., WORLD]
    # The image in metres (services.kit.image_scale), so that the outlier tests judge image motion with
    # the same physical limits as world motion: the speeds scoring reports come from the image.
    image_m = None
    px = coords[..., 0:2] * np.asarray(image_size, dtype=np.float64) if image_size is not None else None
    if px is not None:
        scale = metres_per_pixel(t_s, px, w, usable)
        if np.isfinite(scale).all():
            image_m = np.concatenate([px * scale[:, None, None], np.zeros_like(px[..., :1])], axis=-1)
    rejected = np.zeros_like(usable)
    frame_s = frame_ms / 1000.0
    for _ in range(OUTLIER_PASSES):  # once one sample of a 2-frame glitch is out, the other stands alone
        kept = usable & ~rejected
        new = np.zeros_like(kept)
        for pos in (w, image_m) if image_m is not None else (w,):
            new |= _outliers(t_s, pos, kept & ~new, cfg, max_gap / 1000.0, frame_s)
        rejected |= new
        if not new.any():
            break
    # After the outlier tests, so that a glitch of a joint is not blamed on the bones that hang from it.
    impossible = implausible(w, usable, image_m, usable & ~rejected) & ~rejected
    implausible_count = int(impossible.sum())
    rejected |= impossible
    kept = usable & ~rejected

    spread = None
    if px is not None and lanes is not None:
        spread = tracker_spread(t, np.where(kept[..., None], px, np.nan), np.asarray(lanes))

    prev, nxt = neighbours(kept)
    inside = (prev >= 0) & (nxt < n)
    filled = ~kept & inside
    filled[inside] &= (t[np.minimum(nxt, n - 1)] - t[np.maximum(prev, 0)])[inside] <= max_gap + 1e-9
    coords[~kept] = np.nan
    for j in np.flatnonzero(filled.any(axis=0)):
        coords[filled[:, j], j] = PchipInterpolator(t[kept[:, j]], coords[kept[:, j], j], axis=0)(t[filled[:, j]])

    chosen = None
    if cfg.smoothing == "butterworth" and cfg.cutoff_method == "residual" and n > 1:
        chosen = residual_cutoff(t, coords[..., 0:2], floor_hz=cfg.residual_floor_hz, order=cfg.order)
    settings = cfg.filter_settings(frame_ms, max_gap, image_units_per_m(coords, kept | filled), chosen)
    coords = FILTERS[cfg.smoothing](t, coords, **settings)
    out = data.copy()
    out[..., :N_COORDS] = coords
    return CleanResult(landmarks=out.astype(np.float32), filled=filled, rejected=rejected,
                       method=describe(cfg.smoothing, **settings), filter=cfg.smoothing,
                       cutoff_hz=float(settings.get("cutoff_hz", 0.0)), implausible=implausible_count,
                       image_checked=image_m is not None, tracker_spread_px=spread)


def _outliers(t_s: np.ndarray, w: np.ndarray, kept: np.ndarray, cfg: SignalConfig, reach_s: float,
              frame_s: float) -> np.ndarray:
    """One pass of the physical-limit and Hampel tests on positions w [N,33,3] (m)."""
    new = speed_outliers(t_s, w, kept, cfg.max_speed_m_s)
    kept = kept & ~new
    acc = -2.0 / frame_s ** 2 * prediction_residual(t_s, w, kept, reach_s, frame_s)
    for j in range(N_LANDMARKS):
        new[:, j] |= kept[:, j] & hampel_outliers(acc[:, j], cfg.hampel_window, cfg.hampel_sigmas,
                                                  cfg.hampel_min_accel_m_s2)
    return new


def streaming_filter(config: SignalConfig, image_units: float = IMAGE_UNITS_PER_M,
                     reset_after_ms: float | None = None):
    """The live One Euro filter with this configuration's parameters."""
    return one_euro_streaming(config.min_cutoff_hz, config.beta, config.d_cutoff_hz,
                              reset_after_ms or config.max_gap_ms, image_units)

