"""Per-frame time series of a measured performance: effector speeds (m/s) and joint angles (deg).

Nothing is measured anew: the speeds are the report's (kinematics.measured_speed: image-plane metric
speeds for a video, the lab frame's for motion capture, filter edges dropped), so the reported max_speed is
the largest value of its effector's series; the angles are angles.py's on the same filtered positions the
comparison reads them from (its Performance.angles when it has them). Each frame shows the grid's largest
speed within its interval (frames.frame_max) and the angle at its instant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.angles import joint_angles
from services.scoring.biomechanics.kinematics import Kinematics, measured_speed

from .frames import frame_max, grid_at, json_values

DECIMALS = 3
SIDES = ("left", "right")
SPEEDS: dict[str, int] = {f"{side}_{part}": L.EFFECTORS[f"{side}_{part}"]
                          for part in ("wrist", "ankle", "toe") for side in SIDES}
# Timeline name -> angles.py name.
ANGLES: dict[str, str] = {f"{side}_{joint}_angle": f"{side}_{joint}_flexion"
                          for joint in ("knee", "hip", "elbow") for side in SIDES}
_ANGLE_WORDS = {
    "knee": "knee flexion: 0 = straight, + = bent (180 - the hip-knee-ankle angle)",
    "hip": "hip flexion: 0 = thigh in line with the trunk, + = thigh forward/up (ISB hip, about the pelvis)",
    "elbow": "elbow flexion: 0 = straight, + = bent (180 - the shoulder-elbow-wrist angle)",
}


@dataclass(frozen=True)
class Series:
    name: str
    unit: str
    values: np.ndarray      # [n] per frame, NaN where not measured
    description: str

    def as_json(self) -> dict:
        return {"name": self.name, "unit": self.unit, "values": json_values(self.values, DECIMALS),
                "description": self.description}


def frame_series(kin: Kinematics, cutoff_hz: float, frame_t: np.ndarray, source: str,
                 angles: dict[str, np.ndarray] | None = None) -> list[Series]:
    """The series at frames frame_t (s) of kinematics filtered at cutoff_hz. angles: angles.joint_angles of
    every grid sample when already computed (the comparison's), else computed at the frames' samples.
    source: "image_plane" or "world" (measurement.Measured.source), said in the speeds' description."""
    where = ("in the image plane, metres from the performer's bone lengths" if source == "image_plane"
             else "in 3-D")
    out = [Series(f"{name}_speed", "m/s", frame_max(kin.t, measured_speed(kin, idx, cutoff_hz), frame_t),
                  f"speed of the {name.replace('_', ' ')} {where}, the largest within each frame's interval")
           for name, idx in SPEEDS.items()]
    k, inside = grid_at(kin.t, frame_t)
    if angles is None:
        angles = joint_angles(kin.pos[k])
        at = np.arange(k.size)
    else:
        at = k
    for name, source_name in ANGLES.items():
        values = np.where(inside, angles[source_name][at], np.nan)
        out.append(Series(name, "deg", values, _ANGLE_WORDS[name.split("_")[1]]))
    return out
