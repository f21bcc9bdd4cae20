"""Peak wrist/ankle speed from each pose2sim view against the triangulated ground truth (TRC).

The four pose2sim videos film one trial whose 3-D keypoints were triangulated from the cameras
(../shared/data/ground-truth/pose2sim-balancing/*.trc, metres, 60 Hz). BlazePose world landmarks are
relative to the hip centre, so the ground truth is taken relative to the hip midpoint too; both are
low-passed at 10 Hz (Butterworth, zero phase) before differentiating (central differences, m/s).
Prints, per view, the peak speed of wrists and ankles, the ground truth's, and their ratio.

Usage: .venv/bin/python bench/pose_vs_ground_truth.py [--smoothing butterworth|one_euro|none]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.signal import butter, filtfilt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.landmark_signal import SignalConfig  # noqa: E402
from services.kit.paths import GROUND_TRUTH, REPO, VIDEOS  # noqa: E402
from services.pose.extract import extract_poses  # noqa: E402
from services.pose.landmarker import bundle_path  # noqa: E402
from services.pose.workers import WorkerLimits, WorkerPool  # noqa: E402

TRC = GROUND_TRUTH / "pose2sim-balancing" / "S00_P00_T01_BalancingTrial_0-100.trc"
# Ground-truth marker -> BlazePose landmark index.
ENDS = {"LWrist": 15, "RWrist": 16, "LAnkle": 27, "RAnkle": 28}


def _peak_speed(t_s: np.ndarray, rel: np.ndarray, fs: float) -> float:
    b, a = butter(2, (10.0 / 0.802) / (fs / 2))  # 10 Hz at -3 dB after the double pass (Winter)
    ok = np.isfinite(rel).all(axis=1)
    x = filtfilt(b, a, rel[ok], axis=0)
    return float(np.linalg.norm(np.gradient(x, t_s[ok], axis=0), axis=1).max())


def ground_truth() -> dict[str, float]:
    lines = TRC.read_text().splitlines()
    names = [n for n in lines[3].split("\t")[2:] if n]
    rows = np.array([[float(v) for v in line.split("\t")[:2 + 3 * len(names)]] for line in lines[5:] if line.strip()])
    t, pos = rows[:, 1], rows[:, 2:].reshape(len(rows), len(names), 3)
    hip = (pos[:, names.index("LHip")] + pos[:, names.index("RHip")]) / 2
    return {m: _peak_speed(t, pos[:, names.index(m)] - hip, 60.0) for m in ENDS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoothing", default="butterworth")
    args = parser.parse_args()
    truth = ground_truth()
    bundle = bundle_path(REPO / "models")
    pool = WorkerPool(bundle, WorkerLimits(), 2)
    try:
        print("| view | " + " | ".join(f"{m} m/s (truth {truth[m]:.2f})" for m in ENDS) + " | worst ratio |")
        print("|---|" + "---|" * (len(ENDS) + 1))
        for cam in range(1, 5):
            seq = extract_poses(VIDEOS / f"pose2sim-balancing-cam0{cam}.mp4", bundle, workers=2, pool=pool,
                                signal=SignalConfig(smoothing=args.smoothing))
            t = np.array([f.timestamp_ms / 1000.0 for f in seq.frames])
            world = np.array([f.landmarks[:, 3:6] if f.detected else np.full((33, 3), np.nan) for f in seq.frames])
            vis = np.array([f.landmarks[:, 6] if f.detected else np.zeros(33) for f in seq.frames])
            world[vis < 0.5] = np.nan
            speeds = {m: _peak_speed(t, world[:, j], seq.fps) for m, j in ENDS.items()}
            worst = max(max(speeds[m] / truth[m], truth[m] / speeds[m]) for m in ENDS)
            print(f"| cam0{cam} | " + " | ".join(f"{speeds[m]:.2f}" for m in ENDS) + f" | {worst:.2f} |", flush=True)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
