"""Detections of people in a frame, built for tests of tracking and pose NMS: a standing person template in
image coordinates and appearance descriptors whose similarities are known."""

from __future__ import annotations

import math

import numpy as np

from services.pose import appearance

SIZE = 1000  # square frame, pixels
FRAME_MS = 1000 / 30

# A standing person in body units: x across the body (0 = its centre line), y down from the top of the
# head (0) to the toes (1), by BlazePose landmark index.
_TEMPLATE = np.zeros((33, 2))
_TEMPLATE[0] = (0, 0.06)
_TEMPLATE[1:7] = [(-0.02, 0.04), (-0.03, 0.04), (-0.04, 0.04), (0.02, 0.04), (0.03, 0.04), (0.04, 0.04)]
_TEMPLATE[7:11] = [(-0.05, 0.05), (0.05, 0.05), (-0.02, 0.09), (0.02, 0.09)]
_TEMPLATE[11:17] = [(-0.12, 0.2), (0.12, 0.2), (-0.15, 0.38), (0.15, 0.38), (-0.16, 0.52), (0.16, 0.52)]
_TEMPLATE[17:23] = [(-0.17, 0.55), (0.17, 0.55), (-0.16, 0.56), (0.16, 0.56), (-0.15, 0.54), (0.15, 0.54)]
_TEMPLATE[23:29] = [(-0.08, 0.52), (0.08, 0.52), (-0.08, 0.74), (0.08, 0.74), (-0.08, 0.95), (0.08, 0.95)]
_TEMPLATE[29:33] = [(-0.08, 0.97), (0.08, 0.97), (-0.1, 1.0), (0.1, 1.0)]
_WRISTS, _ANKLES = [15, 16], [27, 28]
# Landmark order of the same skeleton with its sides swapped (left <-> right).
MIRROR = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, *[k + (1 if k % 2 else -1) for k in range(11, 33)]]


def person(cx: float, top: float, height: float, t_ms: float = 0.0, swing: float = 0.0,
           visibility: float = 0.9) -> np.ndarray:
    """(33, 8) landmarks of a person `height` frames tall (normalised), centred at `cx`, head at `top`;
    wrists and ankles swing sideways by `swing` body heights at 1.5 Hz."""
    body = _TEMPLATE.copy()
    offset = swing * math.sin(2 * math.pi * 1.5 * t_ms / 1000.0)
    body[_WRISTS + _ANKLES, 0] += offset
    lms = np.zeros((33, 8), dtype=np.float32)
    lms[:, 0] = cx + body[:, 0] * height
    lms[:, 1] = top + body[:, 1] * height
    lms[:, 3:5] = (body - [0, 0.52]) * 1.7  # metres, about the hips
    lms[:, 6:8] = visibility
    return lms


def look(bin_: int, other: int | None = None, share: float = 0.0) -> np.ndarray:
    """Appearance descriptor: all of each region's pixels in hue x saturation bin `bin_`, or `share` of
    them moved to bin `other` (Bhattacharyya similarity of look(a) and look(a, b, share) = sqrt(1 - share))."""
    half = appearance.HUE_BINS * appearance.SAT_BINS
    out = np.zeros(appearance.SIZE, dtype=np.float32)
    for region in (0, half):
        out[region + bin_] = 1.0 - share
        if other is not None:
            out[region + other] += share
    return out


RED, BLUE, GREEN = look(2), look(17), look(11)
