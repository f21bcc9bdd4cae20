"""Left/right label swaps are undone by continuity; real fast motion and crossings are left alone."""

from __future__ import annotations

import numpy as np

from services.pose.laterality import GROUPS, unswap, unswap_sequence


def _skeleton(n: int, fps: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """t (ms) and [n, 33, 8] landmarks: left side at x = +0.2 m, right side at x = -0.2 m, a slow sway."""
    t = np.arange(n) * 1000.0 / fps
    lms = np.zeros((n, 33, 8), dtype=np.float32)
    for pairs in GROUPS.values():
        for k, (left, right) in enumerate(pairs):
            lms[:, left, 3], lms[:, right, 3] = 0.2, -0.2
            lms[:, left, 4] = lms[:, right, 4] = -0.5 + 0.08 * k
    lms[:, :, 4] += 0.01 * np.sin(t / 200.0)[:, None]
    lms[:, :, 6:8] = 0.99
    return t, lms


def _swap(frame: np.ndarray, group: str) -> np.ndarray:
    out = frame.copy()
    for left, right in GROUPS[group]:
        out[[left, right]] = frame[[right, left]]
    return out


def test_a_swapped_arm_group_is_exchanged_back():
    t, lms = _skeleton(30)
    corrupted = lms.copy()
    for i in range(12, 20):  # BlazePose keeps the wrong labels for 8 frames
        corrupted[i] = _swap(lms[i], "arms")
    fixed, changed = unswap_sequence(t, corrupted)
    np.testing.assert_allclose(fixed, lms)
    assert changed == 8  # every frame that carried the wrong labels, and no other


def test_legs_and_arms_are_judged_separately():
    t, lms = _skeleton(20)
    corrupted = lms.copy()
    corrupted[10:] = np.stack([_swap(f, "legs") for f in lms[10:]])
    fixed, _ = unswap_sequence(t, corrupted)
    np.testing.assert_allclose(fixed, lms)


def test_a_swap_spread_over_a_blended_frame_is_still_caught():
    t, lms = _skeleton(30)
    corrupted = lms.copy()
    wrists = [15, 16]
    corrupted[18, wrists, 3] = 0.0  # MediaPipe's smoothing: both wrists meet in the middle...
    for i in range(19, 30):
        corrupted[i] = _swap(lms[i], "arms")  # ...then stay crossed
    fixed, _ = unswap_sequence(t, corrupted)
    np.testing.assert_allclose(fixed[19:], lms[19:])


def test_the_labels_blazepose_gave_most_of_the_time_win():
    """Continuity says which frames agree; which labelling is right is BlazePose's majority. The first
    frames wrong (a misfit at the start) must not carry their labels through the clip."""
    t, lms = _skeleton(30)
    corrupted = lms.copy()
    corrupted[:6] = np.stack([_swap(f, "arms") for f in lms[:6]])
    fixed, changed = unswap_sequence(t, corrupted)
    np.testing.assert_allclose(fixed, lms)
    assert changed == 6


def test_continuity_is_not_judged_across_a_long_absence():
    """After more than SEGMENT_GAP_MS unseen the person may have turned round: the labels BlazePose gives
    then are not exchanged to match the frames before the gap."""
    t, lms = _skeleton(60)
    lms[20:40] = np.nan  # 333 ms unseen at 60 fps
    turned = lms.copy()
    turned[40:] = np.stack([_swap(f, "legs") for f in lms[40:]])
    fixed, changed = unswap_sequence(t, turned)
    np.testing.assert_allclose(fixed[40:], turned[40:])
    assert changed == 0


def test_continuous_fast_motion_is_not_mistaken_for_a_swap():
    t, lms = _skeleton(40)
    moving = lms.copy()
    # The left wrist travels 0.8 m across the body to the right side in 100 ms (8 m/s, a punch):
    # at every frame it moves continuously, so nothing may be exchanged.
    path = np.clip((t - 200.0) / 100.0, 0.0, 1.0)
    moving[:, 15, 3] = 0.2 - 0.8 * path
    fixed, changed = unswap_sequence(t, moving)
    assert changed == 0
    np.testing.assert_allclose(fixed, moving)


def test_frames_without_a_person_are_skipped():
    t, lms = _skeleton(10)
    lms[4:6] = np.nan
    corrupted = lms.copy()
    corrupted[6:] = np.stack([_swap(f, "arms") for f in lms[6:]])
    fixed, _ = unswap_sequence(t, corrupted)
    assert np.isnan(fixed[4:6]).all()
    np.testing.assert_allclose(fixed[6:], lms[6:])


def test_a_frame_that_continues_the_one_before_is_not_judged_against_an_older_one():
    """The older frame is there for a swap spread over a blended frame. In sports2d's phone recording a
    missed swap two frames back had the correct frames after it exchanged against it for the rest of the
    stretch: where a frame continues the one before as labelled, the older one is not heard."""
    _, lms = _skeleton(3)
    missed = _swap(lms[0], "legs")  # a swap two frames back that was not caught
    fixed, groups, _ = unswap(lms[1], missed, lms[2])
    assert groups == []
    np.testing.assert_allclose(fixed, lms[2])
    # A frame that did jump from the one before is still compared with the older frame (blended swaps).
    blended = lms[1].copy()
    blended[[15, 16], 3] = 0.0
    fixed, groups, _ = unswap(blended, lms[0], _swap(lms[2], "arms"))
    assert groups == ["arms"]
    np.testing.assert_allclose(fixed, lms[2])
