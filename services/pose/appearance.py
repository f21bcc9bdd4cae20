"""Appearance of a detected person: colour histograms of torso and thighs, for re-identification.

Box geometry alone cannot tell two people apart when one is lost for a second (a flip, an
occlusion) and someone else appears nearby. Clothing colour can: the descriptor is an HSV
hue x saturation histogram (HUE_BINS x SAT_BINS) of the pixels inside the torso quadrilateral
(shoulders and hips, BlazePose 11, 12, 24, 23) and of the thighs (hips to knees, 23, 24, 26, 25),
each normalised to sum 1, so it does not depend on how large the person is in the frame.
Similarity is the Bhattacharyya coefficient (1 = identical distributions, 0 = disjoint).
"""

from __future__ import annotations

import numpy as np

HUE_BINS, SAT_BINS = 8, 3
SIZE = 2 * HUE_BINS * SAT_BINS  # 48 floats per person
_TORSO = [11, 12, 24, 23]
_THIGHS = [23, 24, 26, 25]
_MIN_PIXELS = 30  # fewer pixels than this give no usable histogram (region off-screen or collapsed)


def describe(bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(SIZE,) float32 descriptor of one person in a BGR frame; zeros where a region is unusable."""
    import cv2  # the worker has OpenCV; the tracker only needs `similarity`

    height, width = bgr.shape[:2]
    out = np.zeros(SIZE, dtype=np.float32)
    for k, region in enumerate((_TORSO, _THIGHS)):
        pts = np.stack([landmarks[region, 0] * width, landmarks[region, 1] * height], axis=1)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        crop = bgr[y0:y1, x0:x1]
        mask = np.zeros(crop.shape[:2], dtype=np.uint8)
        cv2.fillConvexPoly(mask, np.round(pts - [x0, y0]).astype(np.int32), 255)
        if int(np.count_nonzero(mask)) < _MIN_PIXELS:
            continue
        hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1], mask, [HUE_BINS, SAT_BINS], [0, 180, 0, 256]).ravel()
        total = float(hist.sum())
        if total > 0:
            out[k * HUE_BINS * SAT_BINS:(k + 1) * HUE_BINS * SAT_BINS] = hist / total
    return out


def similarity(a: np.ndarray, b: np.ndarray) -> float | None:
    """Mean Bhattacharyya coefficient over the regions both descriptors have; None if they share none."""
    scores = []
    half = HUE_BINS * SAT_BINS
    for k in range(2):
        pa, pb = a[k * half:(k + 1) * half], b[k * half:(k + 1) * half]
        if pa.sum() > 0.5 and pb.sum() > 0.5:
            scores.append(float(np.sqrt(pa * pb).sum()))
    return float(np.mean(scores)) if scores else None
