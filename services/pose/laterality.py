"""Left/right label swaps: undo BlazePose's sudden exchanges of a body side's landmarks.

BlazePose sometimes labels the left arm or leg as the right one for some frames (typically when the
body is seen side-on or from behind). In world coordinates this looks like both wrists (or ankles)
teleporting to each other's place between two frames: a speed of 30-70 m/s that no body reaches.
A real turn, even a spinning kick, moves each limb continuously from frame to frame. So each limb
group is compared with the previous frame both as labelled and with its sides exchanged; when the
exchanged labelling is much closer (SWAP_RATIO), the frame's labels are exchanged back. MediaPipe's own
smoothing can spread a swap over two or three frames (both limbs meet in the middle, then cross), so a frame
that did not continue the one before is also compared with the last frame at least REFERENCE_MS earlier;
the blended middle frame is left to the outlier rejection that follows.

Continuity only says which frames agree. Which labelling is right is BlazePose's majority over a run of
frames judged together: a group exchanged in more than half of a run's frames is exchanged back in all of
it. A run ends where the group is a near-tie with the frame before (limbs together or crossing fast: neither
labelling SWAP_RATIO closer than the other, so nothing links them) and where the person was unseen for more
than SEGMENT_GAP_MS (they may have turned). Continuity with the first frames alone carried one bad start
through the clip: in the sports2d clip BlazePose's first fits of the athlete (0.2-0.6 s) had his limbs
mislabelled, later frames were judged against them, and his arms' correct labels were exchanged in 137 of
199 frames, up to his flip (the picture at 1.6 s shows his right arm on its left, facing the camera, as
BlazePose had labelled it). In its phone recording one missed swap (both feet, 1.9 s; 0.55 against
SWAP_RATIO in world coordinates) had the correct frames after it exchanged against it: hence the older frame
is not heard where a frame continues the one before.
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
SEGMENT_GAP_MS = 250.0  # a person unseen for longer may have turned: continuity is not judged across it
_WORLD = slice(3, 6)
_INDICES = {name: [i for pair in pairs for i in pair] for name, pairs in GROUPS.items()}


def _swapped(frame: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    out = frame.copy()
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    out[left], out[right] = frame[right], frame[left]
    return out


def _moved(reference: np.ndarray, frame: np.ndarray, idx: list[int]) -> float:
    return float(np.linalg.norm(frame[idx, _WORLD] - reference[idx, _WORLD], axis=1).mean())  # m per landmark


def _jumped(as_is: float, exchanged: float) -> bool:
    """A group that moved as_is (m per landmark) as labelled and `exchanged` with its sides exchanged jumped."""
    return as_is > MIN_JUMP_M and exchanged < SWAP_RATIO * as_is


def unswap(previous: np.ndarray, earlier: np.ndarray | None,
           current: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
    """`current` (33, 8) with any group whose sides jumped exchanged back; also returns the groups exchanged
    and the groups tied with `previous` (neither exchanged nor continuing it as labelled SWAP_RATIO better
    than exchanged: nothing links the frame's labels to the one before).
    `previous` is the frame before and `earlier` the last at least REFERENCE_MS before, both already
    consistent. `earlier` is heard only for a group that did not continue `previous` as labelled: it is there
    for a swap spread over a blended frame, and a frame that continues the one before is not judged
    against an older one (sports2d's phone recording: a frame with the feet exchanged that the test missed
    then had its correct successors exchanged against it, for the rest of the stretch)."""
    if not np.isfinite(previous[:, _WORLD]).all() or not np.isfinite(current[:, _WORLD]).all():
        return current, [], list(GROUPS)
    usable_earlier = earlier is not None and np.isfinite(earlier[:, _WORLD]).all()
    fixed, changed, tied = current, [], []
    for name, pairs in GROUPS.items():
        idx = _INDICES[name]
        candidate = _swapped(fixed, pairs)
        as_is, exchanged = _moved(previous, fixed, idx), _moved(previous, candidate, idx)
        if _jumped(as_is, exchanged) or (usable_earlier and as_is > MIN_JUMP_M and _jumped(
                _moved(earlier, fixed, idx), _moved(earlier, candidate, idx))):
            fixed, changed = candidate, changed + [name]
        elif not as_is < SWAP_RATIO * exchanged:
            tied.append(name)
    return fixed, changed, tied


def unswap_sequence(t_ms: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, int]:
    """[N, 33, 8] (NaN rows where no person) -> consistently labelled copy, and how many frames changed.

    Within each stretch (frames with a person, no gap over SEGMENT_GAP_MS) each frame is compared with the
    previous frame and with the last one at least REFERENCE_MS before it, both after their own fixes. Where
    a group neither clearly continued the frame before as labelled nor clearly jumped (a near-tie: the
    limbs together, or crossing fast), the chain of judgements breaks; in each unbroken run, a group
    exchanged in more than half of its frames is exchanged back in all of them (BlazePose's majority says
    which side is which)."""
    out = landmarks.copy()
    exchanged = np.zeros((len(out), len(GROUPS)), dtype=bool)
    breaks = np.zeros((len(out), len(GROUPS)), dtype=bool)
    for stretch in _stretches(t_ms, out):
        for n, i in enumerate(stretch[1:], start=1):
            before = out[stretch[n - 1]]
            earlier = [k for k in stretch[max(0, n - 8):n] if t_ms[i] - t_ms[k] >= REFERENCE_MS]
            older = out[earlier[-1]] if earlier and earlier[-1] != stretch[n - 1] else None
            out[i], groups, tied = unswap(before, older, out[i])
            exchanged[i] = [name in groups for name in GROUPS]
            breaks[i] = [name in tied for name in GROUPS]
        for g, pairs in enumerate(GROUPS.values()):
            starts = [n for n, i in enumerate(stretch) if n == 0 or breaks[i, g]] + [len(stretch)]
            for a, b in zip(starts, starts[1:]):
                run = stretch[a:b]
                if 2 * exchanged[run, g].sum() > len(run):
                    for i in run:
                        out[i] = _swapped(out[i], pairs)
                    exchanged[run, g] = ~exchanged[run, g]
    return out, int(exchanged.any(axis=1).sum())


def _stretches(t_ms: np.ndarray, landmarks: np.ndarray) -> list[list[int]]:
    """The frames with a person, split where they are unseen for more than SEGMENT_GAP_MS."""
    out: list[list[int]] = []
    for i in np.flatnonzero(np.isfinite(landmarks[:, :, _WORLD]).all(axis=(1, 2))):
        if out and t_ms[i] - t_ms[out[-1][-1]] <= SEGMENT_GAP_MS:
            out[-1].append(int(i))
        else:
            out.append([int(i)])
    return out
