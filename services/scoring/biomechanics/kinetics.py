"""Force and power of the striking limb from segment masses (de Leva 1996) and kinematics.

Model (Newton's second law for the limb as a system of rigid segments, Winter 2009 ch. 5):
- F(t) = |sum_i m_i a_i(t)| in N, with m_i = body mass * de Leva fraction of the limb's segments
  (upper arm 2.71 %, forearm 1.62 %, hand 0.61 % for a punch; thigh 14.16 %, shank 4.33 %,
  foot 1.37 % for a kick) and a_i the acceleration (m/s^2) of each segment's CoM. This is the net
  force that accelerates the limb; peak_force is its maximum over the clip. When the whole limb
  moves as one body with acceleration a it reduces to m_limb * a.
- P(t) = dE/dt = sum_i m_i a_i . v_i in W (rate of change of the limb's translational kinetic
  energy E = sum_i m_i |v_i|^2 / 2; segment rotational energy is neglected). mean_power is the
  mean of max(P, 0) over the active phase: the contiguous stretch around the effector's peak in
  which E stays above ACTIVE_FRACTION^2 (4 %) of its value at that peak (speeds above ~20 %). The
  limb's energy, not the effector's speed, bounds the phase, so the proximal segments' work early
  in the sequence counts (in a proximal-to-distal strike the thigh is already slowing down, handing
  its energy on, while the foot reaches its peak).
Velocities are relative to the hips (MediaPipe world frame), so whole-body translation adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.kit.landmark_outliers import runs

from .kinematics import Kinematics, central_acceleration, central_velocity
from .segments import Segment

ACTIVE_FRACTION = 0.2


@dataclass(frozen=True)
class Kinetics:
    limb_mass_kg: float
    peak_force_n: float
    mean_power_w: float
    peak_kinetic_energy_j: float
    active_phase_s: tuple[float, float]
    lever_fraction: float   # sum_i m_i d_i / (m_limb d_effector) for the straight limb (see below)


def _segment_com_kinematics(kin: Kinematics, seg: Segment) -> tuple[np.ndarray, np.ndarray]:
    com = seg.com(kin.pos)
    return central_velocity(com, kin.dt), central_acceleration(com, kin.dt)


def active_phase(energy: np.ndarray, k_peak: int) -> tuple[int, int]:
    """[start, stop) of the stretch around k_peak where energy >= ACTIVE_FRACTION^2 * energy[k_peak]."""
    above = np.nan_to_num(energy, nan=0.0) >= ACTIVE_FRACTION ** 2 * np.nan_to_num(energy[k_peak], nan=0.0)
    for start, stop in runs(above):
        if start <= k_peak < stop:
            return start, stop
    return k_peak, k_peak + 1


def lever_fraction(pos: np.ndarray, limb: tuple[Segment, ...], effector_segment: int) -> float:
    """sum_i m_i d_i / (m_limb * d_eff): how much of the limb's mass the effector's acceleration
    carries when the straight limb swings about its root joint (d = distance from the root along
    the straightened limb, from the clip's median segment lengths; d_eff = distance to the distal end
    of limb[effector_segment], e.g. the forearm for a wrist). Used for the force reference."""
    lengths = [float(np.nanmedian(np.linalg.norm(s.distal(pos) - s.proximal(pos), axis=-1))) for s in limb]
    if not all(np.isfinite(lengths)) or sum(lengths) <= 0:
        return float("nan")
    root, num = 0.0, 0.0
    for seg, length in zip(limb, lengths):
        num += seg.mass_fraction * (root + seg.com_fraction * length)
        root += length
    d_eff = sum(lengths[:effector_segment + 1])
    return num / (sum(s.mass_fraction for s in limb) * d_eff)


def limb_kinetics(kin: Kinematics, limb: tuple[Segment, ...], body_mass_kg: float,
                  effector_speed: np.ndarray, effector_segment: int) -> Kinetics:
    masses = [body_mass_kg * s.mass_fraction for s in limb]
    force = np.zeros((kin.t.size, 3))
    power = np.zeros(kin.t.size)
    energy = np.zeros(kin.t.size)
    for m, seg in zip(masses, limb):
        v, a = _segment_com_kinematics(kin, seg)
        force += m * a                                  # N
        power += m * np.sum(a * v, axis=-1)             # W = N * m/s
        energy += 0.5 * m * np.sum(v * v, axis=-1)      # J
    f_mag = np.linalg.norm(force, axis=-1)
    k_peak = int(np.nanargmax(effector_speed))
    start, stop = active_phase(energy, k_peak)
    p_active = power[start:stop]
    p_active = p_active[np.isfinite(p_active)]
    return Kinetics(
        limb_mass_kg=float(sum(masses)),
        peak_force_n=float(np.nanmax(f_mag)) if np.any(np.isfinite(f_mag)) else 0.0,
        mean_power_w=float(np.mean(np.maximum(p_active, 0.0))) if p_active.size else 0.0,
        peak_kinetic_energy_j=float(np.nanmax(energy)) if np.any(np.isfinite(energy)) else 0.0,
        active_phase_s=(float(kin.t[start]), float(kin.t[stop - 1])),
        lever_fraction=lever_fraction(kin.pos, limb, effector_segment),
    )
