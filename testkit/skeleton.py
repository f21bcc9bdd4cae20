"""Synthetic BlazePose world-landmark skeletons for the biomechanics tests.

A neutral standing adult (~1.75 m) facing the camera, in MediaPipe's world frame: metres, origin at
the hip centre, x to the image's right (the subject's left), y down, z away from the camera.
Segment lengths: thigh 0.44 m, shank 0.42 m, upper arm 0.28 m, forearm 0.26 m, ankle height 0.07 m,
foot 0.25 m heel to toe.
"""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics import Motion

GROUND_Y = 0.93  # m below the hip centre


def standing_pose() -> np.ndarray:
    """[33,3] metres."""
    p = np.zeros((33, 3))
    for left, sx in ((True, 1.0), (False, -1.0)):
        o = 0 if left else 1  # left landmarks are odd, right even (for indices >= 11)
        def put(i_left: int, x: float, y: float, z: float) -> None:
            p[i_left + o] = (sx * x, y, z)
        put(11, 0.19, -0.50, 0.0)     # shoulder
        put(13, 0.21, -0.22, 0.0)     # elbow (upper arm 0.28 m)
        put(15, 0.22, 0.04, 0.0)      # wrist (forearm 0.26 m)
        put(17, 0.24, 0.12, 0.01)     # pinky
        put(19, 0.21, 0.13, -0.01)    # index
        put(21, 0.19, 0.09, -0.02)    # thumb
        put(23, 0.10, 0.0, 0.0)       # hip
        put(25, 0.10, 0.44, 0.0)      # knee (thigh 0.44 m)
        put(27, 0.10, 0.86, 0.0)      # ankle (shank 0.42 m)
        put(29, 0.10, GROUND_Y, 0.05)   # heel
        put(31, 0.11, GROUND_Y, -0.20)  # toe (foot 0.25 m)
    p[0] = (0.0, -0.68, -0.10)                       # nose
    p[1:4] = [(0.02, -0.71, -0.09), (0.035, -0.71, -0.09), (0.05, -0.71, -0.09)]   # left eye
    p[4:7] = [(-0.02, -0.71, -0.09), (-0.035, -0.71, -0.09), (-0.05, -0.71, -0.09)]
    p[7], p[8] = (0.08, -0.69, 0.0), (-0.08, -0.69, 0.0)     # ears
    p[9], p[10] = (0.03, -0.64, -0.09), (-0.03, -0.64, -0.09)  # mouth
    return p


def still(n: int, fps: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """(t [n] s, world [n,33,3] m) of a skeleton standing still."""
    t = np.arange(n) / fps
    return t, np.repeat(standing_pose()[None], n, axis=0)


def motion(t: np.ndarray, world: np.ndarray, visibility: np.ndarray | None = None,
           detected: np.ndarray | None = None) -> Motion:
    n = len(t)
    vis = np.full((n, 33), 0.99) if visibility is None else visibility
    det = np.ones(n, dtype=bool) if detected is None else detected
    return Motion(t=np.asarray(t, float), world=np.asarray(world, float), visibility=vis, detected=det)


def smooth_step(t: np.ndarray, t_c: float, width: float) -> np.ndarray:
    """0 -> 1 displacement whose speed is a Gaussian pulse peaking at t_c (s), unit integral."""
    from scipy.special import erf
    return 0.5 * (1.0 + erf((t - t_c) / (np.sqrt(2.0) * width)))


KICK_CHAIN = [24, 26, 28, 32]          # right hip, knee, ankle, toe
REACH = [0.03, 0.25, 0.45, 0.55]       # m each landmark travels forward (distal travels further)


def kick(order: list[int], lag_s: float = 0.040, fps: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Each chain landmark moves forward with a Gaussian speed pulse; pulse k peaks at 0.5 + k * lag."""
    t, w = still(int(1.4 * fps), fps)
    w = w.copy()
    for k, idx in enumerate(order):
        reach = REACH[KICK_CHAIN.index(idx)]
        w[:, idx, 2] -= reach * smooth_step(t, 0.5 + k * lag_s, 0.035)
    w[:, 30, 2] -= REACH[3] * smooth_step(t, 0.5 + order.index(32) * lag_s, 0.035)  # heel with the toe
    return t, w


def punch(t: np.ndarray, reach: float = 0.5, width: float = 0.04, t_c: float = 0.6) -> np.ndarray:
    """Right hand and forearm thrust forward by `reach` m with a Gaussian speed pulse.
    Peak speed = reach / (sqrt(2 pi) * width)."""
    _, w = still(len(t))
    w = w.copy()
    w[:, [16, 18, 20, 22], 2] -= reach * smooth_step(t, t_c, width)[:, None]
    w[:, 14, 2] -= 0.5 * reach * smooth_step(t, t_c - 0.03, width)
    return w
