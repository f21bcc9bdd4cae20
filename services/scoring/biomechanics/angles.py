"""Joint angles (degrees) from BlazePose world landmarks, in one anatomical convention.

Input: pos [N,33,3] (or one frame [33,3]) in metres, MediaPipe world layout (motion.py: x to the
image's right, y DOWN, z away from the camera; a right-handed frame). "left"/"right" are the
subject's own sides (BlazePose labels, odd indices = left). Output: degrees per frame, NaN where a
landmark the angle needs is NaN or the geometry is degenerate (coincident points).

Convention. Zero is the anatomical position (standing upright, arms hanging, palms forward); every
angle is measured in body-fixed frames built from the landmarks, so the same pose gives the same
number wherever the camera is. The one exception is the trunk lean, which needs gravity: it takes
world -y as "up", so it is only as good as the camera is level (BlazePose world y follows the
image's vertical).

Trunk-pelvis frame (per frame). Anatomical axes as in the ISB pelvis frame (Wu et al. 2002, J Biomech
35:543-548: X anterior, Y superior, Z to the right, origin at the hip centre):
  Z = unit(right_hip - left_hip);
  Y = unit(component of (mid_shoulder - mid_hip) orthogonal to Z);
  X = Y x Z (anterior; correct because the landmark frame is right-handed).
BlazePose has no ASIS/PSIS points, so this block is pelvis and trunk together: lumbar flexion is
folded into hip flexion, as in an OpenSim model whose lumbar joints are locked (the Pose2Sim model's
L5_S1 flexion stays ~0 in its IK). OpenSim's pelvis axes are not the hip-shoulder line, so the two
differ by a few degrees (on the Pose2Sim trial's own markers hip flexion here reads 4.8 / 2.1 deg
below OpenSim's, right / left; bench/angles_vs_opensim.py).

Angles (all degrees):
- {side}_hip_flexion, {side}_hip_abduction: the ISB hip joint coordinate system (Wu et al. 2002,
  section 3.4; Grood & Suntay 1983): flexion about the pelvis Z axis, then ab/adduction about the
  floating axis. Both follow from the thigh direction alone, d = unit(knee - hip) in the frame:
  flexion = atan2(d.X, -d.Y) (0 = thigh in line with the trunk, + = thigh forward/up, - = extension,
  range -180..180); abduction = asin(d.lateral) with lateral = +Z for the right leg, -Z for the left
  (+ = thigh away from the midline, - = adduction). The third (axial) rotation needs a femur frame
  and is not given.
- {side}_knee_flexion, {side}_elbow_flexion: 180 - the 3-D angle at the joint between its two
  segments (hip-knee-ankle, shoulder-elbow-wrist): 0 = straight, + = flexed. The 3-D angle does
  not depend on the rotation of the limb about its long axis; hyperextension (a few degrees) reads
  as a small positive value, since three points cannot tell which way a straight limb bends.
- {side}_shoulder_elevation: angle between the upper arm (shoulder -> elbow) and the trunk's
  downward axis -Y: 0 = arm hanging, 90 = horizontal, 180 = overhead, in whatever plane it rises
  (the "elevation" angle of the ISB thorax-humerus Y-X-Y sequence, Wu et al. 2005, J Biomech
  38:981-992). Always >= 0.
- trunk_lean: angle between the trunk axis (mid_hip -> mid_shoulder) and world up (-y), >= 0, any
  direction. trunk_forward_lean: its component in the vertical plane that contains the pelvis's
  anterior direction: atan2(s.a, s.up) with a = unit(up x Z) (horizontal, anterior), + = forward.
- pelvis_rotation: rotation of the pelvis about the trunk axis relative to the shoulders (not the
  camera): the angle from the shoulder line (left -> right) to the hip line (left -> right), both
  projected on the plane perpendicular to mid_hip -> mid_shoulder, positive counter-clockwise seen
  from above, i.e. + = pelvis turned towards the subject's left of the shoulders (right hip ahead),
  range -180..180. This is the "hip-shoulder separation" of striking and throwing studies.
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

SIDES = ("left", "right")
ANGLE_NAMES: tuple[str, ...] = (
    *(f"{s}_{a}" for a in ("hip_flexion", "hip_abduction", "knee_flexion", "shoulder_elevation", "elbow_flexion")
      for s in SIDES),
    "trunk_lean", "trunk_forward_lean", "pelvis_rotation",
)
_EPS_M = 1e-6  # shorter vectors (metres) are treated as undefined directions


def _unit(v: np.ndarray) -> np.ndarray:
    """Unit vectors along the last axis; NaN where the vector is (near) zero or NaN."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > _EPS_M, v / n, np.nan)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", a, b)


def _reject(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Component of v perpendicular to the unit vector `axis`."""
    return v - _dot(v, axis)[..., None] * axis


def _deg_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between unit vectors, degrees (clipped dot product keeps rounding from giving NaN)."""
    return np.degrees(np.arccos(np.clip(_dot(a, b), -1.0, 1.0)))


def trunk_pelvis_frame(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X anterior, Y superior, Z right) unit axes [N,3] of the trunk-pelvis frame (see the module doc)."""
    hip_l, hip_r = pos[:, L.LEFT_HIP], pos[:, L.RIGHT_HIP]
    mid_hip = 0.5 * (hip_l + hip_r)
    mid_sh = 0.5 * (pos[:, L.LEFT_SHOULDER] + pos[:, L.RIGHT_SHOULDER])
    z = _unit(hip_r - hip_l)
    y = _unit(_reject(mid_sh - mid_hip, z))
    x = np.cross(y, z)
    return x, y, z


def _flexion_3pt(pos: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    """180 - angle abc: 0 when a, b, c are in line (straight limb), degrees."""
    return _deg_between(_unit(pos[:, b] - pos[:, a]), _unit(pos[:, c] - pos[:, b]))


def _as_frames(pos: np.ndarray) -> np.ndarray:
    pos = np.asarray(pos, dtype=float)
    if pos.ndim == 2:
        pos = pos[None]
    if pos.ndim != 3 or pos.shape[1:] != (L.N_LANDMARKS, 3):
        raise ValueError(f"expected landmarks of shape [N,{L.N_LANDMARKS},3] (or [{L.N_LANDMARKS},3]), got {pos.shape}")
    return pos


def joint_angles(pos: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame joint angles in degrees, keyed by ANGLE_NAMES, each [N] (see the module doc)."""
    pos = _as_frames(pos)
    x, y, z = trunk_pelvis_frame(pos)
    out: dict[str, np.ndarray] = {}
    for side in SIDES:
        left = side == "left"
        hip, knee, ankle = (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE) if left else (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)
        sh, el, wr = (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST) if left else (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST)
        thigh = _unit(pos[:, knee] - pos[:, hip])
        lateral = -z if left else z
        # ISB hip JCS (Wu 2002): flexion about pelvis Z first, then ab/adduction about the floating axis.
        out[f"{side}_hip_flexion"] = np.degrees(np.arctan2(_dot(thigh, x), -_dot(thigh, y)))
        out[f"{side}_hip_abduction"] = np.degrees(np.arcsin(np.clip(_dot(thigh, lateral), -1.0, 1.0)))
        out[f"{side}_knee_flexion"] = _flexion_3pt(pos, hip, knee, ankle)
        out[f"{side}_shoulder_elevation"] = _deg_between(_unit(pos[:, el] - pos[:, sh]), -y)
        out[f"{side}_elbow_flexion"] = _flexion_3pt(pos, sh, el, wr)
    mid_hip = 0.5 * (pos[:, L.LEFT_HIP] + pos[:, L.RIGHT_HIP])
    trunk = _unit(0.5 * (pos[:, L.LEFT_SHOULDER] + pos[:, L.RIGHT_SHOULDER]) - mid_hip)
    up = np.broadcast_to(np.array([0.0, -1.0, 0.0]), trunk.shape)  # MediaPipe world y points down
    out["trunk_lean"] = _deg_between(trunk, up)
    anterior_h = _unit(np.cross(up, z))  # horizontal anterior: up x right = forward (right-handed)
    out["trunk_forward_lean"] = np.degrees(np.arctan2(_dot(trunk, anterior_h), _dot(trunk, up)))
    # Hip-shoulder separation about the trunk axis, signed by the right-hand rule around "up the trunk".
    sh_line = _unit(_reject(pos[:, L.RIGHT_SHOULDER] - pos[:, L.LEFT_SHOULDER], trunk))
    hip_line = _unit(_reject(pos[:, L.RIGHT_HIP] - pos[:, L.LEFT_HIP], trunk))
    out["pelvis_rotation"] = np.degrees(np.arctan2(_dot(np.cross(sh_line, hip_line), trunk), _dot(sh_line, hip_line)))
    return {name: out[name] for name in ANGLE_NAMES}


def angles_at(pos: np.ndarray, k: int) -> dict[str, float]:
    """Joint angles (degrees, NaN when unknown) of frame k of pos [N,33,3], e.g. at a key moment."""
    pos = _as_frames(pos)
    return {name: float(v[0]) for name, v in joint_angles(pos[k:k + 1]).items()}


__all__ = ["ANGLE_NAMES", "angles_at", "joint_angles", "trunk_pelvis_frame"]
