"""Balance: the (extrapolated) centre of mass against the base of support, in the phases that must be stable.

Vertical. MediaPipe's y axis points down (motion.py), but only for a level camera; a phone is rarely
level, and a 5 degree pitch moves the far foot of a 0.8 m stance 7 cm "up", out of contact. The
vertical u (unit vector, pointing down like +y) is therefore estimated from the motion itself
(estimate_vertical): feet in ground contact lie in the ground plane, so the vectors between contact
points of the same frame (heel-heel and toe-toe of a double stance, heel-toe of a flat foot) are
horizontal, and u is the direction most orthogonal to them: the eigenvector of the smallest
eigenvalue of their scatter matrix S = sum d d^T (total least squares plane normal; weighting by
|d|^2 is right because a landmark's height error e tilts a vector by e/|d|). Robustness: iterative
trimming, starting from +y, keeps only vectors within TRIM_DEG (30, 15, 8, 4 degrees) of the current
plane, and from the 8 degree pass on only those between points in contact. Fallbacks, all reported
in Balance.vertical_source: fewer than MIN_CONTACT_FRAMES frames with a usable vector -> +y
("fallback"); vectors all along one direction (second eigenvalue < COLLINEAR_RATIO x the largest,
e.g. feet always side by side) -> +y made orthogonal to that direction, the only tilt they reveal
("partial"); an estimate more than MAX_TILT_DEG from +y is implausible for a filmed person -> +y; an
estimate under which the body typically stands beside its own feet, far more than under +y -> +y
("camera axis": a raised foot fitted as ground, SUPPORT_MARGIN_M below).
Ground, contact and the horizontal plane all follow u: height = (lowest foot point - p) . u (m), a
heel or toe is in contact within CONTACT_TOL_M of the frame's lowest foot point, and horizontal
coordinates are p . e1, p . e2 with e1, e2 an orthonormal basis of the plane normal to u.

Base of support (BoS): the convex hull of the contact points in that plane, widened by
FOOT_HALF_WIDTH_M (heel and toe landmarks lie on the foot's long axis; an adult foot is ~0.10 m wide).

Extrapolated centre of mass (Hof, Gazendam & Sinke 2005, "The condition for dynamic stability",
J Biomech 38:1-8): XCoM = CoM + v / omega0, omega0 = sqrt(g / l) (1/s), g = 9.81 m/s^2, l = the
inverted pendulum length, here the median CoM height above the ground (m; Hof uses 1.34 x leg
length). v is the CoM's horizontal velocity relative to the support (m/s): minus the mean velocity
of the contact points, which is zero in the lab and restores the ground-relative velocity in
hip-centred video coordinates. With the XCoM inside the BoS the body can be brought to rest over
its support without a step; the static criterion (CoM inside) misses a body moving fast towards the
edge. Without a frame interval (dt=None) or where the velocity is unknown, XCoM = CoM (v = 0).

Where balance is judged. A kick or a punch in kihon travels: on CMU 135 every repetition moves the
CoM 0.4-1.0 m, and an expert's CoM leaves the static BoS by 0.1-0.36 m while the body falls into
the step, as in walking, where the XCoM is outside the stance foot until the next foot placement
captures it (Hof 2008, "The extrapolated center of mass concept suggests a simple control of
balance in walking", Hum Mov Sci 27:112-125). What a coach calls balance is that the technique
arrives in a stance that holds: no stumble, extra step or wobble after it (kime, zanshin). So with
repetitions (settle_windows) the criterion is evaluated in each repetition's settled stance
[end, end + SETTLE_S], cut at the next repetition's start; without repetitions, over every frame.

Per evaluated frame, excursion e = max(0, dist(XCoM, hull) - FOOT_HALF_WIDTH_M) in metres (0 inside).
Reported: fraction of evaluated frames with e > 0, maximum and mean e (m), and sway = RMS distance
(m) of the CoM's horizontal position, relative to the BoS centroid, from its mean (Winter 2009
ch. 9 uses the same RMS measure for CoM/centre-of-pressure sway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import landmarks as L
from .segments import whole_body_com

CONTACT_TOL_M = 0.05
FOOT_HALF_WIDTH_M = 0.05
FOOT_LANDMARKS = (L.LEFT_HEEL, L.LEFT_TOE, L.RIGHT_HEEL, L.RIGHT_TOE)
HORIZONTAL = (0, 2)  # x and z of a level camera (repetitions.py's lift test uses these)
VERTICAL = 1         # y, pointing down
DOWN = np.array([0.0, 1.0, 0.0])
G_M_S2 = 9.81
SETTLE_S = 0.3                 # s of settled stance judged after a repetition (design choice)
# Vertical estimation (see the docstring).
PAIRS = ((0, 2), (1, 3), (0, 1), (2, 3), (0, 3), (1, 2))   # within FOOT_LANDMARKS: heel-heel, toe-toe, heel-toe
HEEL_SIGN = np.array([0.0, 0.0, 1.0, 1.0, 1.0, -1.0])     # d . u = HEEL_SIGN * heel offset for each pair
MIN_PAIR_M = 0.08              # shorter vectors are too tilted by cm of landmark noise
TRIM_DEG = (30.0, 15.0, 8.0, 4.0, 4.0)
MIN_CONTACT_FRAMES = 10
COLLINEAR_RATIO = 0.005
MAX_TILT_DEG = 30.0
# A person who does not fall keeps the centre of mass over the feet most of the time. Feet alone can fit a
# wrong plane: on the pose2sim balancing trial (lab floor level, .trc markers) the right foot raised 0.35 m
# out to the side lay on a plane tilted 19 degrees, which then counted it "in contact"; under that plane the
# static CoM was beside the support in the median frame by 0.20 m (72 % of the frames, up to 0.41 m), under
# the camera's own axis by 0 (24 %, up to 0.08 m). So the ground-plane estimate is kept unless it puts the
# CoM beside the support by SUPPORT_MARGIN_M more than the camera's axis does in the median frame
# (SUPPORT_FRAMES frames sampled evenly); a tilted camera's true plane differs from its axis by ~0.01 m
# there on a still stance (tests/scoring/biomechanics/test_biomech_balance.py).
SUPPORT_MARGIN_M = 0.1
SUPPORT_FRAMES = 200


@dataclass(frozen=True)
class Vertical:
    down: np.ndarray   # [3] unit vector, world coordinates, pointing down
    tilt_deg: float    # angle from +y, degrees
    source: str        # "ground plane", "partial", "camera axis" or "fallback"
    frames: int        # frames that contributed ground-plane vectors


@dataclass(frozen=True)
class Balance:
    frames_used: int
    fraction_outside: float   # 0..1 of frames_used
    max_excursion_m: float
    mean_excursion_m: float
    sway_rms_m: float
    excursion_m: np.ndarray   # [N] per grid frame, NaN where unmeasured or not judged
    vertical: Vertical | None = None
    criterion: str = "com"    # "xcom" (Hof 2005) or "com" (static, no frame interval)
    phases: str = "all frames"  # or "settled stance after each repetition"


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


def horizontal_basis(down: np.ndarray) -> np.ndarray:
    """[2,3] orthonormal e1, e2 spanning the plane normal to `down`; e1 is x made horizontal, so a
    level camera gives the old (x, z) coordinates up to the sign of z."""
    e1 = np.array([1.0, 0.0, 0.0]) - down[0] * down
    e1 /= np.linalg.norm(e1)
    return np.stack([e1, np.cross(down, e1)])


def _in_contact(feet: np.ndarray, down: np.ndarray) -> np.ndarray:
    """[N,4] bool: foot points within CONTACT_TOL_M of the frame's lowest foot point along `down`."""
    depth = feet @ down                                   # larger = lower
    with np.errstate(invalid="ignore"):
        ground = np.nanmax(np.where(np.isfinite(depth), depth, -np.inf), axis=1, keepdims=True)
        return np.isfinite(depth) & (depth >= ground - CONTACT_TOL_M)


def _fallback(frames: int) -> Vertical:
    return Vertical(DOWN.copy(), 0.0, "fallback", frames)


def estimate_vertical(pos: np.ndarray) -> Vertical:
    """The downward vertical of a landmark sequence [N,33,3] from its ground-contact geometry."""
    feet = pos[:, list(FOOT_LANDMARKS)]
    vec = np.stack([feet[:, j] - feet[:, i] for i, j in PAIRS], axis=1)          # [N,P,3]
    length = np.linalg.norm(vec, axis=-1)
    valid = np.isfinite(length) & (length >= MIN_PAIR_M)
    vec = np.where(valid[..., None], vec, 0.0)
    down, heel, frames = DOWN.copy(), 0.0, 0
    for trim in TRIM_DEG:
        keep = valid.copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            keep &= np.abs(vec @ down - HEEL_SIGN * heel) < np.sin(np.deg2rad(trim)) * length
        if trim <= 8.0:   # the plane is now close enough for "lowest point" to mean the ground
            c = _in_contact(feet, down)
            keep &= np.stack([c[:, i] & c[:, j] for i, j in PAIRS], axis=1)
        frames = int(np.count_nonzero(keep.any(axis=1)))
        if frames < MIN_CONTACT_FRAMES:
            return _fallback(frames)
        d, sgn = vec[keep], np.broadcast_to(HEEL_SIGN, keep.shape)[keep]
        # Heel landmarks sit above the toe tip (CMU: 1-2 cm), a constant offset h along u for the
        # pairs with a heel at one end only: minimise sum (d.u - sgn h)^2 over h, leaving the
        # scatter with the offset's least-squares fit taken out.
        b = d.T @ sgn
        w, v = np.linalg.eigh(d.T @ d - np.outer(b, b) / max(float(sgn @ sgn), 1.0))
        if w[1] < COLLINEAR_RATIO * w[2]:
            # One horizontal direction a only: it fixes the tilt about the axis normal to a and
            # +y, nothing else, so keep +y's component normal to a.
            a = v[:, 2]
            n = DOWN - (DOWN @ a) * a
            down = n / np.linalg.norm(n)
            source = "partial"
        else:
            down = v[:, 0] * np.sign(v[1, 0] or 1.0)   # oriented like +y (down)
            source = "ground plane"
        heel = float(b @ down) / max(float(sgn @ sgn), 1.0)
    tilt = float(np.degrees(np.arccos(np.clip(down @ DOWN, -1.0, 1.0))))
    if tilt > MAX_TILT_DEG:
        return _fallback(frames)
    if tilt > 0.0 and _typical_excursion(pos, down) > _typical_excursion(pos, DOWN) + SUPPORT_MARGIN_M:
        return Vertical(DOWN.copy(), 0.0, "camera axis", frames)
    return Vertical(down, tilt, source, frames)


def _typical_excursion(pos: np.ndarray, down: np.ndarray) -> float:
    """m: median over the sampled frames (with a centre of mass and a foot in contact) of how far the static
    CoM lies beyond the base of support when `down` is the vertical; NaN when no frame has both."""
    step = max(1, pos.shape[0] // SUPPORT_FRAMES)
    pos = pos[::step]
    com, feet, basis = whole_body_com(pos), pos[:, list(FOOT_LANDMARKS)], horizontal_basis(down)
    contact = _in_contact(feet, down)
    beyond = [_beyond_support(com[k] @ basis.T, feet[k, contact[k]] @ basis.T)[0]
              for k in range(len(pos)) if np.all(np.isfinite(com[k])) and contact[k].any()]
    return float(np.median(beyond)) if beyond else float("nan")


def _beyond_support(point: np.ndarray, contacts: np.ndarray) -> tuple[float, np.ndarray]:
    """(excursion e, m, of a horizontal point beyond the base of support of the contact points [K,2]: 0 within
    FOOT_HALF_WIDTH_M of their hull; the hull)."""
    hull = convex_hull(contacts)
    return max(0.0, distance_to_hull(point, hull) - FOOT_HALF_WIDTH_M), hull


def base_of_support(feet: np.ndarray, down: np.ndarray = DOWN) -> np.ndarray | None:
    """Hull (horizontal plane of `down`) of the foot points [4,3] in ground contact in one frame,
    or None if unknown."""
    ok = np.all(np.isfinite(feet), axis=1)
    if not np.any(ok):
        return None
    contact = _in_contact(feet[None], down)[0]
    return convex_hull(feet[contact] @ horizontal_basis(down).T)


def settle_windows(t: np.ndarray, ends_s: Sequence[float], next_starts_s: Sequence[float | None]) -> list[slice]:
    """Grid slices [end, end + SETTLE_S] of each repetition, cut before the next one's start."""
    out = []
    for end, nxt in zip(ends_s, next_starts_s):
        stop = end + SETTLE_S if nxt is None else min(end + SETTLE_S, nxt)
        idx = np.flatnonzero((t >= end - 1e-9) & (t <= stop + 1e-9))
        if idx.size:
            out.append(slice(int(idx[0]), int(idx[-1]) + 1))
    return out


def balance(pos: np.ndarray, dt: float | None = None, windows: Sequence[slice] | None = None,
            vertical: Vertical | None = None, vel: np.ndarray | None = None) -> Balance:
    """Balance metrics of a filtered landmark sequence pos [N,33,3] (m); dt (s) enables the XCoM,
    windows restricts judging to those frames (None: all), vertical defaults to estimate_vertical.
    vel [N,33,3] (m/s): the measurement's own velocities, used for the XCoM instead of differencing pos; on
    video they are the image plane's (measurement.py: one camera's depth is not differentiated)."""
    n = pos.shape[0]
    vert = vertical or estimate_vertical(pos)
    u, basis = vert.down, horizontal_basis(vert.down)
    com = whole_body_com(pos)
    feet = pos[:, list(FOOT_LANDMARKS)]
    contact = _in_contact(feet, u)
    height = np.nanmax(np.where(np.isfinite(feet @ u), feet @ u, -np.inf), axis=1) - com @ u
    judged = np.zeros(n, dtype=bool)
    for w in windows if windows is not None else [slice(0, n)]:
        judged[w] = True
    xcom = com @ basis.T
    criterion = "com"
    if dt is not None and n >= 3:
        criterion = "xcom"
        if vel is not None:   # the CoM is a fixed linear combination of landmarks, and so is its velocity
            v_com, v_feet = whole_body_com(vel), vel[:, list(FOOT_LANDMARKS)]
        else:
            v_com = np.full((n, 3), np.nan)
            v_com[1:-1] = (com[2:] - com[:-2]) / (2.0 * dt)        # central difference, Winter 2009 eq. 2.1
            v_feet = np.full_like(feet, np.nan)
            v_feet[1:-1] = (feet[2:] - feet[:-2]) / (2.0 * dt)
        # Mean velocity of the feet in contact (frames with none stay NaN: no support to move with).
        in_contact = contact[..., None] & np.isfinite(v_feet)
        count = in_contact.sum(axis=1)
        v_sup = np.where(count > 0, np.where(in_contact, v_feet, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
        heights = height[np.isfinite(height) & (height > 0)]
        l_m = float(np.median(heights)) if heights.size else float("nan")
        v_rel = (v_com - v_sup) @ basis.T
        if np.isfinite(l_m):
            ok = np.all(np.isfinite(v_rel), axis=1)        # unknown velocity: static criterion
            xcom[ok] += v_rel[ok] / np.sqrt(G_M_S2 / l_m)
    exc = np.full(n, np.nan)
    rel = np.full((n, 2), np.nan)
    for k in np.flatnonzero(judged):
        if not (np.all(np.isfinite(com[k])) and contact[k].any()):
            continue
        exc[k], hull = _beyond_support(xcom[k], feet[k, contact[k]] @ basis.T)
        rel[k] = com[k] @ basis.T - hull.mean(axis=0)
    used = np.isfinite(exc)
    phases = "all frames" if windows is None else "settled stance after each repetition"
    if not np.any(used):
        return Balance(0, float("nan"), float("nan"), float("nan"), float("nan"), exc, vert, criterion, phases)
    r = rel[used]
    sway = float(np.sqrt(np.mean(np.sum((r - r.mean(axis=0)) ** 2, axis=1))))
    e = exc[used]
    return Balance(int(used.sum()), float(np.mean(e > 0)), float(e.max()), float(e.mean()), sway, exc,
                   vert, criterion, phases)
