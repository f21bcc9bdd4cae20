"""Which compared joint angles one camera shows well enough to compare with another recording's.

A joint angle of a video is measured from the image plane (metres) plus BlazePose's low-passed depth
(biomechanics/planar.py). Where the segments forming the angle lie near the image plane the depth
hardly matters; where one points toward the camera the angle is mostly BlazePose's depth guess, whose
error (0.1-0.2 m, learning/video_like.py) on a 0.4 m segment is tens of degrees: pose2sim's one trial
filmed by cam02 and cam04 differed by 40-53 degrees at the knee and trunk, all of it the camera.
So an angle is compared only when its plane of rotation faces the camera in both recordings at that
moment: every segment it is built from within MAX_OUT_OF_PLANE_DEG of the image plane, and for the
trunk's forward lean (a rotation about the hip line) the hip line itself pointing along the camera's
axis (a side view). The pelvis-to-shoulder rotation turns about the vertical, which always lies in the
image plane: one camera never sees it. Motion capture is 3-D and always compared.
"""

from __future__ import annotations

import numpy as np

from services.kit.image_scale import SEGMENTS
from services.scoring.biomechanics.measurement import measure
from services.scoring.biomechanics.motion import Motion

# cos(35 deg) = 0.82: the depth carries at most ~57 % of the segment, and a 0.1 m depth error on it
# moves the angle by at most ~8 degrees (design choice, from the figures above).
MAX_OUT_OF_PLANE_DEG = 35.0
SEGMENT_INDEX = {name: k for k, (name, *_) in enumerate(SEGMENTS)}
TRUNK = ("left_flank", "right_flank")
# compared angle -> segments it is built from ({s}: striking side, {o}: the other side)
# compared angle -> segments that must point along the camera's axis (more than MIN_ALONG_AXIS_DEG out)
ALONG_AXIS: dict[str, tuple[str, ...]] = {"trunk_forward_lean": ("hips",)}
MIN_ALONG_AXIS_DEG = 55.0
ANGLE_SEGMENTS: dict[str, tuple[str, ...]] = {
    "knee_flexion": ("{s}_thigh", "{s}_shank"), "support_knee_flexion": ("{o}_thigh", "{o}_shank"),
    "other_knee_flexion": ("{o}_thigh", "{o}_shank"),
    "hip_flexion": ("{s}_thigh",) + TRUNK, "hip_abduction": ("{s}_thigh", "hips"),
    "trunk_lean": TRUNK + ("hips",), "trunk_forward_lean": TRUNK,
    "elbow_flexion": ("{s}_upper_arm", "{s}_forearm"), "guard_elbow_flexion": ("{o}_upper_arm", "{o}_forearm"),
    "shoulder_elevation": ("{s}_upper_arm",) + TRUNK,
}


def out_of_plane(motion: Motion, t_grid: np.ndarray) -> np.ndarray | None:
    """[N,S] degrees between each segment and the image plane at the grid times (nearest video frame);
    None for motion capture (no image: everything is seen)."""
    cos = measure(motion).segment_in_plane
    if cos is None:
        return None
    deg = np.degrees(np.arccos(cos))
    frame = np.clip(np.searchsorted(motion.t, t_grid), 0, len(motion.t) - 1)
    return deg[frame]


def mirror_columns(planes: np.ndarray | None) -> np.ndarray | None:
    """The same table for the mirrored body (left and right segments exchanged)."""
    if planes is None:
        return None
    names = [name for name, *_ in SEGMENTS]
    swap = [SEGMENT_INDEX[n.replace("left", "#").replace("right", "left").replace("#", "right")] for n in names]
    return planes[:, swap]


def angle_seen(planes: np.ndarray | None, k: int, name: str, side: str) -> bool:
    """Whether compared angle `name` (technique side `side`) is seen well enough at grid frame k."""
    if planes is None:
        return True
    other = "right" if side == "left" else "left"
    cols = [SEGMENT_INDEX[s.format(s=side, o=other)] for s in ANGLE_SEGMENTS.get(name, ())]
    along = [SEGMENT_INDEX[s] for s in ALONG_AXIS.get(name, ())]
    values, axis = planes[k, cols], planes[k, along]
    return (bool(cols) and bool(np.all(np.isfinite(values))) and bool(np.max(values) <= MAX_OUT_OF_PLANE_DEG)
            and bool(np.all(np.isfinite(axis))) and bool(np.all(axis >= MIN_ALONG_AXIS_DEG)))
