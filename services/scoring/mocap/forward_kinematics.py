"""Forward kinematics of an ASF skeleton driven by AMC rotations: joint positions and frames in metres.

For a bone b with parent p (CMU ASF/AMC convention, as in CalciferZh/AMCParser):
  C_b  = Euler(axis_b)                    the bone's local frame in the rest pose
  M_b  = M_p . C_b . R(dof_b) . C_b^-1    global rotation of the bone relative to the rest pose
  x_b  = x_p + length_b * M_b . direction_b   the bone's distal end (x of the root = its translation)
with Euler(a) = Rz(a_z) Ry(a_y) Rx(a_x) for the order "XYZ" (x applied first), angles in degrees.
Output axes are the ASF's (CMU: Y up); `to_mediapipe_axes` turns them into MediaPipe's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .asf_amc import Skeleton


def _axis_matrix(axis: str, angle: np.ndarray) -> np.ndarray:
    """[F,3,3] right-handed rotation by angle (rad, [F]) about the named axis."""
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(angle), np.zeros_like(angle)
    rows = {
        "X": ((one, zero, zero), (zero, c, -s), (zero, s, c)),
        "Y": ((c, zero, s), (zero, one, zero), (-s, zero, c)),
        "Z": ((c, -s, zero), (s, c, zero), (zero, zero, one)),
    }[axis]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def euler(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """[F,3,3] rotation for Euler angles [F,3] (x, y, z columns, degrees) applied in `order` (first first)."""
    angles = np.deg2rad(np.atleast_2d(angles_deg))
    index = {"X": 0, "Y": 1, "Z": 2}
    out = np.broadcast_to(np.eye(3), (angles.shape[0], 3, 3)).copy()
    for axis in order:
        out = _axis_matrix(axis, angles[:, index[axis]]) @ out
    return out


@dataclass(frozen=True)
class Pose:
    """Per-frame results of forward kinematics, ASF axes, metres."""

    end: dict[str, np.ndarray]        # bone -> [F,3] position of its distal end ("root" -> root position)
    rotation: dict[str, np.ndarray]   # bone -> [F,3,3] global rotation relative to the rest pose
    rest_end: dict[str, np.ndarray]   # bone -> [3] distal end in the rest pose (root at the origin)


def solve(skeleton: Skeleton, motion: dict[str, np.ndarray]) -> Pose:
    root = motion["root"]
    frames = root.shape[0]
    order = list(skeleton.root_order)
    trans = np.stack([root[:, order.index(k)] if k in order else np.zeros(frames) for k in ("TX", "TY", "TZ")], -1)
    rot = np.stack([root[:, order.index(k)] if k in order else np.zeros(frames) for k in ("RX", "RY", "RZ")], -1)
    scale = skeleton.length_to_m
    end = {"root": trans * scale}
    rotation = {"root": euler(rot, skeleton.root_axis_order)}
    rest_end = {"root": np.zeros(3)}
    parents = skeleton.parent_of()
    for name in skeleton.order():
        bone, parent = skeleton.bones[name], parents[name]
        c = euler(bone.axis[None, :], bone.axis_order)[0]
        dof_angles = np.zeros((frames, 3))
        for k, dof in enumerate(bone.dof):
            dof_angles[:, "xyz".index(dof[1])] = motion[name][:, k]
        local = c @ euler(dof_angles, bone.axis_order) @ c.T
        rotation[name] = rotation[parent] @ local
        offset = bone.length * scale * bone.direction
        end[name] = end[parent] + np.einsum("fij,j->fi", rotation[name], offset)
        rest_end[name] = rest_end[parent] + offset
    return Pose(end=end, rotation=rotation, rest_end=rest_end)


def to_mediapipe_axes(points: np.ndarray) -> np.ndarray:
    """ASF/CMU axes (Y up, right-handed) -> MediaPipe world axes (y down, right-handed): (x, -y, -z).

    A 180 degree rotation about x, so lengths, angles and handedness are preserved.
    """
    return points * np.array([1.0, -1.0, -1.0])
