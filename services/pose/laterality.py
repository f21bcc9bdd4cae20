"""Left/right label swaps: undo BlazePose's sudden exchanges of a body side's landmarks.

BlazePose sometimes labels the left arm or leg as the right one for some frames (typically when the
body is seen side-on or from behind). In world coordinates this looks like both wrists (or ankles)
teleporting to each other's place between two frames: a speed of 30-70 m/s that no body reaches.
A real turn, even a spinning kick, moves each limb continuously from frame to frame. So each limb
group is compared with the previous frame both as labelled and with its sides exchanged; when the
exchanged labelling is much closer (SWAP_RATIO), the frame's labels are exchanged back. Continuity
with the first frames therefore defines the sides. MediaPipe's own smoothing can spread a swap over
two or three frames (both limbs meet in the middle, then cross), so each frame is also compared
with the last frame at least REFERENCE_MS earlier; the blended middle frame is left to the outlier
rejection that follows.
"""

from __future__ import annotations

import numpy as np

# BlazePose left/right pairs by group (MediaPipe pose landmark topology).
GROUPS = {
    "face": [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)],
    "arms": [(11, 12), (13, 14), (15, 16), (17, 18), (19, 20), (21, 22)],
    "legs": [(23, 24), (25, 26), (27, 28), (29, 30), (31, 32)],
}
# Exchange only when the swapped labelling is at most this fraction of the labelled distance: a
# clear jump, not the near-tie of two limbs crossing.
SWAP_RATIO = 0.5
# ...and when the labelled distance is a real jump (mean metres per landmark of the group).
MIN_JUMP_M = 0.15
REFERENCE_MS = 40.0
_WORLD = slice(3, 6)


def _swapped(frame: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    out = frame.copy()
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    out[left], out[right] = frame[right], frame[left]
    return out


def _jumped(reference: np.ndarray, frame: np.ndarray, candidate: np.ndarray, idx: list[int]) -> bool:
    as_is = np.linalg.norm(frame[idx, _WORLD] - reference[idx, _WORLD], axis=1).mean()  # m per landmark
    exchanged = np.linalg.norm(candidate[idx, _WORLD] - reference[idx, _WORLD], axis=1).mean()
    return bool(as_is > MIN_JUMP_M and exchanged < SWAP_RATIO * as_is)


def unswap(references: list[np.ndarray], current: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """`current` (33, 8) with any group whose sides jumped relative to one of the `references`
    (earlier, already consistent frames) exchanged back; also returns the groups exchanged."""
    references = [r for r in references if r is not None and np.isfinite(r[:, _WORLD]).all()]
    if not references or not np.isfinite(current[:, _WORLD]).all():
        return current, []
    fixed, changed = current, []
    for name, pairs in GROUPS.items():
        idx = [i for pair in pairs for i in pair]
        candidate = _swapped(fixed, pairs)
        if any(_jumped(ref, fixed, candidate, idx) for ref in references):
            fixed, changed = candidate, changed + [name]
    return fixed, changed


def unswap_sequence(t_ms: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, int]:
    """[N, 33, 8] (NaN rows where no person) -> consistently labelled copy, and how many frames changed.

    Each frame is compared with the previous frame that had a person and with the last one at least
    REFERENCE_MS before it, both after their own fixes."""
    out = landmarks.copy()
    seen: list[int] = []  # frames with a person, in order
    changed = 0
    for i in range(len(out)):
        if not np.isfinite(out[i, :, _WORLD]).all():
            continue
        refs = []
        if seen:
            refs.append(out[seen[-1]])
            earlier = [k for k in seen[-8:] if t_ms[i] - t_ms[k] >= REFERENCE_MS]
            if earlier and earlier[-1] != seen[-1]:
                refs.append(out[earlier[-1]])
        out[i], groups = unswap(refs, out[i])
        changed += bool(groups)
        seen.append(i)
    return out, changed
