"""Knee and hip angles from one video (BlazePose + angles.py) against OpenSim inverse kinematics.

Ground truth (../shared/data/ground-truth/pose2sim-balancing/): a Pose2Sim balancing trial, its 3-D
keypoints triangulated from 4 cameras (.trc, metres, 60 Hz, lab Y up) and the OpenSim IK of a scaled
Body25b model fitted to them (.mot, degrees). In that model knee_angle (+ = flexion), hip_flexion
(+ = flexion) and hip_adduction (+ = adduction, so our abduction is its negative) follow ISB signs.

1. Trial match and time offset: for each candidate lag, one pinhole camera (DLT, 11 parameters,
   Hartley & Zisserman 2003 sec. 7.1) is fitted to the .trc markers against the video's image
   landmarks (visibility >= 0.5); the median reprojection error (px) is smallest at the true lag.
2. Angles: joint_angles() on the video's world landmarks (lag applied) and on the .trc markers
   mapped into the 33-landmark layout (the latter checks the convention itself, without video).
   RMSE and mean error (ours - OpenSim), degrees; r = Pearson correlation over time.
3. Depth check: the .trc markers turned into the fitted camera's axes (rotation from the RQ
   decomposition of the DLT matrix) give BlazePose's error per axis, and the angles once BlazePose's
   depth (z) is replaced by the .trc's: what monocular depth costs.

Usage: .venv/bin/python bench/angles_vs_opensim.py [--cams 1 2 3 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.linalg import rq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import GROUND_TRUTH, REPO, VIDEOS  # noqa: E402
from services.scoring.biomechanics import landmarks as L  # noqa: E402
from services.scoring.biomechanics.angles import joint_angles  # noqa: E402

TRUTH = GROUND_TRUTH / "pose2sim-balancing"
TRC = TRUTH / "S00_P00_T01_BalancingTrial_0-100.trc"
MOT = TRUTH / "S00_P00_T01_BalancingTrial_0-100_body25b.mot"
MIN_VISIBILITY = 0.5  # MediaPipe's own default confidence threshold (as bench/pose_vs_ground_truth.py)

# Body25b marker -> BlazePose landmark (the markers that exist in both).
MARKERS = {
    "Nose": L.NOSE, "LShoulder": L.LEFT_SHOULDER, "RShoulder": L.RIGHT_SHOULDER,
    "LElbow": L.LEFT_ELBOW, "RElbow": L.RIGHT_ELBOW, "LWrist": L.LEFT_WRIST, "RWrist": L.RIGHT_WRIST,
    "LHip": L.LEFT_HIP, "RHip": L.RIGHT_HIP, "LKnee": L.LEFT_KNEE, "RKnee": L.RIGHT_KNEE,
    "LAnkle": L.LEFT_ANKLE, "RAnkle": L.RIGHT_ANKLE, "LHeel": L.LEFT_HEEL, "RHeel": L.RIGHT_HEEL,
    "LBigToe": L.LEFT_TOE, "RBigToe": L.RIGHT_TOE,
}
# (our angle, .mot column, sign that turns the .mot value into our convention)
COMPARED = [
    ("right_knee_flexion", "knee_angle_r", 1.0), ("left_knee_flexion", "knee_angle_l", 1.0),
    ("right_hip_flexion", "hip_flexion_r", 1.0), ("left_hip_flexion", "hip_flexion_l", 1.0),
]
EXTRA = [("right_hip_abduction", "hip_adduction_r", -1.0), ("left_hip_abduction", "hip_adduction_l", -1.0)]


def read_trc(path: Path = TRC) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(t [N] s, marker names, positions [N,M,3] m in the lab frame) of an OpenSim .trc file."""
    lines = path.read_text().splitlines()
    names = [n for n in lines[3].split("\t")[2:] if n]
    rows = np.array([[float(v) for v in line.split("\t")[:2 + 3 * len(names)]] for line in lines[5:] if line.strip()])
    return rows[:, 1], names, rows[:, 2:].reshape(len(rows), len(names), 3)


def read_mot(path: Path = MOT) -> dict[str, np.ndarray]:
    """Columns of an OpenSim .mot file (angles in degrees when the header says inDegrees=yes)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "endheader") + 1
    names = lines[start].split("\t")
    rows = np.array([[float(v) for v in line.split()] for line in lines[start + 1:] if line.strip()])
    return {name.strip(): rows[:, j] for j, name in enumerate(names)}


def trc_landmarks(names: list[str], markers: np.ndarray) -> np.ndarray:
    """The .trc markers as [N,33,3] BlazePose world landmarks (NaN where no marker exists).

    The lab frame is Y up; a 180-degree turn about X (x, y, z) -> (x, -y, -z) makes y point down as
    in MediaPipe while keeping the frame right-handed; then the hip centre is made the origin."""
    pos = np.full((markers.shape[0], L.N_LANDMARKS, 3), np.nan)
    for marker, index in MARKERS.items():
        pos[:, index] = markers[:, names.index(marker)] * np.array([1.0, -1.0, -1.0])
    return pos - 0.5 * (pos[:, L.LEFT_HIP] + pos[:, L.RIGHT_HIP])[:, None]


def trc_body(names: list[str], markers: np.ndarray) -> np.ndarray:
    """trc_landmarks completed for the centre of mass (segments.whole_body_com: de Leva's head at the ears,
    the hands at the knuckles), which the .trc has no markers for: both ears at its Head marker, the hand
    points 0.35 forearm lengths beyond the wrist along the forearm (de Leva's hand / forearm length)."""
    pos = trc_landmarks(names, markers)
    hip = 0.5 * (markers[:, names.index("LHip")] + markers[:, names.index("RHip")])
    head = (markers[:, names.index("Head")] - hip) * np.array([1.0, -1.0, -1.0])
    pos[:, L.LEFT_EAR] = pos[:, L.RIGHT_EAR] = head
    for wrist, elbow, hand in ((L.LEFT_WRIST, L.LEFT_ELBOW, (L.LEFT_INDEX, L.LEFT_PINKY, L.LEFT_THUMB)),
                               (L.RIGHT_WRIST, L.RIGHT_ELBOW, (L.RIGHT_INDEX, L.RIGHT_PINKY, L.RIGHT_THUMB))):
        for point in hand:
            pos[:, point] = pos[:, wrist] + 0.35 * (pos[:, wrist] - pos[:, elbow])
    return pos


def video_landmarks(seq) -> tuple[np.ndarray, np.ndarray]:
    """(world [N,33,3] m, image [N,33,2] px) of a PoseSequence; NaN below MIN_VISIBILITY or undetected."""
    n = len(seq.frames)
    world, image = np.full((n, L.N_LANDMARKS, 3), np.nan), np.full((n, L.N_LANDMARKS, 2), np.nan)
    for k, frame in enumerate(seq.frames):
        if frame.detected:
            seen = frame.landmarks[:, 6] >= MIN_VISIBILITY
            world[k, seen] = frame.landmarks[seen, 3:6]
            image[k, seen] = frame.landmarks[seen, 0:2] * np.array([seq.width, seq.height])
    return world, image


def _pairs(lag: int, n_video: int, n_truth: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (video frames, truth rows) paired when truth row j is video frame j + lag."""
    j = np.arange(n_truth)
    keep = (j + lag >= 0) & (j + lag < n_video)
    return j[keep] + lag, j[keep]


def fit_camera(image: np.ndarray, names: list[str], markers: np.ndarray, lag: int) -> tuple[np.ndarray, float]:
    """(3x4 projection matrix lab metres -> px, median reprojection error px) of the DLT camera that best
    maps the markers onto the video's image landmarks, truth row j taken as video frame j + lag."""
    vi, ti = _pairs(lag, len(image), len(markers))
    cols = [(names.index(m), i) for m, i in MARKERS.items()]
    X = markers[ti][:, [c for c, _ in cols]].reshape(-1, 3)
    u = image[vi][:, [i for _, i in cols]].reshape(-1, 2)
    ok = np.isfinite(u).all(axis=1) & np.isfinite(X).all(axis=1)
    X, u = X[ok], u[ok]
    # Hartley's normalisation (centred, unit spread) keeps the SVD well conditioned.
    T_u = np.diag([1 / u.std(), 1 / u.std(), 1.0])
    T_u[:2, 2] = -u.mean(axis=0) / u.std()
    T_X = np.diag([1 / X.std()] * 3 + [1.0])
    T_X[:3, 3] = -X.mean(axis=0) / X.std()
    Xh, uh = np.c_[X, np.ones(len(X))] @ T_X.T, np.c_[u, np.ones(len(u))] @ T_u.T
    zero = np.zeros_like(Xh)
    # Each point gives two rows of the homogeneous system A p = 0 (p: the 3x4 projection matrix).
    A = np.concatenate([np.c_[Xh, zero, -uh[:, :1] * Xh], np.c_[zero, Xh, -uh[:, 1:2] * Xh]])
    P = np.linalg.inv(T_u) @ np.linalg.svd(A, full_matrices=False)[2][-1].reshape(3, 4) @ T_X
    proj = np.c_[X, np.ones(len(X))] @ P.T
    return P, float(np.median(np.linalg.norm(proj[:, :2] / proj[:, 2:] - u, axis=1)))


def find_lag(image: np.ndarray, names: list[str], markers: np.ndarray, max_lag: int = 6) -> tuple[int, dict[int, float]]:
    """(lag with the smallest reprojection error, error px per lag); truth row j = video frame j + lag."""
    errors = {lag: fit_camera(image, names, markers, lag)[1] for lag in range(-max_lag, max_lag + 1)}
    return min(errors, key=errors.get), errors


def markers_in_camera_axes(P: np.ndarray, names: list[str], markers: np.ndarray) -> np.ndarray:
    """The .trc markers as [N,33,3] landmarks turned into the fitted camera's axes (x right, y down,
    z away: MediaPipe's world axes), hip-centred. K R = the RQ decomposition of P's left 3x3 block."""
    K, R = rq(P[:, :3])
    R = np.diag(np.sign(np.diag(K))) @ R  # K's diagonal made positive
    if np.linalg.det(R) < 0:  # P is known up to sign; a rotation has det +1
        R = -R
    pos = np.full((markers.shape[0], L.N_LANDMARKS, 3), np.nan)
    for marker, index in MARKERS.items():
        pos[:, index] = markers[:, names.index(marker)] @ R.T
    return pos - 0.5 * (pos[:, L.LEFT_HIP] + pos[:, L.RIGHT_HIP])[:, None]


def depth_diagnosis(world: np.ndarray, truth_cam: np.ndarray, lag: int) -> tuple[np.ndarray, dict[str, float]]:
    """(world with its depth z replaced by the .trc's, RMS position error in m of the leg landmarks
    along x, y (image plane) and z (depth)); truth row j = video frame j + lag. x and y include
    BlazePose's scale (its shanks are ~12 % shorter (medians) than the .trc's), so they are upper bounds."""
    vi, ti = _pairs(lag, len(world), len(truth_cam))
    hybrid = world.copy()
    hybrid[vi, :, 2] = truth_cam[ti, :, 2]
    legs = [L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]
    err = world[vi][:, legs] - truth_cam[ti][:, legs]
    return hybrid, {axis: float(np.sqrt(np.nanmean(err[..., k] ** 2))) for k, axis in enumerate("xyz")}


def compare(ours: dict[str, np.ndarray], mot: dict[str, np.ndarray], lag: int = 0,
            which=COMPARED) -> dict[str, dict[str, float]]:
    """Per angle: rmse, bias (mean of ours - OpenSim), r, n over the paired finite frames (degrees)."""
    out = {}
    for name, column, sign in which:
        vi, ti = _pairs(lag, len(ours[name]), len(mot[column]))
        x, y = ours[name][vi], sign * mot[column][ti]
        ok = np.isfinite(x) & np.isfinite(y)
        e = x[ok] - y[ok]
        out[name] = {"rmse": float(np.sqrt(np.mean(e ** 2))), "bias": float(np.mean(e)),
                     "r": float(np.corrcoef(x[ok], y[ok])[0, 1]), "n": int(ok.sum())}
    return out


def overall_rmse(stats: dict[str, dict[str, float]]) -> float:
    """RMS over the compared angles of their RMSE (every angle weighted equally), degrees."""
    return float(np.sqrt(np.mean([s["rmse"] ** 2 for s in stats.values()])))


def extract(cam: int, workers: int = 2):
    """The project's real extraction (default cleaning, 10 Hz Butterworth) of pose2sim cam0<cam>."""
    from services.pose.extract import extract_poses
    from services.pose.landmarker import bundle_path
    return extract_poses(VIDEOS / f"pose2sim-balancing-cam0{cam}.mp4", bundle_path(REPO / "models"),
                         workers=workers)


def video_motions(cams=range(1, 5)):
    """(cam, Motion) of each pose2sim view through the whole analysis path: the pose service's extraction (two
    workers, one pool) and the scoring service's depth lifter, as /analyze would read them."""
    from services.pose.extract import extract_poses
    from services.pose.landmarker import bundle_path
    from services.pose.servicer import to_proto
    from services.pose.workers import WorkerLimits, WorkerPool
    from services.scoring.clients import motion_from_sequence
    from services.scoring.learning.lifting import DepthLifter

    bundle = bundle_path(REPO / "models")
    pool = WorkerPool(bundle, WorkerLimits(), 2)
    lifter = DepthLifter.from_dir(REPO / "models" / "scoring")
    try:
        for cam in cams:
            seq = to_proto(extract_poses(VIDEOS / f"pose2sim-balancing-cam0{cam}.mp4", bundle, workers=2, pool=pool))
            yield cam, motion_from_sequence(seq, lifter)
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cams", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    t_trc, names, markers = read_trc()
    mot = read_mot()
    trc = compare(joint_angles(trc_landmarks(names, markers)), mot, 0, COMPARED + EXTRA)
    for cam in args.cams:
        seq = extract(cam)
        world, image = video_landmarks(seq)
        lag, errors = find_lag(image, names, markers)
        t_video = np.array([f.timestamp_ms for f in seq.frames]) / 1000.0
        vi, ti = _pairs(lag, len(t_video), len(t_trc))
        dt_ms = 1000.0 * float(np.mean(t_video[vi] - t_trc[ti]))
        print(f"\ncam0{cam}: {len(seq.frames)} frames at {seq.fps:g} fps (.trc {len(t_trc)} rows, .mot "
              f"{len(mot['time'])}); best lag {lag:+d} frame(s): .trc/.mot row j = video frame j{lag:+d}, "
              f"time offset {round(dt_ms, 1) + 0.0:+.1f} ms against the files' own clocks; reprojection median px by lag: "
              + ", ".join(f"{k:+d}: {v:.1f}" for k, v in errors.items() if abs(k - lag) <= 3))
        video = compare(joint_angles(world), mot, lag, COMPARED + EXTRA)
        print("| angle | RMSE video vs OpenSim (deg) | bias video | r video | RMSE trc vs OpenSim (deg) "
              "| bias trc | r trc | offset frames |")
        print("|---|---|---|---|---|---|---|---|")
        for name, *_ in COMPARED + EXTRA:
            v, g = video[name], trc[name]
            print(f"| {name} | {v['rmse']:.1f} | {v['bias']:+.1f} | {v['r']:.2f} | {g['rmse']:.1f} | "
                  f"{g['bias']:+.1f} | {g['r']:.2f} | {lag:+d} |")
        keys = [name for name, *_ in COMPARED]
        print(f"| overall (knee + hip flexion) | {overall_rmse({k: video[k] for k in keys}):.1f} | | | "
              f"{overall_rmse({k: trc[k] for k in keys}):.1f} | | | {lag:+d} |")
        hybrid, axis_err = depth_diagnosis(world, markers_in_camera_axes(fit_camera(image, names, markers, lag)[0],
                                                                         names, markers), lag)
        fixed = compare(joint_angles(hybrid), mot, lag, COMPARED)
        print("Depth check: knees and ankles RMS error m, x %.3f, y %.3f, z (depth) %.3f; RMSE with the .trc's "
              "depth in place of BlazePose's: " % tuple(axis_err.values())
              + ", ".join(f"{k} {v['rmse']:.1f}" for k, v in fixed.items()) + f", overall {overall_rmse(fixed):.1f}",
              flush=True)


if __name__ == "__main__":
    main()
