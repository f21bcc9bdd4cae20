"""One performance (student or coach) measured repetition by repetition, on the striking side's terms.

Every value here comes from the biomechanics core, computed on the repetition's own window
[start, end] (repetitions.py), so other repetitions in the clip never leak in:
- phase durations (ms): Repetition.phases_ms, plus "total" = end - start;
- joint angles (degrees, angles.py convention) at the key moments chamber, extension, retraction,
  renamed relative to the striking side s (effector's side) and the other side o, so a left kick and
  a right kick are described by the same names (COMPARED_ANGLES). hip_rotation is angles.py's
  pelvis_rotation signed so that + = the striking side's hip turned ahead of the shoulders
  (pelvis_rotation is + when the right hip is ahead, so it is negated for a left-side technique);
- peak effector speed (m/s): Repetition.peak_speed_m_s;
- peak net force of the striking limb (N): kinetics.limb_kinetics with de Leva segment masses;
- kinetic chain (chain.technique_chain): peak-speed times and proximal-to-distal lags (ms) of the timed pairs;
- balance (balance.py) of the settled stance after the repetition, evaluated at BALANCE_RATE_HZ (see below).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.angles import joint_angles
from services.scoring.biomechanics.balance import SETTLE_S, Balance, Vertical, balance, estimate_vertical
from services.scoring.biomechanics.chain import ORDER_RESOLUTION_MS, Chain, order_resolution_ms, technique_chain
from services.scoring.biomechanics.kinematics import Kinematics
from services.scoring.biomechanics.kinetics import limb_kinetics
from services.scoring.biomechanics.measurement import measure as measure_motion
from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.repetitions import Repetition, find_repetitions
from services.scoring.biomechanics.segments import effector_segment, limb_segments

from .mirror import mirror_kinematics, mirror_repetition, other_side
from .poses import pose_features
from .viewpoint import angle_seen, mirror_columns, out_of_plane

MOMENTS = ("chamber", "extension", "retraction")
# Compared angle -> angles.py name ({s}: striking side, {o}: the other side).
COMPARED_ANGLES: dict[str, dict[str, str]] = {
    "kick": {"knee_flexion": "{s}_knee_flexion", "hip_flexion": "{s}_hip_flexion",
             "hip_abduction": "{s}_hip_abduction", "support_knee_flexion": "{o}_knee_flexion",
             "trunk_lean": "trunk_lean", "trunk_forward_lean": "trunk_forward_lean",
             "hip_rotation": "pelvis_rotation"},
    "punch": {"elbow_flexion": "{s}_elbow_flexion", "shoulder_elevation": "{s}_shoulder_elevation",
              "guard_elbow_flexion": "{o}_elbow_flexion", "knee_flexion": "{s}_knee_flexion",
              "other_knee_flexion": "{o}_knee_flexion", "trunk_lean": "trunk_lean",
              "trunk_forward_lean": "trunk_forward_lean", "hip_rotation": "pelvis_rotation"},
}
# The balance of a video is only known at its frame rate (~30 fps); the 120 Hz analysis grid is an
# interpolation between those frames, and balance.py costs ~0.5 ms a frame, so every 4th sample.
BALANCE_RATE_HZ = 30.0


@dataclass(frozen=True)
class Performance:
    kin: Kinematics
    reps: list[Repetition]
    angles: dict[str, np.ndarray]   # angles.joint_angles of every grid frame, degrees
    vertical: Vertical              # estimated once from the whole clip (a repetition alone has too little contact)
    mirrored: bool = False
    planes: np.ndarray | None = None  # [N,S] segments' angle to the image plane, degrees (viewpoint.py)
    cutoff_hz: float = 0.0          # the low-pass the positions were filtered at (speeds' edges, kinematics.py)
    order_resolution_ms: float = ORDER_RESOLUTION_MS   # chain peaks closer than this are not ordered (chain.py)


@dataclass(frozen=True)
class RepMeasures:
    rep: Repetition
    side: str                                  # striking side, "left"/"right"
    phases_ms: dict[str, float]                # 4 phases + "total", ms
    angles: dict[str, dict[str, float]]        # moment -> compared angle -> degrees
    seen: dict[str, dict[str, bool]]           # moment -> compared angle -> seen well enough (viewpoint.py)
    peak_speed_m_s: float
    peak_force_n: float
    body_mass_kg: float
    chain: Chain
    balance: Balance
    dt_s: float                                # grid interval of the frames (alignment paths count these)

    @property
    def force_per_kg(self) -> float:
        """N/kg: the limb force divided by body mass (= de Leva mass-fraction-weighted acceleration)."""
        return self.peak_force_n / self.body_mass_kg


def prepare(motion: Motion, family: str) -> Performance:
    """Filter, differentiate and segment a Motion (biomechanics core); angles of every frame."""
    measured = measure_motion(motion)
    kin = measured.kinematics
    return Performance(kin=kin, reps=find_repetitions(kin, family), angles=joint_angles(kin.pos),
                       vertical=estimate_vertical(kin.pos), planes=out_of_plane(motion, kin.t),
                       cutoff_hz=float(measured.smoothed.settings["cutoff_hz"]),
                       order_resolution_ms=order_resolution_ms(measured.smoothed.video_fs))


def mirrored(perf: Performance) -> Performance:
    """The performance done with the other side (mirror.py); angles recomputed on the mirrored body."""
    kin = mirror_kinematics(perf.kin)
    return Performance(kin=kin, reps=[mirror_repetition(r) for r in perf.reps], angles=joint_angles(kin.pos),
                       vertical=estimate_vertical(kin.pos), mirrored=not perf.mirrored,
                       planes=mirror_columns(perf.planes), cutoff_hz=perf.cutoff_hz,
                       order_resolution_ms=perf.order_resolution_ms)


def side_of(rep: Repetition) -> str:
    return L.side_of(rep.effector)


def _index(kin: Kinematics, t: float) -> int:
    return int(np.clip(round((t - kin.t[0]) / kin.dt), 0, kin.t.size - 1))


def window(kin: Kinematics, rep: Repetition) -> slice:
    """Grid samples of the repetition, start to end inclusive."""
    return slice(_index(kin, rep.start_s), _index(kin, rep.end_s) + 1)


def features(perf: Performance, rep: Repetition) -> np.ndarray:
    """DTW features of the repetition (poses.pose_features)."""
    return pose_features(perf.kin.pos[window(perf.kin, rep)], perf.kin.dt)


def _slice(kin: Kinematics, sl: slice) -> Kinematics:
    return replace(kin, t=kin.t[sl], pos=kin.pos[sl], vel=kin.vel[sl], acc=kin.acc[sl], speed=kin.speed[sl])


def compared_angles(perf: Performance, k: int, side: str, family: str) -> dict[str, float]:
    """Compared angles (degrees) at grid frame k for a technique done with `side`."""
    out = {}
    for name, source in COMPARED_ANGLES[family].items():
        value = float(perf.angles[source.format(s=side, o=other_side(side))][k])
        out[name] = -value if name == "hip_rotation" and side == "left" else value
    return out


def measure(perf: Performance, rep: Repetition, family: str, body_mass_kg: float) -> RepMeasures:
    kin, side = perf.kin, side_of(rep)
    sl = window(kin, rep)
    part = _slice(kin, sl)
    effector = L.EFFECTORS[rep.effector]
    kinetic = limb_kinetics(part, limb_segments(rep.effector), body_mass_kg, part.speed[:, effector],
                            effector_segment(rep.effector))
    step = max(1, int(round(1.0 / (BALANCE_RATE_HZ * kin.dt))))
    phases = dict(rep.phases_ms())
    phases["total"] = 1000.0 * (rep.end_s - rep.start_s)
    moments = rep.moments()
    return RepMeasures(
        rep=rep, side=side, phases_ms=phases,
        angles={m: compared_angles(perf, _index(kin, moments[m]), side, family) for m in MOMENTS},
        seen={m: {name: angle_seen(perf.planes, _index(kin, moments[m]), name, side)
                  for name in COMPARED_ANGLES[family]} for m in MOMENTS},
        peak_speed_m_s=float(rep.peak_speed_m_s), peak_force_n=float(kinetic.peak_force_n),
        body_mass_kg=float(body_mass_kg),
        chain=technique_chain(kin, family, rep.effector, rep.peak_s, perf.order_resolution_ms),
        balance=settled_balance(perf, rep, step), dt_s=float(kin.dt))


def settled_balance(perf: Performance, rep: Repetition, step: int) -> Balance:
    """Balance of the settled stance after the repetition (balance.py: SETTLE_S after its end, XCoM), as
    the physics report judges it; one sample either side so the CoM velocity exists at the window's ends."""
    kin = perf.kin
    lo, hi = _index(kin, rep.end_s), _index(kin, rep.end_s + SETTLE_S)
    frames = slice(max(0, lo - step), hi + step + 1, step)
    return balance(kin.pos[frames], dt=kin.dt * step, vertical=perf.vertical, vel=kin.vel[frames])
