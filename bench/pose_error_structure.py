"""How BlazePose's world-landmark errors hang together, on the pose2sim views against the triangulated .trc.

    .venv/bin/python bench/pose_error_structure.py [--cams 1 2]

The video-like views the classifier trains on (learning/video_like.py) add BlazePose's errors to motion
capture. Their sizes were measured per landmark; this measures how they move together, which decides whether
a limb keeps its shape under the noise. Per view: the camera fitted by DLT to the .trc markers against the
image landmarks (bench/angles_vs_opensim.py: find_lag, fit_camera, markers_in_camera_axes), the error of each
world landmark (video - markers in the camera's axes, both hip-centred, over the paired frames, each
landmark's mean error aside), then
- correlations of the depth (z) and image x errors: knee-ankle and elbow-wrist of one limb, left and right
  knee, shoulder and knee;
- the error's variance split per frame into a lean of the whole body (the least-squares angle that explains
  the error as proportional to the landmark's height above the hips), then the mean of each limb (of what is
  left), then the rest (each landmark's own).
Only views whose fitted camera reprojects the markers within MAX_REPROJECTION_PX mean anything (cam03's and
cam04's do not fit: 387 and 237 px).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.angles_vs_opensim import _pairs, find_lag, fit_camera, markers_in_camera_axes, read_trc, video_motions  # noqa: E402
from services.scoring.biomechanics import landmarks as L  # noqa: E402

MAX_REPROJECTION_PX = 50.0
LIMBS = {"left arm": (L.LEFT_ELBOW, L.LEFT_WRIST), "right arm": (L.RIGHT_ELBOW, L.RIGHT_WRIST),
         "left leg": (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_TOE),
         "right leg": (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_TOE),
         "head and shoulders": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.NOSE)}
ORDER = [j for limb in LIMBS.values() for j in limb]
COLUMN = {j: i for i, j in enumerate(ORDER)}   # landmark -> its column in ORDER
PAIRS = {"knee-ankle": [(L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE)],
         "elbow-wrist": [(L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST)],
         "left-right knee": [(L.LEFT_KNEE, L.RIGHT_KNEE)],
         "shoulder-knee": [(L.LEFT_SHOULDER, L.LEFT_KNEE), (L.RIGHT_SHOULDER, L.RIGHT_KNEE)]}


def variance_split(error: np.ndarray, height: np.ndarray) -> tuple[float, float, float]:
    """(lean, limb, landmark) shares of the variance of error [N, len(ORDER)] (m), height [N, len(ORDER)] (m)
    above the hips: per frame, the lean angle fitted through the hips, then each limb's mean of the rest."""
    e = error - error.mean(axis=0)
    total = float(np.mean(e ** 2))
    angle = (e * height).sum(axis=1) / (height * height).sum(axis=1)
    rest = e - angle[:, None] * height
    own, start = rest.copy(), 0
    for limb in LIMBS.values():
        block = slice(start, start + len(limb))
        own[:, block] -= rest[:, block].mean(axis=1, keepdims=True)
        start += len(limb)
    return (1.0 - float(np.mean(rest ** 2)) / total, (float(np.mean(rest ** 2)) - float(np.mean(own ** 2))) / total,
            float(np.mean(own ** 2)) / total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cams", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    _, names, markers = read_trc()
    print("| view | reprojection px | axis | RMS m | " + " | ".join(PAIRS) + " | lean / limb / landmark |")
    print("|---" * (5 + len(PAIRS)) + "|")
    for cam, motion in video_motions(args.cams):
        lag, _ = find_lag(motion.image, names, markers)
        camera, reprojection = fit_camera(motion.image, names, markers, lag)
        if reprojection > MAX_REPROJECTION_PX:
            print(f"| cam0{cam} | {reprojection:.0f} | | | the fitted camera does not fit the markers: skipped |")
            continue
        truth = markers_in_camera_axes(camera, names, markers)
        vi, ti = _pairs(lag, len(motion.world), len(truth))
        world = motion.world[vi] - 0.5 * (motion.world[vi][:, L.LEFT_HIP] + motion.world[vi][:, L.RIGHT_HIP])[:, None]
        error = world - truth[ti]
        for axis, k in (("depth z", 2), ("image x", 0)):
            e, height = error[:, ORDER, k], -truth[ti][:, ORDER, 1]
            ok = np.isfinite(e).all(axis=1) & np.isfinite(height).all(axis=1)
            e, height = e[ok], height[ok]
            centred = e - e.mean(axis=0)
            corr = np.corrcoef(centred.T)
            pairs = [np.mean([corr[COLUMN[a], COLUMN[b]] for a, b in p]) for p in PAIRS.values()]
            split = variance_split(e, height)
            print(f"| cam0{cam} | {reprojection:.0f} | {axis} | {np.sqrt(np.mean(centred ** 2)):.3f} | "
                  + " | ".join(f"{c:+.2f}" for c in pairs) + " | " + " / ".join(f"{s:.2f}" for s in split) + " |")


if __name__ == "__main__":
    main()
