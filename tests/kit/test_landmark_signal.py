"""Landmark signal quality on synthetic BlazePose sequences with a known true motion (pure numpy, fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.kit.landmark_signal import CleanResult, SignalConfig, clean_sequence

SIGMA = 0.005  # m, Gaussian jitter added to every coordinate
AMP, FREQ = 0.3, 2.0  # m, Hz: wx(t) = AMP sin(2 pi FREQ t), true peak speed 2 pi FREQ AMP
PEAK_SPEED = 2 * math.pi * FREQ * AMP  # 3.77 m/s
SPIKES = [(20, 3), (45, 15), (70, 30), (100, 0), (101, 7)]  # (frame, landmark)


def sequence(t_s: np.ndarray, seed: int = 0, sigma: float = SIGMA):
    """(t_ms, landmarks [N,33,8], true world [N,33,3]): every landmark moves along wx, offset along wy."""
    rng = np.random.default_rng(seed)
    true = np.zeros((t_s.size, 33, 3))
    true[..., 0] = AMP * np.sin(2 * math.pi * FREQ * t_s)[:, None]
    true[..., 1] = np.linspace(-0.8, 0.8, 33)
    world = true + rng.normal(0.0, sigma, true.shape)
    lm = np.zeros((t_s.size, 33, 8))
    lm[..., 3:6] = world
    lm[..., 0:3] = 0.5 + 0.35 * world  # image coordinates, roughly 0.35 units per metre
    lm[..., 6:8] = 0.9
    return t_s * 1000.0, lm.astype(np.float32), true


def add_spikes(lm: np.ndarray, height: float = 0.3) -> np.ndarray:
    lm = lm.copy()
    for i, j in SPIKES:
        lm[i, j, 3] += height
        lm[i, j, 0] += 0.35 * height
    return lm


def world(result: CleanResult) -> np.ndarray:
    return result.landmarks[..., 3:6].astype(np.float64)


def peak_speed(t_ms: np.ndarray, w: np.ndarray) -> float:
    """Largest 3-D speed (m/s) by central differences over all landmarks."""
    t = t_ms / 1000.0
    v = np.linalg.norm(w[2:] - w[:-2], axis=-1) / (t[2:] - t[:-2])[:, None]
    return float(np.nanmax(v))


def rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean((a - b) ** 2)))


@pytest.mark.parametrize("fps, max_rms", [(30, 0.95 * SIGMA), (60, 0.75 * SIGMA)])
def test_butterworth_rejects_spikes_reduces_noise_and_keeps_peak_speed(fps, max_rms):
    t, clean_lm, true = sequence(np.arange(0, 4.0, 1 / fps))
    lm = add_spikes(clean_lm)
    res = clean_sequence(t, lm, SignalConfig(cutoff_method="fixed"))
    assert res.method == "butterworth 10 Hz"
    assert res.landmarks.shape == lm.shape and res.landmarks.dtype == np.float32
    for i, j in SPIKES:
        assert res.rejected[i, j] and res.filled[i, j], (i, j)
    assert res.rejected.sum() == len(SPIKES)  # no real sample of the sinusoid taken for an outlier
    assert res.filled.sum() == len(SPIKES)
    assert rms(world(res), true) < max_rms
    assert rms(lm[..., 3:6], true) > SIGMA  # what it started from
    assert peak_speed(t, world(res)) == pytest.approx(PEAK_SPEED, rel=0.10)
    assert peak_speed(t, lm[..., 3:6].astype(np.float64)) > 1.8 * PEAK_SPEED
    np.testing.assert_array_equal(res.landmarks[..., 6:], lm[..., 6:])  # visibility, presence as measured


def test_short_gap_filled_long_gap_stays_nan_no_extrapolation():
    t, lm, true = sequence(np.arange(0, 4.0, 1 / 30))
    lm[30:33] = np.nan          # 3 frames without a person: 133 ms between detections
    lm[60:90] = np.nan          # 1 s without a person
    lm[:2] = np.nan             # nothing before the first detection
    lm[50, 7, 6] = 0.2          # one low-visibility sample
    res = clean_sequence(t, lm, SignalConfig())
    assert res.landmarks.shape[0] == t.size
    assert res.filled[30:33].all() and res.filled[50, 7] and res.filled.sum() == 3 * 33 + 1
    # PCHIP through 5 mm jitter across a quarter period of the 2 Hz, 0.3 m motion
    err = np.abs(world(res)[30:33] - true[30:33])
    assert err.max() < 0.04 and err.mean() < 0.01
    assert abs(world(res)[50, 7, 0] - true[50, 7, 0]) < 0.02
    assert np.isnan(res.landmarks[60:90, :, :6]).all() and not res.filled[60:90].any()
    assert np.isnan(res.landmarks[:2, :, :6]).all() and not res.filled[:2].any()
    assert np.isfinite(res.landmarks[90:, :, :6]).all()
    assert np.isnan(res.landmarks[30:33, :, 6:]).all()  # not measured, not invented
    assert res.landmarks[50, 7, 6] == pytest.approx(0.2)


def test_non_uniform_timestamps():
    rng = np.random.default_rng(5)
    # variable frame rate: 2 s at ~30 fps with +-4 ms jitter, then 2 s at ~60 fps
    steps = np.concatenate([1 / 30 + rng.uniform(-0.004, 0.004, 60), 1 / 60 + rng.uniform(-0.002, 0.002, 120)])
    t_s = np.concatenate([[0.0], np.cumsum(steps)])
    t, clean_lm, true = sequence(t_s, seed=1)
    lm = add_spikes(clean_lm)
    res = clean_sequence(t, lm, SignalConfig())
    assert all(res.rejected[i, j] for i, j in SPIKES)
    assert rms(world(res), true) < SIGMA
    assert peak_speed(t, world(res)) == pytest.approx(PEAK_SPEED, rel=0.10)
    # a 3-frame gap in the jittered 30 fps part is filled on the real timestamps (on a monotone stretch:
    # PCHIP never overshoots, so a peak hidden in a gap would be cut to the samples either side)
    lm[44:47] = np.nan
    res = clean_sequence(t, lm, SignalConfig(smoothing="none"))
    assert res.filled[44:47].all()
    err = np.abs(world(res)[44:47] - true[44:47])
    assert err.max() < 0.04 and err.mean() < 0.01


def test_none_only_rejects_and_fills():
    t, clean_lm, _ = sequence(np.arange(0, 4.0, 1 / 60))
    lm = add_spikes(clean_lm)
    lm[200:202] = np.nan
    res = clean_sequence(t, lm, SignalConfig(smoothing="none"))
    assert res.method == "none"
    untouched = ~res.rejected & ~res.filled
    untouched[200:202] = False
    np.testing.assert_array_equal(res.landmarks[untouched], lm[untouched])
    assert all(res.rejected[i, j] and res.filled[i, j] for i, j in SPIKES)
    for i, j in SPIKES:  # the spike is gone: back near its neighbours
        assert abs(res.landmarks[i, j, 3] - clean_lm[i, j, 3]) < 0.03
    assert res.filled[200:202].all()


@pytest.mark.parametrize("fps, height, caught", [(30, 0.5, 32), (30, 0.4, 25), (60, 0.3, 33)])
def test_two_frame_glitches_rejected_whole(fps, height, caught):
    """One 2-frame glitch per landmark. At 30 fps it reads as 2 (h / 2) fps^2 m/s^2 against the
    300 m/s^2 floor (0.3 m: 270, within reach of a real strike; 0.5 m: 450). Once one frame of a glitch
    is out, the other stands alone and goes in the next pass: no glitch is left half in."""
    t, lm, true = sequence(np.arange(0, 4.0, 1 / fps), seed=7)
    first = np.random.default_rng(1).integers(5, t.size - 8, 33)
    cols = np.arange(33)
    lm[first, cols, 3] += np.float32(height)
    lm[first + 1, cols, 3] += np.float32(height)
    res = clean_sequence(t, lm, SignalConfig())
    both = res.rejected[first, cols] & res.rejected[first + 1, cols]
    assert both.sum() >= caught
    assert res.rejected.sum() == 2 * both.sum()  # no half-rejected glitch, no real sample rejected
    assert np.abs(world(res)[first[both], cols[both], 0] - true[first[both], cols[both], 0]).max() < 0.05


def test_butterworth_cutoff_is_minus_3_db():
    """Winter's double-pass correction: the whole zero-phase filter passes 1/sqrt(2) at cutoff_hz.
    Two passes of a 2nd-order Butterworth designed at fd = 10 Hz / 0.802: gain 1 / (1 + (f / fd)^4)."""
    t_s = np.arange(0, 6.0, 1 / 120)
    fd = 10.0 / 0.802
    for freq in (2.0, 10.0, 25.0):
        gain = 1.0 / (1.0 + (freq / fd) ** 4)  # 1.0, 0.707, 0.06
        lm = np.zeros((t_s.size, 33, 8))
        lm[..., 6:] = 0.9
        lm[..., 3] = 0.005 * np.sin(2 * math.pi * freq * t_s)[:, None]
        res = clean_sequence(t_s * 1000, lm, SignalConfig(cutoff_hz=10.0, cutoff_method="fixed"))
        middle = world(res)[240:-240, 0, 0]  # away from the ends
        assert not res.rejected.any()
        assert np.sqrt(2 * np.mean(middle ** 2)) / 0.005 == pytest.approx(gain, abs=0.03), freq


def test_fast_real_strike_is_not_an_outlier():
    """A minimum-jerk reach of 0.5 m in 80 ms and back (peak 11.7 m/s, ~450 m/s^2) at 30 fps."""
    def min_jerk(tau):
        tau = np.clip(tau, 0.0, 1.0)
        return 10 * tau ** 3 - 15 * tau ** 4 + 6 * tau ** 5
    t_s = np.arange(0, 3.0, 1 / 30)
    x = 0.5 * (min_jerk((t_s - 1.0) / 0.08) - min_jerk((t_s - 1.11) / 0.08))
    rng = np.random.default_rng(2)
    lm = np.zeros((t_s.size, 33, 8), dtype=np.float32)
    lm[..., 6:] = 0.9
    lm[..., 3] = x[:, None] + rng.normal(0, 0.01, (t_s.size, 33))
    res = clean_sequence(t_s * 1000, lm)
    assert not res.rejected.any()


def test_speed_limit_rejects_teleport_and_short_runs_do_not_crash():
    t, lm, true = sequence(np.arange(0, 2.0, 1 / 30), sigma=0.0)
    lm[30, 5, 3:6] += np.float32(3.0)  # 3 m away for one frame: 90 m/s each way
    lm[:, 9] = np.nan
    lm[10:15, 9] = lm[10:15, 8]   # a landmark seen for only 5 frames: too short to filter
    res = clean_sequence(t, lm, SignalConfig())
    assert res.rejected[30, 5] and res.filled[30, 5]
    assert abs(world(res)[30, 5, 0] - true[30, 5, 0]) < 0.01
    np.testing.assert_allclose(res.landmarks[10:15, 9], lm[10:15, 9])
    assert np.isnan(res.landmarks[15:, 9, :6]).all()


def test_one_euro_in_clean_sequence():
    t, lm, _ = sequence(np.arange(0, 4.0, 1 / 60))
    rng = np.random.default_rng(3)
    lm[:, :, 3] = 0.1 + rng.normal(0, SIGMA, lm.shape[:2])  # wx held still: jitter only
    lm = add_spikes(lm)
    res = clean_sequence(t, lm, SignalConfig(smoothing="one_euro"))
    assert res.method == "one_euro 1 Hz, beta 4"
    assert all(res.rejected[i, j] for i, j in SPIKES)
    settled = world(res)[60:, :, 0]
    assert rms(settled, 0.1) < 0.5 * SIGMA


def test_no_detection_at_all_and_bad_input():
    t = np.arange(10) * 33.3
    res = clean_sequence(t, np.full((10, 33, 8), np.nan, dtype=np.float32))
    assert np.isnan(res.landmarks).all() and not res.filled.any() and not res.rejected.any()
    assert clean_sequence(np.zeros(0), np.zeros((0, 33, 8))).landmarks.shape == (0, 33, 8)
    with pytest.raises(ValueError, match="increasing"):
        clean_sequence(np.array([0.0, 33.0, 33.0]), np.zeros((3, 33, 8)))
    with pytest.raises(ValueError, match=r"\[N,33,8\]"):
        clean_sequence(np.arange(3.0), np.zeros((3, 17, 8)))


def test_cutoff_capped_by_frame_rate():
    t, lm, _ = sequence(np.arange(0, 2.0, 1 / 20))
    assert clean_sequence(t, lm, SignalConfig(cutoff_method="fixed")).method == "butterworth 7 Hz"  # 0.35 x 20 fps


# Configuration

def test_config_validation():
    with pytest.raises(ValueError, match="butterworth, one_euro, none"):
        SignalConfig(smoothing="kalman")
    with pytest.raises(ValueError, match="butterworth, one_euro, none"):
        SignalConfig.from_mapping({"smoothing": "median"})
    with pytest.raises(ValueError, match="allowed: smoothing"):
        SignalConfig.from_mapping({"cutof_hz": 8})
    with pytest.raises(ValueError, match="cutoff_hz"):
        SignalConfig.from_mapping({"cutoff_hz": -1})
    with pytest.raises(ValueError, match="order"):
        SignalConfig.from_mapping({"order": 2.5})
    cfg = SignalConfig.from_mapping({"smoothing": "one_euro", "cutoff_hz": 8, "hampel_window": 2})
    assert cfg.cutoff_hz == 8.0 and isinstance(cfg.cutoff_hz, float) and cfg.hampel_window == 2
    assert SignalConfig.from_mapping(None) == SignalConfig()


@pytest.mark.parametrize("fps", [30, 60])
def test_residual_cutoff_keeps_the_peak_and_follows_playback_speed(fps):
    """Residual analysis (the default) picks a cut-off above the motion's 2 Hz that keeps its peak speed,
    and the same frames played at half speed (timestamps doubled) get half that cut-off, so their
    measured speed halves too."""
    t, clean_lm, true = sequence(np.arange(0, 4.0, 1 / fps))
    lm = add_spikes(clean_lm)
    res = clean_sequence(t, lm, SignalConfig())
    assert res.filter == "butterworth" and FREQ < res.cutoff_hz < 10.0
    assert res.method == f"butterworth {res.cutoff_hz:.3g} Hz"
    assert peak_speed(t, world(res)) == pytest.approx(PEAK_SPEED, rel=0.10)
    assert rms(world(res), true) < SIGMA
    # The outlier limits are physical (m/s, m/s^2): at half speed they are halved and quartered here so
    # that only the filter is compared.
    slow = clean_sequence(2.0 * t, lm, SignalConfig(max_speed_m_s=15.0, hampel_min_accel_m_s2=75.0))
    assert slow.cutoff_hz == pytest.approx(res.cutoff_hz / 2.0, rel=0.05)
    assert peak_speed(2.0 * t, world(slow)) == pytest.approx(peak_speed(t, world(res)) / 2.0, rel=0.05)


def test_the_trackers_spread_comes_with_lanes_and_the_image_size():
    t, lm, _ = sequence(np.arange(0, 2.0, 1 / 30))
    lanes = np.arange(t.size) % 2
    lm[lanes == 1, 5, 0] += 0.05  # the second tracker puts landmark 5 elsewhere throughout
    assert clean_sequence(t, lm).tracker_spread_px is None
    assert clean_sequence(t, lm, image_size=(1000, 1000)).tracker_spread_px is None
    spread = clean_sequence(t, lm, image_size=(1000, 1000), lanes=lanes).tracker_spread_px
    assert spread.shape == (t.size, 33)
    assert np.nanmedian(spread[:, 5]) == pytest.approx(50.0, rel=0.15)  # 0.05 of a 1000 px image
    assert np.nanmedian(np.delete(spread, 5, axis=1)) < 0.2 * 50.0
