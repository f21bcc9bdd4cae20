"""One Euro filter (Casiez, Roussel & Vogel 2012, "1 Euro Filter: A Simple Speed-based Low-pass Filter
for Noisy Input in Interactive Systems", CHI '12, pp. 2527-2530): causal, streaming, vectorised.

Per element, with dt in seconds between this sample and the element's previous one:
    alpha(fc) = 1 / (1 + tau / dt),  tau = 1 / (2 pi fc)       (first-order low-pass, fc in Hz)
    dx   = (x - x_hat_prev) / dt                                 (units of x per second)
    dx_hat = dx_hat_prev + alpha(d_cutoff) * (dx - dx_hat_prev)
    fc   = min_cutoff + beta * |dx_hat|                          (beta in Hz per (unit of x / s))
    x_hat  = x_hat_prev + alpha(fc) * (x - x_hat_prev)
Slow movement gets a low cut-off (jitter removed), fast movement a high one (little lag).
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: np.ndarray, dt_s: np.ndarray) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Streaming One Euro filter over arrays of a fixed shape, e.g. (33, 6) landmark coordinates.

    min_cutoff_hz, beta and d_cutoff_hz may be scalars or arrays broadcastable to the value shape
    (e.g. a different beta for image columns than for world columns).
    - A NaN element passes through as NaN and leaves that element's state untouched; its next
      finite sample is filtered against the last finite one, over the real elapsed time.
    - If reset_after_ms is set, an element whose last finite sample is older than that starts
      afresh (output = input) instead of being dragged from a stale position.
    - A sample whose timestamp is not later than that element's previous one cannot give a speed:
      it does not update the state and the current estimate is returned (no division by zero).
    Returns float64 arrays of the input shape.
    """

    def __init__(self, min_cutoff_hz: float | np.ndarray = 1.0, beta: float | np.ndarray = 0.0,
                 d_cutoff_hz: float | np.ndarray = 1.0, reset_after_ms: float | None = None) -> None:
        self.min_cutoff_hz = np.asarray(min_cutoff_hz, dtype=np.float64)
        self.beta = np.asarray(beta, dtype=np.float64)
        self.d_cutoff_hz = np.asarray(d_cutoff_hz, dtype=np.float64)
        if np.any(self.min_cutoff_hz <= 0) or np.any(self.d_cutoff_hz <= 0) or np.any(self.beta < 0):
            raise ValueError("OneEuroFilter: cut-offs must be > 0 Hz and beta >= 0")
        if reset_after_ms is not None and not reset_after_ms > 0:
            raise ValueError("OneEuroFilter: reset_after_ms must be > 0 or None")
        self.reset_after_ms = reset_after_ms
        self.reset()

    def reset(self) -> None:
        """Forget all state: the next sample of every element is passed through unchanged."""
        self._x: np.ndarray | None = None   # filtered value
        self._dx: np.ndarray | None = None  # filtered derivative, units per second
        self._t: np.ndarray | None = None   # ms of each element's last finite sample (NaN: none yet)

    def __call__(self, t_ms: float, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        t = float(t_ms)
        if not math.isfinite(t):
            raise ValueError(f"OneEuroFilter: timestamp must be finite, got {t_ms!r}")
        if self._x is None:
            self._x = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        elif x.shape != self._x.shape:
            raise ValueError(f"OneEuroFilter: expected values of shape {self._x.shape}, got {x.shape}")
        ok = np.isfinite(x)
        fresh = ok & np.isnan(self._t)
        if self.reset_after_ms is not None:
            fresh |= ok & (t - self._t > self.reset_after_ms)
        dt_s = (t - self._t) / 1000.0
        upd = ok & ~fresh & (dt_s > 0)
        out = np.where(ok, self._x, np.nan)  # stale timestamps: the current estimate
        if np.any(fresh):
            self._x[fresh], self._dx[fresh], self._t[fresh] = x[fresh], 0.0, t
            out[fresh] = x[fresh]
        if np.any(upd):
            dt = dt_s[upd]
            shape = x.shape
            min_c = np.broadcast_to(self.min_cutoff_hz, shape)[upd]
            beta = np.broadcast_to(self.beta, shape)[upd]
            d_c = np.broadcast_to(self.d_cutoff_hz, shape)[upd]
            x_prev, dx_prev = self._x[upd], self._dx[upd]
            dx = dx_prev + _alpha(d_c, dt) * ((x[upd] - x_prev) / dt - dx_prev)
            x_hat = x_prev + _alpha(min_c + beta * np.abs(dx), dt) * (x[upd] - x_prev)
            self._x[upd], self._dx[upd], self._t[upd] = x_hat, dx, t
            out[upd] = x_hat
        return out
