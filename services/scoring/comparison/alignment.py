"""DTW alignment of two repetitions' normalised pose sequences, and its similarity in percent.

DTW (dynamic time warping; Sakoe & Chiba 1978) pairs each frame of the student with frames of the
coach so that the summed pose distance along the pairing is minimal, whatever the two tempos.
dtaidistance's dependent multivariate DTW (dtw_ndim, C implementation) returns
D = sqrt(sum over the path of |f_s(i) - f_c(j)|^2), with f the poses.pose_features vectors
(torso lengths). Independent of the path's length and of the number of joints J:
  pose error e = D / sqrt(len(path) * J)   (torso lengths, RMS distance of a joint along the path)
  similarity = 100 * exp(-e^2 / (2 SIMILARITY_SIGMA^2))   (%; 100 for identical sequences)
The Gaussian kernel is that of COCO's Object Keypoint Similarity (exp(-d^2 / (2 s^2 k^2)) per
keypoint), applied to the RMS joint error. SIMILARITY_SIGMA = 0.3 torso lengths (~15 cm for an
adult) is calibrated on CMU subject 135 (DTW over whole repetitions): his front kicks differ from
each other by e = 0.13-0.16 (similarity 87-91 %), from his roundhouse kicks by ~0.42 (~38 %) and
from his side kicks by ~0.65 (~10 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from dtaidistance import dtw_ndim

from services.scoring.biomechanics.landmarks import NAMES

from .poses import BODY_JOINTS

SIMILARITY_SIGMA = 0.3


@dataclass(frozen=True)
class Alignment:
    path: list[tuple[int, int]]   # (student frame, coach frame), frames from each repetition's start
    distance: float               # D, torso lengths
    pose_error: float             # e, torso lengths (RMS per joint along the path)
    similarity_pct: float         # 0-100
    joint_error: dict[str, float]  # RMS distance per joint along the path, torso lengths


def similarity(pose_error: float) -> float:
    """%: 100 * exp(-e^2 / (2 SIMILARITY_SIGMA^2)), see the module doc."""
    if not math.isfinite(pose_error):
        return 0.0
    return 100.0 * math.exp(-pose_error ** 2 / (2.0 * SIMILARITY_SIGMA ** 2))


def align(student: np.ndarray, coach: np.ndarray) -> Alignment:
    """DTW alignment of two feature sequences [n, 3J] and [m, 3J] (poses.pose_features)."""
    path, d = dtw_ndim.warping_path(student, coach, include_distance=True, use_c=True)
    path = [(int(i), int(j)) for i, j in path]
    pairs = np.asarray(path)
    diff = (student[pairs[:, 0]] - coach[pairs[:, 1]]).reshape(len(path), len(BODY_JOINTS), 3)
    sq = np.sum(diff * diff, axis=-1)                      # [path, J] squared joint distances
    error = float(math.sqrt(float(sq.mean())))            # = D / sqrt(len(path) * J)
    joint = {NAMES[j]: float(np.sqrt(sq[:, k].mean())) for k, j in enumerate(BODY_JOINTS)}
    return Alignment(path=path, distance=float(d), pose_error=error, similarity_pct=similarity(error),
                     joint_error=joint)
