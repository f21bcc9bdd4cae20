"""Metres per pixel at the performer (services/kit/image_scale.py): the running median over time."""

from __future__ import annotations

import numpy as np

from services.kit.image_scale import _running_median


def _one_at_a_time(t_s, x, half):
    out = np.full(x.shape, np.nan)
    for i in range(x.size):
        near = np.isfinite(x) & (np.abs(t_s - t_s[i]) <= half)
        if near.any():
            out[i] = np.median(x[near])
    return out


def test_running_median_is_the_median_of_each_window():
    rng = np.random.default_rng(3)
    for n, half in ((0, 0.5), (1, 0.5), (90, 0.25), (300, 0.5), (300, 1 / 60)):
        t_s = np.cumsum(rng.choice([1 / 30, 1 / 60, 0.05], n))
        x = rng.normal(size=n)
        x[rng.uniform(size=n) < 0.3] = np.nan
        got = _running_median(t_s, x, half)
        np.testing.assert_array_equal(got, _one_at_a_time(t_s, x, half))


def test_running_median_ignores_a_single_jump_and_leaves_unmeasured_stretches_unknown():
    t_s = np.arange(60) / 30.0
    x = np.full(60, 0.004)
    x[30] = 0.4      # one frame whose landmarks jumped
    x[45:] = np.nan  # nobody measurable for the last half second
    got = _running_median(t_s, x, 0.1)
    assert np.allclose(got[:45], 0.004)
    assert np.isnan(got[48:]).all() and np.isfinite(got[45:47]).all()  # within 0.1 s of a measured frame
