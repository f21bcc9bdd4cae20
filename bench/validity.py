"""How far the numbers of a real video can be trusted, in one run (issue 9, item 9).

Run: .venv/bin/python bench/validity.py [--skip-variants]
Prints, through the code /analyze runs (pose extraction, cleaning, services.scoring.biomechanics):
1. per pose2sim view: max_speed and its effector against the triangulated truth (.trc, Butterworth
   10 Hz, fastest wrist/ankle/toe in the lab frame), the quality verdict, the analysis time;
2. knee and hip flexion RMSE against OpenSim on cam01, from the measured positions (image plane in
   metres + low-passed depth) and from BlazePose's world landmarks;
3. every invariance ratio of bench/video_variants.py on cam01 and the Sports2D clip;
4. the open-set recognition rates recorded in the default model's manifest (models/scoring);
5. the CMU peaks (bench/mocap_validation.py's table).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, filtfilt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import angles_vs_opensim as opensim  # noqa: E402
from bench import mocap_validation  # noqa: E402
from bench.video_variants import VARIANTS, make_variant  # noqa: E402
from services.kit.paths import REPO, VIDEOS  # noqa: E402
from services.pose.extract import extract_poses  # noqa: E402
from services.pose.landmarker import bundle_path  # noqa: E402
from services.pose.servicer import to_proto  # noqa: E402
from services.pose.workers import WorkerLimits, WorkerPool  # noqa: E402
from services.scoring.biomechanics import analyze_motion  # noqa: E402
from services.scoring.biomechanics.angles import joint_angles  # noqa: E402
from services.scoring.biomechanics.planar import metric_positions  # noqa: E402
from services.scoring.clients import motion_from_sequence  # noqa: E402
from services.scoring.learning.lifting import DepthLifter  # noqa: E402

TRUTH_MARKERS = ["LWrist", "RWrist", "LAnkle", "RAnkle", "LBigToe", "RBigToe"]


def truth_peak() -> tuple[float, str]:
    t, names, pos = opensim.read_trc()
    b, a = butter(2, (10.0 / 0.802) / 30.0)  # 10 Hz at -3 dB after the double pass, 60 Hz
    speed = np.linalg.norm(np.gradient(filtfilt(b, a, pos, axis=0), t, axis=0), axis=-1)
    peaks = {m: float(speed[:, names.index(m)].max()) for m in TRUTH_MARKERS}
    best = max(peaks, key=peaks.get)
    return peaks[best], best


def _verdict(report) -> str:
    return report.details["quality"]["max_speed"]["verdict"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-variants", action="store_true")
    args = parser.parse_args()
    bundle = bundle_path(REPO / "models")
    pool = WorkerPool(bundle, WorkerLimits(), 2)
    lifter = DepthLifter.from_dir(REPO / "models" / "scoring")  # as the scoring service loads it

    def analyse(path: Path):
        started = time.perf_counter()
        seq = to_proto(extract_poses(path, bundle, workers=2, pool=pool))
        motion = motion_from_sequence(seq, lifter)
        report = analyze_motion(motion, body_mass_kg=70.0)
        return seq, motion, report, time.perf_counter() - started

    try:
        truth, marker = truth_peak()
        print(f"## max_speed per pose2sim view (truth {truth:.2f} m/s, {marker})\n")
        print("| view | max_speed m/s | effector | error % | verdict | extraction + analysis s |")
        print("|---|---|---|---|---|---|")
        results = {}
        for cam in range(1, 5):
            results[cam] = analyse(VIDEOS / f"pose2sim-balancing-cam0{cam}.mp4")
            _, _, r, secs = results[cam]
            print(f"| cam0{cam} | {r.max_speed:.2f} | {r.effector} | {(r.max_speed / truth - 1) * 100:+.1f} | "
                  f"{_verdict(r)} | {secs:.2f} |", flush=True)

        print("\n## knee/hip flexion RMSE vs OpenSim, cam01 (degrees)\n")
        _, names, markers = opensim.read_trc()
        mot = opensim.read_mot()
        seq, motion, _, _ = results[1]
        image = motion.image
        lag, _ = opensim.find_lag(np.where(np.isfinite(image), image, np.nan), names, markers)
        measured, _ = metric_positions(motion)
        for label, pos in ((f"measured positions (image plane + depth {'lifted' if motion.depth is not None else 'of BlazePose'}, low-passed)", measured),
                           ("BlazePose world landmarks", np.where(motion.visibility[..., None] >= 0.5,
                                                                  motion.world, np.nan))):
            stats = opensim.compare(joint_angles(pos), mot, lag)
            print(f"- {label}: overall {opensim.overall_rmse(stats):.1f}; "
                  + ", ".join(f"{k} {v['rmse']:.1f}" for k, v in stats.items()))

        if not args.skip_variants:
            print("\n## invariances (ratio of max_speed to the original's; wanted factor, tolerance)\n")
            print("| clip | variant | max_speed | ratio | wanted | holds | verdict (orig) | overall score (orig) |")
            print("|---|---|---|---|---|---|---|---|")
            tmp = Path(tempfile.mkdtemp())
            for clip in ("pose2sim-balancing-cam01", "sports2d-demo"):
                source = VIDEOS / f"{clip}.mp4"
                base = results[1][2] if clip.endswith("cam01") else analyse(source)[2]
                for name, (_, factor, tol) in VARIANTS.items():
                    r = analyse(make_variant(source, name, tmp))[2]
                    ratio = r.max_speed / base.max_speed
                    print(f"| {clip} | {name} | {r.max_speed:.2f} | {ratio:.3f} | {factor:g} +-{tol * 100:.0f} % | "
                          f"{'yes' if abs(ratio / factor - 1) <= tol else 'NO'} | {_verdict(r)} ({_verdict(base)}) | "
                          f"{r.overall_score} ({base.overall_score}) |", flush=True)
    finally:
        pool.close()

    print("\n## open-set recognition (from the default model's manifest)\n")
    manifest = REPO / "models" / "scoring" / "graphsage.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        keys = [k for k in data if any(s in k for s in ("tpr", "fpr", "open_set", "accuracy"))]
        print(json.dumps({k: data[k] for k in keys}, indent=1))
    print("\n## CMU peaks\n")
    mocap_validation.main()


if __name__ == "__main__":
    main()
