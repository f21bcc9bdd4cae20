"""Balance from video against the pose2sim truth: the same trial's triangulated markers (.trc, level lab
floor) through the same code, and each of its four camera views through the whole analysis path.

    .venv/bin/python bench/balance_vs_truth.py

Per source: the vertical found (balance.estimate_vertical: source, tilt from the camera's axis), then over
every frame of the clip the share of frames whose centre of mass (static) and extrapolated CoM (Hof 2005)
lie beyond the base of support, the largest excursion and the sway (RMS, m); and what the analysis reports
(analyze_motion: judged in the settled stance after each repetition when it finds repetitions).
The truth's rows use the lab's vertical and the estimate; its head and hands are completed from its
markers (angles_vs_opensim.trc_body).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import angles_vs_opensim as opensim  # noqa: E402
from services.scoring.biomechanics import analyze_motion  # noqa: E402
from services.scoring.biomechanics.balance import Vertical, balance, estimate_vertical  # noqa: E402
from services.scoring.biomechanics.measurement import measure  # noqa: E402


def row(name: str, pos: np.ndarray, dt: float, vertical: Vertical | None = None, reported: str = "",
        vel: np.ndarray | None = None) -> str:
    vertical = vertical or estimate_vertical(pos)
    static, dynamic = balance(pos, vertical=vertical), balance(pos, dt=dt, vertical=vertical, vel=vel)
    return (f"| {name} | {vertical.source} {vertical.tilt_deg:.1f} | {static.fraction_outside:.2f} / "
            f"{static.max_excursion_m:.2f} | {dynamic.fraction_outside:.2f} / {dynamic.max_excursion_m:.2f} | "
            f"{static.sway_rms_m:.3f} | {reported} |")


def main() -> None:
    print("| source | vertical (source, tilt deg) | CoM beyond support: share / max m | XCoM: share / max m "
          "| sway m | reported by the analysis (share / max m, frames judged) |")
    print("|---|---|---|---|---|---|")
    t, names, markers = opensim.read_trc()
    truth, dt = opensim.trc_body(names, markers), float(np.median(np.diff(t)))
    print(row("truth (.trc), lab vertical", truth, dt, Vertical(np.array([0.0, 1.0, 0.0]), 0.0, "lab", 0)))
    print(row("truth (.trc), estimated vertical", truth, dt))
    for cam, motion in opensim.video_motions():
        kin = measure(motion).kinematics
        d = analyze_motion(motion, body_mass_kg=70.0).details
        reported = (f"{d['com_outside_fraction']} / {d['com_max_excursion_m']}, {d['balance_frames']} "
                    f"({d['balance_phases']})")
        print(row(f"cam0{cam} video", kin.pos, kin.dt, reported=reported, vel=kin.vel), flush=True)


if __name__ == "__main__":
    main()
