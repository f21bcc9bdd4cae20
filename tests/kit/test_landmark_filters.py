"""The landmark filter table (services/kit/landmark_filters.py): each column filtered on its own, whatever
the other columns' gaps, and the Butterworth's response where it is known."""

from __future__ import annotations

import numpy as np

from services.kit.landmark_filters import FILTERS, butterworth


def test_each_column_is_filtered_as_if_alone_whatever_the_others_gaps():
    rng = np.random.default_rng(0)
    t_ms = np.cumsum(rng.uniform(30.0, 36.0, 240))  # a phone's uneven frame times
    x = np.cumsum(rng.normal(size=(240, 6, 3)), axis=0)
    x[40:55, 1] = np.nan   # a gap in one landmark
    x[100:103, 2, 0] = np.nan  # one coordinate of another: the landmark's whole sample is out there
    x[:, 3] = np.nan
    together = butterworth(t_ms, x, cutoff_hz=6.0)
    for j in range(x.shape[1]):
        alone = butterworth(t_ms, x[:, [j]], cutoff_hz=6.0)[:, 0]
        np.testing.assert_array_equal(np.isnan(together[:, j]), np.isnan(alone))
        np.testing.assert_allclose(together[:, j], alone, atol=1e-12)
    assert np.isnan(together[40:55, 1]).all() and np.isnan(together[100:103, 2, 0]).all()
    assert not np.allclose(together[:40, 0], x[:40, 0])  # it did filter


def test_butterworth_keeps_slow_motion_and_removes_fast_jitter():
    t_ms = np.arange(300) * (1000.0 / 60.0)
    slow = np.sin(2 * np.pi * 1.0 * t_ms / 1000.0)        # 1 Hz: a body's motion
    jitter = 0.2 * np.sin(2 * np.pi * 25.0 * t_ms / 1000.0)  # 25 Hz: tracking noise
    out = FILTERS["butterworth"](t_ms, (slow + jitter)[:, None, None], cutoff_hz=6.0)[:, 0, 0]
    inner = slice(30, -30)
    assert np.max(np.abs(out[inner] - slow[inner])) < 0.02
