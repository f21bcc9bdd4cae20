"""Outlier detection on landmark trajectories (the detectors that services.kit.landmark_signal runs).

Every detector takes timestamps t_s [N] (s), positions w [N,L,3] (metres: world coordinates, or image
coordinates put in metres by services.kit.image_scale) and usable [N,L] bool, and answers a mask of
the samples to reject. The methods and their sources are described in landmark_signal's docstring.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(3/4): MAD of Gaussian noise x this = its standard deviation


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the contiguous True stretches of a 1-D boolean mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def neighbours(usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N,L] index of the previous (-1 if none) and next (N if none) usable sample of each landmark."""
    n = usable.shape[0]
    idx = np.arange(n)[:, None]
    upto = np.maximum.accumulate(np.where(usable, idx, -1), axis=0)
    after = np.minimum.accumulate(np.where(usable, idx, n)[::-1], axis=0)[::-1]
    fill = np.full((1, usable.shape[1]), -1)
    return np.vstack([fill, upto[:-1]]), np.vstack([after[1:], fill * -n])


def _take(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """a[rows[i, j], j] for a of shape [N, L, ...]; rows are clipped, callers mask invalid ones."""
    return a[np.clip(rows, 0, a.shape[0] - 1), np.arange(a.shape[1])]


def speed_outliers(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, max_speed: float) -> np.ndarray:
    """Samples whose 3-D speed (m/s) to the previous and to the next usable sample both exceed max_speed."""
    prev, nxt = neighbours(usable)
    tt = np.broadcast_to(t_s[:, None], usable.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_prev = np.linalg.norm(w - _take(w, prev), axis=-1) / (tt - _take(tt, prev))
        v_next = np.linalg.norm(_take(w, nxt) - w, axis=-1) / (_take(tt, nxt) - tt)
    single = usable & (prev >= 0) & (nxt < usable.shape[0]) & (v_prev > max_speed) & (v_next > max_speed)
    return single | _excursions(tt[:, 0], w, usable, v_prev > max_speed, max_speed)


MAX_EXCURSION_S = 0.1  # a mis-fit skeleton held for up to this long is rejected as a whole


def _excursions(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, jumps: np.ndarray, max_speed: float) -> np.ndarray:
    """Runs of samples entered and left by an impossible jump (speed > max_speed) within
    MAX_EXCURSION_S, where the samples before and after the run agree with each other: a landmark
    that leaves its trajectory for a few frames (BlazePose fitting the body upside down, or to
    someone else) and comes back. Single-sample spikes are the special case of a run of one."""
    out = np.zeros_like(usable)
    for j in range(usable.shape[1]):
        rows = np.flatnonzero(usable[:, j])
        starts = [k for k in range(1, len(rows)) if jumps[rows[k], j]]
        for a, b in zip(starts, starts[1:]):
            before, first, after = rows[a - 1], rows[a], rows[b]
            if t_s[after] - t_s[first] > MAX_EXCURSION_S:
                continue
            gap = t_s[after] - t_s[before]
            if gap > 0 and np.linalg.norm(w[after, j] - w[before, j]) / gap <= max_speed:
                out[rows[a:b], j] = True
    return out


def prediction_residual(t_s: np.ndarray, w: np.ndarray, usable: np.ndarray, reach_s: float,
                         frame_s: float) -> np.ndarray:
    """[N,L,3] error (m) of each usable sample against straight-line predictions from usable neighbours
    no further than reach_s away: between the neighbours either side, or extrapolated from the two
    before or the two after; NaN where none is possible.
    On a path of constant acceleration g (m/s^2) the line through (ta, tb) misses x(t) by
    g (t - ta)(t - tb) / 2, so each error is scaled by -frame_s^2 / ((t - ta)(t - tb)): every prediction,
    over any span, then estimates the same -g frame_s^2 / 2 on a smooth path (a curve is no outlier).
    The interpolation is used unless an extrapolation misses by less than half as much (unscaled):
    a glitch of height h misses all three lines by ~h and shows as h, while its clean neighbours, whose
    interpolation it spoils (error h/2), are fitted by the extrapolation from the other side."""
    n = usable.shape[0]
    prev, nxt = neighbours(usable)
    p2, n2 = _take(prev, prev), _take(nxt, np.minimum(nxt, n - 1))
    n2 = np.where(nxt < n, n2, n)
    tt = np.broadcast_to(t_s[:, None], usable.shape)
    ok = {k: (r >= 0) & (r < n) & (np.abs(_take(tt, r) - tt) <= reach_s) for k, r in
          {"p": prev, "n": nxt, "p2": p2, "n2": n2}.items()}
    scaled, score = [], []
    for a, b, valid, weight in ((prev, nxt, ok["p"] & ok["n"], 1.0), (p2, prev, ok["p2"] & ok["p"], 2.0),
                                (nxt, n2, ok["n"] & ok["n2"], 2.0)):
        ta, tb = _take(tt, a), _take(tt, b)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            frac = ((tt - ta) / (tb - ta))[..., None]
            err = w - (_take(w, a) + (_take(w, b) - _take(w, a)) * frac)
            scaled.append(err * (-frame_s ** 2 / ((tt - ta) * (tt - tb)))[..., None])
        score.append(np.where((valid & usable)[..., None], weight * np.abs(err), np.inf))
    pick = np.argmin(np.stack(score), axis=0)[None]
    best = np.take_along_axis(np.stack(scaled), pick, axis=0)[0]
    return np.where(np.isfinite(np.take_along_axis(np.stack(score), pick, axis=0)[0]), best, np.nan)


def _nan_median_last(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median over the last axis ignoring NaN (NaN where all are NaN), and the count of finite values."""
    s = np.sort(a, axis=-1)  # NaN sort last
    count = np.sum(np.isfinite(a), axis=-1)
    lo = np.take_along_axis(s, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(s, np.maximum(count // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.where(count % 2 == 1, lo, hi)
    return np.where(count > 0, 0.5 * (lo + hi), np.nan), count


def hampel_outliers(e: np.ndarray, k: int, sigmas: float, min_dev: float) -> np.ndarray:
    """[N,3] of one landmark's residuals e -> [N] True where any axis is a Hampel outlier."""
    padded = np.pad(e, ((k, k), (0, 0)), constant_values=np.nan)
    win = sliding_window_view(padded, 2 * k + 1, axis=0)  # [N,3,2k+1]
    med, count = _nan_median_last(win)
    mad, _ = _nan_median_last(np.abs(win - med[..., None]))
    with np.errstate(invalid="ignore"):
        out = (count >= 3) & (np.abs(e - med) > np.maximum(sigmas * MAD_TO_SIGMA * mad, min_dev))
    return np.any(out, axis=-1)



# Distal landmark -> the joint it hangs from. BlazePose places an occluded limb where the model expects
# it, often with visibility just above 0.5 (pose2sim cam03: the hidden right foot "seen" at 0.5-0.85
# for single frames while its knee is not, jumping 0.35 m in 80 ms); an end whose parent joint is not
# seen in the same frame is a guess, so it is not measured.
PARENT = {13: 11, 15: 13, 17: 15, 19: 15, 21: 15, 14: 12, 16: 14, 18: 16, 20: 16, 22: 16,
          25: 23, 27: 25, 29: 27, 31: 27, 26: 24, 28: 26, 30: 28, 32: 28}
# A bone's world length in one frame further than this from its median over the clip is a mis-fit
# (BlazePose's world bones vary by a few %; a 35 % change means the joints were misplaced). In the image
# a bone can be shorter than its length (foreshortened) but never longer: one seen more than
# IMAGE_OVERLENGTH times its world length (the slack covers the scale's error) is misplaced too.
MAX_BONE_CHANGE = 0.35
MIN_BONE_CHANGE_M = 0.05  # below this a change is jitter whatever the bone (hand landmarks are ~6 cm apart)
IMAGE_OVERLENGTH = 1.3


def implausible(world: np.ndarray, usable: np.ndarray, image_m: np.ndarray | None = None,
                kept: np.ndarray | None = None) -> np.ndarray:
    """[N,33] samples to drop: an end whose parent is not usable (seen) in that frame, or whose bone to its
    parent has an impossible length (world: far from its median; image, in metres: longer than the bone)
    where both ends are `kept` (usable and not already rejected as outliers: a glitch of the parent is
    the parent's fault, not the child's).
    Proximal joints are decided first; a bone of impossible length is blamed on its distal end unless
    the parent's own bone was already wrong (then the parent is the misplaced one, not the child)."""
    bad = np.zeros_like(usable)
    misplaced = np.zeros_like(usable)
    for child, parent in sorted(PARENT.items(), key=lambda kv: kv[1]):
        both = (usable if kept is None else kept)[:, child] & (usable if kept is None else kept)[:, parent]
        length = np.linalg.norm(world[:, child] - world[:, parent], axis=-1)
        wrong = np.zeros_like(both)
        if both.sum() >= 3:
            median = float(np.median(length[both]))
            with np.errstate(invalid="ignore"):
                wrong = np.abs(length - median) > max(MAX_BONE_CHANGE * median, MIN_BONE_CHANGE_M)
                if image_m is not None:
                    wrong |= np.linalg.norm(image_m[:, child] - image_m[:, parent], axis=-1) > IMAGE_OVERLENGTH * median
            wrong &= both & ~misplaced[:, parent]
        misplaced[:, child] = wrong
        bad[:, child] = usable[:, child] & (~usable[:, parent] | wrong)
    return bad
