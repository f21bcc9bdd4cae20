"""BlazePose 33-landmark indices and the striking effectors (left = odd indices)."""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 33

NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_PINKY, RIGHT_PINKY = 17, 18
LEFT_INDEX, RIGHT_INDEX = 19, 20
LEFT_THUMB, RIGHT_THUMB = 21, 22
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_TOE, RIGHT_TOE = 31, 32  # "foot index" in MediaPipe's naming

NAMES: dict[int, str] = {
    NOSE: "nose", LEFT_EAR: "left_ear", RIGHT_EAR: "right_ear",
    LEFT_SHOULDER: "left_shoulder", RIGHT_SHOULDER: "right_shoulder",
    LEFT_ELBOW: "left_elbow", RIGHT_ELBOW: "right_elbow",
    LEFT_WRIST: "left_wrist", RIGHT_WRIST: "right_wrist",
    LEFT_HIP: "left_hip", RIGHT_HIP: "right_hip",
    LEFT_KNEE: "left_knee", RIGHT_KNEE: "right_knee",
    LEFT_ANKLE: "left_ankle", RIGHT_ANKLE: "right_ankle",
    LEFT_HEEL: "left_heel", RIGHT_HEEL: "right_heel",
    LEFT_TOE: "left_toe", RIGHT_TOE: "right_toe",
}

# Striking end effectors (the chain timed for each: chain.timed_chain).
EFFECTORS: dict[str, int] = {
    "left_wrist": LEFT_WRIST, "right_wrist": RIGHT_WRIST,
    "left_toe": LEFT_TOE, "right_toe": RIGHT_TOE,
    "left_ankle": LEFT_ANKLE, "right_ankle": RIGHT_ANKLE,
}
FOOT_POINTS = {"left": (LEFT_HEEL, LEFT_TOE), "right": (RIGHT_HEEL, RIGHT_TOE)}


def side_of(effector: str) -> str:
    return effector.split("_", 1)[0]


def label(index: int) -> str:
    """Human name of a landmark without its side ("left_knee" -> "knee")."""
    return NAMES.get(index, f"landmark {index}").split("_", 1)[-1]


# BlazePose numbering: 1-3 left eye, 4-6 right eye, then (left, right) pairs 7/8, 9/10 and, from 11 on,
# odd = left, even = right (MediaPipe Pose landmark model card).
_LEFT_RIGHT = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, N_LANDMARKS, 2)))
MIRROR_INDEX = np.arange(N_LANDMARKS)
for _l, _r in _LEFT_RIGHT:
    MIRROR_INDEX[_l], MIRROR_INDEX[_r] = _r, _l
MIRROR_INDEX.flags.writeable = False

# Reflection through the body's sagittal plane as the camera sees it (x -> -x). Swapping the labels
# alone would put the left leg where the right one was; negating x as well gives the mirror image of
# the body, i.e. the same technique performed with the other side.
_FLIP = np.array([-1.0, 1.0, 1.0])


def mirror_positions(pos: np.ndarray) -> np.ndarray:
    """[...,33,3] landmarks -> the mirrored body: left and right swapped, x negated (same units)."""
    return pos[..., MIRROR_INDEX, :] * _FLIP
