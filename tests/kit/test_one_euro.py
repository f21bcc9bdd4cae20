"""services/kit/one_euro.py: the streaming One Euro filter (Casiez et al. 2012) the live path uses."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.one_euro import OneEuroFilter

SIGMA = 0.005  # m, Gaussian jitter added to every coordinate


def test_one_euro_constant_with_noise_converges():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(1.0, 4.0, 2.0)
    t = np.arange(0, 3.0, 1 / 30) * 1000
    out = np.array([f(ti, 0.2 + rng.normal(0, SIGMA, (33, 6))) for ti in t])
    late = out[t > 1000]
    assert np.abs(late.mean(axis=0) - 0.2).max() < 0.002
    assert late.std() < 0.45 * SIGMA


@pytest.mark.parametrize("fps", [30, 60])
def test_one_euro_follows_step_with_small_lag(fps):
    f = OneEuroFilter(1.0, 4.0, 2.0)
    t = np.arange(0, 2.0, 1 / fps) * 1000
    out = np.array([f(ti, np.array([0.5 if ti >= 1000 else 0.0]))[0] for ti in t])
    after = out[t >= 1000]
    assert after[0] > 0.3  # first frame after a 0.5 m step already most of the way
    assert abs(out[np.searchsorted(t, 1100.0)] - 0.5) < 0.01  # within 1 cm 100 ms later
    slow = OneEuroFilter(1.0, 0.0, 2.0)  # beta 0: a plain 1 Hz low-pass lags far more
    slow_out = np.array([slow(ti, np.array([0.5 if ti >= 1000 else 0.0]))[0] for ti in t])
    assert slow_out[np.searchsorted(t, 1100.0)] < 0.4


def test_one_euro_nan_passes_through_without_corrupting_state():
    f, g = OneEuroFilter(1.0, 4.0, 2.0), OneEuroFilter(1.0, 4.0, 2.0)
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    f(0.0, x)
    g(0.0, x)
    holed = x.copy()
    holed[0, 1] = np.nan
    out = f(33.0, holed)
    assert np.isnan(out[0, 1]) and np.isfinite(out).sum() == 3
    np.testing.assert_allclose(out[[0, 1, 1], [0, 0, 1]], g(33.0, x)[[0, 1, 1], [0, 0, 1]])
    out = f(66.0, x + 0.01)
    assert np.isfinite(out).all()
    assert 0.2 <= out[0, 1] <= 0.21  # filtered against its last finite sample, not NaN
    assert np.isnan(f(99.0, np.full((2, 2), np.nan))).all()
    assert np.isfinite(f(132.0, x)).all()


def test_one_euro_non_increasing_timestamps_and_reset():
    f = OneEuroFilter(1.0, 4.0, 2.0)
    f(0.0, np.zeros(3))
    first = f(33.0, np.ones(3))
    with np.errstate(all="raise"):  # no division by zero
        same = f(33.0, np.full(3, 5.0))
        back = f(10.0, np.full(3, -5.0))
    np.testing.assert_array_equal(same, first)
    np.testing.assert_array_equal(back, first)
    nxt = f(66.0, np.ones(3))
    assert np.all((nxt > first) & (nxt <= 1.0))
    f.reset()
    np.testing.assert_array_equal(f(0.0, np.full(3, 7.0)), np.full(3, 7.0))
    with pytest.raises(ValueError, match="shape"):
        f(10.0, np.zeros(4))


def test_one_euro_reset_after_gap():
    f = OneEuroFilter(1.0, 0.0, 2.0, reset_after_ms=150.0)
    f(0.0, np.zeros(1))
    f(100.0, np.array([np.nan]))
    assert f(500.0, np.ones(1))[0] == 1.0  # a stale state is not dragged along
