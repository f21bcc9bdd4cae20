"""Which of one frame's detections are distinct people: pose non-maximum suppression.

Multi-pose BlazePose can return two skeletons for one body: a second one fitted to the same body, a partial
one whose box covers part of it, or a collapsed "ghost" drawn inside it. Duplicates are two boxes that mostly
overlap, or two skeletons whose torso and head landmarks coincide (pose NMS by keypoint distance, as
AlphaPose's parametric pose NMS, Fang et al. 2017); of each such group the more visible skeleton is kept.
The box geometry here (in pixels) is also what services.pose.tracking links boxes across frames with.
"""

from __future__ import annotations

import math

import numpy as np

DUPLICATE_IOU = 0.5  # two detections overlapping more than this are the same person...
DUPLICATE_COVER = 0.8  # ...as are two where this much of the smaller box lies inside the larger
DUPLICATE_KEYPOINTS = 0.3  # core landmarks closer than this x the larger torso height coincide
GHOST_COVER = 0.5  # ...or one skeleton's core inside the other's box, which covers this much of its box
_CORE = [0, 11, 12, 23, 24]  # nose, shoulders, hips: the landmarks a partial duplicate still places

Box = tuple[float, float, float, float]


def box_of(landmarks: np.ndarray, width: int, height: int) -> Box:
    """Body bounding box in pixels (x0, y0, x1, y1) over the 33 image landmarks."""
    xs, ys = landmarks[:, 0] * width, landmarks[:, 1] * height
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _intersection(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def iou(a: Box, b: Box) -> float:
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def centre_shift(a: Box, b: Box) -> float:
    diag = math.hypot(a[2] - a[0], a[3] - a[1]) or 1.0
    return math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) / diag


def distinct(people: list[np.ndarray], looks: list[np.ndarray], width: int,
             height: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Drop duplicate detections of one person (multi-pose BlazePose can return two skeletons for
    one body, one of them partial): of two such boxes keep the more visible skeleton."""
    order = sorted(range(len(people)), key=lambda i: -float(people[i][:, 6].mean()))
    kept: list[int] = []
    for i in order:
        box = box_of(people[i], width, height)
        if all(not _duplicates(box, box_of(people[k], width, height))
               and not same_skeleton(people[i], people[k], width, height) for k in kept):
            kept.append(i)
    kept.sort()
    return [people[i] for i in kept], [looks[i] for i in kept]


def _duplicates(a: Box, b: Box) -> bool:
    smaller = min(_area(a), _area(b))
    return iou(a, b) > DUPLICATE_IOU or (smaller > 0 and _intersection(a, b) / smaller > DUPLICATE_COVER)


def same_skeleton(a: np.ndarray, b: np.ndarray, width: int, height: int) -> bool:
    """Whether two detections are one body: three of nose, shoulders and hips coincide (within
    DUPLICATE_KEYPOINTS x the larger torso height, either skeleton's sides, since a duplicate may be
    mirrored), both shoulders or both hips among them. A partial duplicate shares the head and shoulders
    and stretches its hips down the body (Sports2D demo, arms overhead: 76-86 px apart at a 116-191 px
    torso); two people side by side are a shoulder width or more apart at every one of these points."""
    scale = np.array([width, height], dtype=float)
    pa, pb = a[_CORE, :2] * scale, b[_CORE, :2] * scale

    def torso(p: np.ndarray) -> float:
        return float(np.linalg.norm(p[1:3].mean(axis=0) - p[3:5].mean(axis=0)))

    limit = DUPLICATE_KEYPOINTS * max(torso(pa), torso(pb), 1.0)
    swapped = pb[[0, 2, 1, 4, 3]]
    for q in (pb, swapped):
        near = np.linalg.norm(pa - q, axis=1) < limit
        if near.sum() >= 3 and (near[1:3].all() or near[3:5].all()):
            return True
    # A ghost: a collapsed skeleton drawn inside a body (head, shoulders and hips on that body, arms out
    # into the background; Sports2D demo mirrored, 1.4 s). Its core lies within the other's box, and
    # its box mostly too; a sparring partner reached by a punch keeps its legs and far arm outside.
    box_a, box_b = box_of(a, width, height), box_of(b, width, height)
    smaller = min(_area(box_a), _area(box_b))
    if smaller <= 0 or _intersection(box_a, box_b) / smaller < GHOST_COVER:
        return False
    return _inside(pa, box_b) >= 4 or _inside(pb, box_a) >= 4


def _inside(points: np.ndarray, box: Box) -> int:
    return int(((points[:, 0] >= box[0]) & (points[:, 0] <= box[2]) & (points[:, 1] >= box[1])
                & (points[:, 1] <= box[3])).sum())
