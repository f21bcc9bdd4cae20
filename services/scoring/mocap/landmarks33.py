"""CMU ASF/AMC joints -> the 33 BlazePose landmarks, in MediaPipe's world axes (metres, y down).

Mapping (CMU bone ends after forward kinematics; "end" = a bone's distal end; l/r = the subject's
left/right, as MediaPipe's "left"/"right"). Bone lengths of subject 135 put the wrist joint at the
radius end (elbow-wrist 0.18 m, wrist-knuckles 0.09 m, as an adult hand's metacarpals):
  11/12 shoulder  = clavicle end          13/14 elbow = humerus end      15/16 wrist = radius end
  17/19 pinky/index knuckle = wrist-bone end -/+ HAND_HALF_WIDTH_M across the hand (the hand's rest
        frame: palm down, thumb forward, so index = +z, pinky = -z in the rest pose)
  21/22 thumb     = thumb end             23/24 hip = hipjoint end       25/26 knee = femur end
  27/28 ankle     = tibia end             31/32 foot index (toe tip) = toes end
  29/30 heel      = ankle + R_foot (0, -drop, -HEEL_BACK) in the rest frame: the calcaneus moves
        rigidly with the foot, 0.2 foot lengths (0.152 H) behind the ankle (Drillis & Contini 1966
        segment proportions, H = stature estimated from the leg: thigh + shank = 0.491 H). CMU's
        foot chain runs along the top of the foot (in the rest pose the toes end is only ~2 cm below
        the ankle centre), so the heel is put at the toes end's rest height (drop), not at the sole:
        a flat foot's heel and toe are then level, as BlazePose's heel and foot index are, and
        balance sees both in contact. The toe stays the toes end, the point of the CMU figures.
  7/8 ears        = head end -/+ HEAD_HALF_WIDTH_M along the head's lateral axis; 0 nose = head end +
        NOSE_FORWARD_M along the head's forward axis (the head bone ends at ear level in the rest pose)
  1-6 eyes, 9/10 mouth: no mocap counterpart -> NaN, visibility 0.
Derived points (knuckles, heels, ears, nose) are rigid offsets of a tracked bone, so they move
exactly as that bone does; they are marked visible. The frame can be kept as captured ("lab") or
made hip-centred like MediaPipe's world landmarks ("hips": origin at the mid-point of the hips).
"""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics import landmarks as L

from .forward_kinematics import Pose, to_mediapipe_axes

HAND_HALF_WIDTH_M = 0.04      # half the knuckle width of an adult hand (~8 cm across MCP 2-5)
HEAD_HALF_WIDTH_M = 0.075     # half the bitragion breadth (~15 cm)
NOSE_FORWARD_M = 0.10         # tip of the nose ahead of the ear line
FOOT_LENGTH_OF_STATURE = 0.152
THIGH_SHANK_OF_STATURE = 0.491
HEEL_BACK_OF_FOOT = 0.2

NOT_CAPTURED = (1, 2, 3, 4, 5, 6, 9, 10)


def _offset(pose: Pose, bone: str, base: np.ndarray, rest_offset: np.ndarray) -> np.ndarray:
    """[F,3] point rigidly attached to `bone`: base + R_bone . rest_offset (ASF axes, metres)."""
    return base + np.einsum("fij,j->fi", pose.rotation[bone], rest_offset)


def stature_m(pose: Pose) -> float:
    """Stature estimated from the rest-pose leg (hip -> knee -> ankle), m."""
    leg = sum(np.linalg.norm(pose.rest_end[b] - pose.rest_end[p])
              for p, b in (("lhipjoint", "lfemur"), ("lfemur", "ltibia")))
    return float(leg / THIGH_SHANK_OF_STATURE)


def to_landmarks(pose: Pose, frame: str = "lab") -> tuple[np.ndarray, np.ndarray]:
    """(world [F,33,3] m in MediaPipe axes, visibility [F,33]) for a solved ASF/AMC pose."""
    if frame not in ("lab", "hips"):
        raise ValueError("frame must be 'lab' or 'hips'")
    e = pose.end
    frames = e["root"].shape[0]
    out = np.full((frames, L.N_LANDMARKS, 3), np.nan)
    height = stature_m(pose)
    back = -HEEL_BACK_OF_FOOT * FOOT_LENGTH_OF_STATURE * height
    for side, s in (("left", "l"), ("right", "r")):
        drop = pose.rest_end[f"{s}toes"][1] - pose.rest_end[f"{s}tibia"][1]
        heel_rest = np.array([0.0, drop, back])
        idx = {name: getattr(L, f"{side.upper()}_{name}") for name in
               ("SHOULDER", "ELBOW", "WRIST", "PINKY", "INDEX", "THUMB", "HIP", "KNEE", "ANKLE", "HEEL", "TOE")}
        out[:, idx["SHOULDER"]] = e[f"{s}clavicle"]
        out[:, idx["ELBOW"]] = e[f"{s}humerus"]
        out[:, idx["WRIST"]] = e[f"{s}radius"]
        knuckles = e[f"{s}wrist"]
        across = np.array([0.0, 0.0, HAND_HALF_WIDTH_M])
        out[:, idx["INDEX"]] = _offset(pose, f"{s}wrist", knuckles, across)
        out[:, idx["PINKY"]] = _offset(pose, f"{s}wrist", knuckles, -across)
        out[:, idx["THUMB"]] = e[f"{s}thumb"]
        out[:, idx["HIP"]] = e[f"{s}hipjoint"]
        out[:, idx["KNEE"]] = e[f"{s}femur"]
        out[:, idx["ANKLE"]] = e[f"{s}tibia"]
        out[:, idx["HEEL"]] = _offset(pose, f"{s}foot", e[f"{s}tibia"], heel_rest)
        out[:, idx["TOE"]] = e[f"{s}toes"]
    head = e["head"]
    out[:, L.LEFT_EAR] = _offset(pose, "head", head, np.array([HEAD_HALF_WIDTH_M, 0.0, 0.0]))
    out[:, L.RIGHT_EAR] = _offset(pose, "head", head, np.array([-HEAD_HALF_WIDTH_M, 0.0, 0.0]))
    out[:, L.NOSE] = _offset(pose, "head", head, np.array([0.0, 0.0, NOSE_FORWARD_M]))
    out = to_mediapipe_axes(out)
    if frame == "hips":
        out = out - 0.5 * (out[:, L.LEFT_HIP] + out[:, L.RIGHT_HIP])[:, None, :]
    visibility = np.ones((frames, L.N_LANDMARKS))
    visibility[:, list(NOT_CAPTURED)] = 0.0
    return out, visibility
