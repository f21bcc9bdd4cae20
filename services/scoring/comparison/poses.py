"""Normalised poses for comparing two people: hip-centred, torso-scaled, facing one canonical direction.

Two performers differ in size, position in the room and orientation to the camera; none of these
is technique. Each frame of a repetition is therefore
1. centred on the mid-hip point (MediaPipe world landmarks already are; motion capture is not);
2. divided by the performer's torso length (median |mid-shoulder - mid-hip| over the repetition, m),
   so positions are in torso lengths: a body-size-free unit, as the PCK metric of pose estimation
   scales its distances by torso size (Sapp & Taskar 2013, FLIC benchmark);
3. rotated about the vertical axis (MediaPipe y, pointing down) so that the hips' line (left hip ->
   right hip, projected on the ground plane x-z) points along +x. The angle is taken once per
   repetition, from the stance at its start (mean over the first FACING_WINDOW_S), not frame by
   frame: the hips' own rotation during a roundhouse is part of the technique and must stay.
Features for DTW: the normalised positions of the body joints below (trunk and limbs; face and
finger points are left out, they carry little of the technique and video tracks them worst).
Joint angles are not added to the features: the normalised positions already determine them, and
mixing degrees with torso lengths would need an arbitrary weight; they are compared at the key
moments instead (performance.py).
"""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics import landmarks as L

FACING_WINDOW_S = 0.1
BODY_JOINTS: tuple[int, ...] = (
    L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
    L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
    L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_TOE, L.RIGHT_TOE,
)


def mid_hip(pos: np.ndarray) -> np.ndarray:
    return 0.5 * (pos[..., L.LEFT_HIP, :] + pos[..., L.RIGHT_HIP, :])


def torso_length(pos: np.ndarray) -> float:
    """Median mid-shoulder to mid-hip distance over the frames, m (NaN if never tracked)."""
    mid_sh = 0.5 * (pos[:, L.LEFT_SHOULDER] + pos[:, L.RIGHT_SHOULDER])
    d = np.linalg.norm(mid_sh - mid_hip(pos), axis=-1)
    return float(np.nanmedian(d)) if np.any(np.isfinite(d)) else float("nan")


def facing_rotation(pos: np.ndarray, dt: float) -> np.ndarray:
    """3x3 rotation about y that turns the start stance's hip line (left -> right) onto +x."""
    n = max(1, int(round(FACING_WINDOW_S / dt)))
    line = np.nanmean(pos[:n, L.RIGHT_HIP] - pos[:n, L.LEFT_HIP], axis=0)
    phi = float(np.arctan2(line[2], line[0])) if np.all(np.isfinite(line)) else 0.0
    c, s = np.cos(phi), np.sin(phi)
    # Row-vector convention (p @ R): this rotates (cos phi, ., sin phi) onto (1, ., 0).
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


def normalised_poses(pos: np.ndarray, dt: float) -> np.ndarray:
    """[N,33,3] landmarks (m) of one repetition -> [N,33,3] in torso lengths, hip-centred, facing +x."""
    centred = pos - mid_hip(pos)[:, None, :]
    scale = torso_length(pos)
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    return (centred / scale) @ facing_rotation(centred, dt)


def pose_features(pos: np.ndarray, dt: float) -> np.ndarray:
    """[N, 3*len(BODY_JOINTS)] DTW features (torso lengths); a missing value is carried from the
    nearest tracked frame, since DTW cannot skip a NaN (and 0 would be a false pose)."""
    f = normalised_poses(pos, dt)[:, list(BODY_JOINTS), :].reshape(pos.shape[0], -1)
    for j in range(f.shape[1]):
        col = f[:, j]
        ok = np.isfinite(col)
        if not np.all(ok):
            col[:] = np.interp(np.arange(col.size), np.flatnonzero(ok), col[ok]) if np.any(ok) else 0.0
    return np.ascontiguousarray(f, dtype=np.double)
