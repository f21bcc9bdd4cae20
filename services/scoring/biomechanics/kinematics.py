"""Velocities, accelerations and speed peaks of landmark trajectories (finite differences)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sampling import Smoothed


@dataclass(frozen=True)
class Kinematics:
    t: np.ndarray       # [N] s (uniform grid)
    dt: float           # s
    pos: np.ndarray     # [N,33,3] m
    vel: np.ndarray     # [N,33,3] m/s
    acc: np.ndarray     # [N,33,3] m/s^2
    speed: np.ndarray   # [N,33] m/s


def central_velocity(pos: np.ndarray, dt: float) -> np.ndarray:
    """v[k] = (x[k+1] - x[k-1]) / (2 dt), m/s (first central difference, Winter 2009 eq. 2.1).

    NaN where a neighbour is missing, so the ends of every tracked stretch (where filtfilt is least
    reliable) never contribute a value.
    """
    v = np.full_like(pos, np.nan)
    v[1:-1] = (pos[2:] - pos[:-2]) / (2.0 * dt)
    return v


def central_acceleration(pos: np.ndarray, dt: float) -> np.ndarray:
    """a[k] = (x[k+1] - 2 x[k] + x[k-1]) / dt^2, m/s^2 (second central difference, Winter 2009 eq. 2.2)."""
    a = np.full_like(pos, np.nan)
    a[1:-1] = (pos[2:] - 2.0 * pos[1:-1] + pos[:-2]) / (dt * dt)
    return a


def kinematics(sm: Smoothed) -> Kinematics:
    vel = central_velocity(sm.pos, sm.dt)
    acc = central_acceleration(sm.pos, sm.dt)
    return Kinematics(t=sm.t, dt=sm.dt, pos=sm.pos, vel=vel, acc=acc, speed=np.linalg.norm(vel, axis=-1))


def peak(values: np.ndarray, t: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> tuple[float, float] | None:
    """(value, time) of the maximum of a sampled signal within [lo, hi] s, ignoring NaN.

    The time is refined by fitting a parabola through the peak sample and its neighbours, so peak
    timing is resolved below one frame interval (needed for 10-150 ms lags at 30 fps).
    """
    window = (t >= lo) & (t <= hi) & np.isfinite(values)
    if not np.any(window):
        return None
    idx = np.flatnonzero(window)
    k = int(idx[np.argmax(values[idx])])
    tk, vk = float(t[k]), float(values[k])
    if 0 < k < values.size - 1 and np.isfinite(values[k - 1]) and np.isfinite(values[k + 1]):
        denom = values[k - 1] - 2.0 * values[k] + values[k + 1]
        if denom < 0:
            delta = 0.5 * (values[k - 1] - values[k + 1]) / denom
            if abs(delta) <= 1.0:
                tk += float(delta) * float(t[1] - t[0])
    return vk, tk


def interior(values: np.ndarray, t: np.ndarray, edge_s: float) -> np.ndarray:
    """values [N] with NaN within edge_s of either end of each finite stretch. A zero-phase filter has no
    data beyond a stretch's ends and its derivative there swings (pose2sim cam01: a still right wrist
    read 3.1 m/s in the clip's last 60 ms); edge_s = EDGE_CYCLES / cut-off scales with the filter, so a
    clip played at half speed (half the cut-off) loses the same frames."""
    out = np.array(values, dtype=float, copy=True)
    finite = np.isfinite(out)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], finite.astype(np.int8), [0]))))
    for start, stop in zip(edges[0::2], edges[1::2]):
        near = (t[start:stop] - t[start] < edge_s) | (t[stop - 1] - t[start:stop] < edge_s)
        out[start:stop][near] = np.nan
    return out


EDGE_CYCLES = 0.5  # half a period of the cut-off frequency


def measured_speed(kin: Kinematics, idx: int, cutoff_hz: float) -> np.ndarray:
    """[N] m/s speed of landmark idx as the report measures it (max_speed is its peak): the filter's edges
    (interior, EDGE_CYCLES / cutoff_hz) dropped, as are the stretches measurement.py leaves out (NaN where
    the pose model's trackers disagreed). One definition, so whatever else plots or compares a speed
    shows the very values the reported peak came from."""
    return interior(kin.speed[:, idx], kin.t, EDGE_CYCLES / max(float(cutoff_hz), 1e-6))
