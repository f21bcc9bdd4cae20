"""Appearance descriptors on synthetic frames: clothing colour tells people apart, size does not matter."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from services.pose.appearance import HUE_BINS, SAT_BINS, SIZE, describe, similarity

W, H = 640, 480
HALF = HUE_BINS * SAT_BINS
RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR
# Fully saturated red is hue 0, blue hue 120 (OpenCV's 0-180 scale): bins 0 and 5, top saturation bin.
RED_BIN, BLUE_BIN = 0 * SAT_BINS + 2, 5 * SAT_BINS + 2


def body(cx: float, top: float, height: float) -> np.ndarray:
    """(33, 8) landmarks (normalised) of an upright person: shoulders, hips and knees where drawn below."""
    lms = np.zeros((33, 8), dtype=np.float32)
    points = {11: (-0.12, 0.2), 12: (0.12, 0.2), 23: (-0.09, 0.52), 24: (0.09, 0.52), 25: (-0.09, 0.74),
              26: (0.09, 0.74)}
    for i, (dx, dy) in points.items():
        lms[i, 0] = cx + dx * height * H / W  # the same body width in pixels whatever the frame's aspect
        lms[i, 1] = top + dy * height
    lms[:, 6:8] = 1.0
    return lms


def draw(frame: np.ndarray, lms: np.ndarray, shirt: tuple[int, int, int], trousers: tuple[int, int, int]) -> None:
    """Paint a person-shaped figure a little larger than the landmark regions: shirt over the torso
    (shoulders to hips), trousers over the thighs (hips to knees)."""
    def px(i: int, grow_x: float = 0.0) -> tuple[int, int]:
        cx = (lms[11, 0] + lms[12, 0]) / 2
        x = cx + (lms[i, 0] - cx) * (1 + grow_x)
        return int(round(x * W)), int(round(lms[i, 1] * H))

    torso = np.array([px(11, 0.3), px(12, 0.3), px(24, 0.3), px(23, 0.3)])
    cv2.fillConvexPoly(frame, torso - [0, 6], shirt)
    cv2.fillConvexPoly(frame, torso + [0, 0], shirt)
    legs = np.array([px(23, 0.4), px(24, 0.4), px(26, 0.4), px(25, 0.4)])
    cv2.fillConvexPoly(frame, legs, trousers)
    cv2.fillConvexPoly(frame, legs + [0, 6], trousers)


def scene() -> np.ndarray:
    return np.full((H, W, 3), 128, dtype=np.uint8)  # grey: saturation 0, a bin no clothing here uses


def test_differently_dressed_people_differ_and_the_same_person_matches_itself():
    frame = scene()
    red_person, blue_person = body(0.3, 0.15, 0.7), body(0.72, 0.2, 0.6)
    draw(frame, red_person, RED, RED)
    draw(frame, blue_person, BLUE, BLUE)
    red, blue = describe(frame, red_person), describe(frame, blue_person)
    assert red.shape == (SIZE,) and red.dtype == np.float32
    # Each region is a distribution (sums to 1), here all in the clothing colour's bin.
    assert red[:HALF].sum() == pytest.approx(1.0) and red[HALF:].sum() == pytest.approx(1.0)
    assert red[RED_BIN] > 0.97 and red[HALF + RED_BIN] > 0.97
    assert blue[BLUE_BIN] > 0.97 and blue[HALF + BLUE_BIN] > 0.97
    assert similarity(red, blue) < 0.1
    assert similarity(red, red) == pytest.approx(1.0)
    assert similarity(red, describe(frame.copy(), red_person.copy())) == pytest.approx(1.0)


def test_regions_are_told_apart_and_size_does_not_matter():
    frame = scene()
    near, far = body(0.3, 0.05, 0.9), body(0.8, 0.4, 0.3)  # the same clothes, three times larger
    draw(frame, near, RED, BLUE)
    draw(frame, far, RED, BLUE)
    a, b = describe(frame, near), describe(frame, far)
    assert a[RED_BIN] > 0.97 and a[HALF + BLUE_BIN] > 0.97  # shirt and trousers kept apart
    assert similarity(a, b) > 0.95
    # Same shirt, other trousers: half alike.
    other = scene()
    draw(other, near, RED, RED)
    mixed = similarity(a, describe(other, near))
    assert 0.4 < mixed < 0.6


def test_regions_off_screen_give_zeros_and_no_similarity():
    frame = scene()
    visible = body(0.3, 0.15, 0.7)
    draw(frame, visible, RED, BLUE)
    gone = body(0.3, 0.15, 0.7)
    gone[:, 0] += 1.5  # entirely to the right of the frame
    nothing = describe(frame, gone)
    assert not nothing.any()
    assert similarity(nothing, describe(frame, visible)) is None
    assert similarity(nothing, nothing) is None
    # Only the regions both descriptors have are compared: a person whose thighs were not described
    # (hidden, off-screen) still matches on the torso alone.
    full = describe(frame, visible)
    torso_only = full.copy()
    torso_only[HALF:] = 0
    assert similarity(full, torso_only) == pytest.approx(1.0)
    thighs_only = full.copy()
    thighs_only[:HALF] = 0
    assert similarity(torso_only, thighs_only) is None


def test_collapsed_region_gives_zeros():
    frame = scene()
    point = body(0.5, 0.5, 0.7)
    point[[11, 12, 23, 24, 25, 26], :2] = (0.5, 0.5)  # every corner in one place: no area
    assert not describe(frame, point).any()
