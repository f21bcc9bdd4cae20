"""Balance: the whole-body centre of mass against the base of support, frame by frame.

Vertical is MediaPipe's y axis (pointing down, see motion.py); the ground plane is x-z. World
landmarks are hip-centred, so the ground is not given: in each frame it is taken at the lowest foot
point (largest y among heels and toes), and a heel or toe is in contact when it lies within
CONTACT_TOL_M of that level. The base of support (BoS) is the convex hull of the contact points in
the x-z plane, widened by FOOT_HALF_WIDTH_M (heel and toe landmarks lie on the foot's long axis;
an adult foot is ~0.10 m wide, so half of it on each side).

Per frame, excursion e = max(0, dist(CoM_xz, hull) - FOOT_HALF_WIDTH_M) in metres (0 inside the BoS).
Reported: fraction of frames with e > 0, maximum and mean e (m), and sway = RMS distance (m) of the
CoM's horizontal position, taken relative to the BoS centroid, from its mean (Winter 2009 ch. 9 uses
the same RMS measure for CoM/centre-of-pressure sway).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import landmarks as L
from .segments import whole_body_com

CONTACT_TOL_M = 0.05
FOOT_HALF_WIDTH_M = 0.05
FOOT_LANDMARKS = (L.LEFT_HEEL, L.LEFT_TOE, L.RIGHT_HEEL, L.RIGHT_TOE)
HORIZONTAL = (0, 2)  # x and z
VERTICAL = 1         # y, pointing down


@dataclass(frozen=True)
class Balance:
    frames_used: int
    fraction_outside: float   # 0..1 of frames_used
    max_excursion_m: float
    mean_excursion_m: float
    sway_rms_m: float
    excursion_m: np.ndarray   # [N] per grid frame, NaN where unmeasured


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise hull vertices of 2-D points (Andrew's monotone chain); degenerate hulls
    come back as 1 or 2 points."""
    pts = np.unique(np.round(points, 9), axis=0)
    if len(pts) <= 2:
        return pts
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in pts[::-1]:
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    denom = float(ab @ ab)
    s = 0.0 if denom == 0 else float(np.clip((p - a) @ ab / denom, 0.0, 1.0))
    return float(np.linalg.norm(p - (a + s * ab)))


def distance_to_hull(p: np.ndarray, hull: np.ndarray) -> float:
    """Euclidean distance (m) from p to the convex polygon `hull` (CCW); 0 inside."""
    if len(hull) == 1:
        return float(np.linalg.norm(p - hull[0]))
    edges = [(hull[i], hull[(i + 1) % len(hull)]) for i in range(len(hull))]
    if len(hull) >= 3 and all(_cross(a, b, p) >= 0 for a, b in edges):
        return 0.0
    return min(_segment_distance(p, a, b) for a, b in edges)


def base_of_support(feet: np.ndarray) -> np.ndarray | None:
    """Hull (x-z) of the foot points [4,3] in ground contact in one frame, or None if unknown."""
    ok = np.all(np.isfinite(feet), axis=1)
    if not np.any(ok):
        return None
    pts = feet[ok]
    ground = np.max(pts[:, VERTICAL])
    contact = pts[pts[:, VERTICAL] >= ground - CONTACT_TOL_M]
    return convex_hull(contact[:, HORIZONTAL])


def balance(pos: np.ndarray) -> Balance:
    """Balance metrics of a filtered landmark sequence pos [N,33,3] (m)."""
    com = whole_body_com(pos)
    n = pos.shape[0]
    exc = np.full(n, np.nan)
    rel = np.full((n, 2), np.nan)
    for k in range(n):
        if not np.all(np.isfinite(com[k])):
            continue
        hull = base_of_support(pos[k, list(FOOT_LANDMARKS)])
        if hull is None:
            continue
        c = com[k, list(HORIZONTAL)]
        exc[k] = max(0.0, distance_to_hull(c, hull) - FOOT_HALF_WIDTH_M)
        rel[k] = c - hull.mean(axis=0)
    used = np.isfinite(exc)
    if not np.any(used):
        return Balance(0, float("nan"), float("nan"), float("nan"), float("nan"), exc)
    r = rel[used]
    sway = float(np.sqrt(np.mean(np.sum((r - r.mean(axis=0)) ** 2, axis=1))))
    e = exc[used]
    return Balance(int(used.sum()), float(np.mean(e > 0)), float(e.max()), float(e.mean()), sway, exc)
