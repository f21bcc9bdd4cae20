"""Validation table: the project's biomechanics on the CMU karate capture vs the reference figures.

Run: .venv/bin/python bench/mocap_validation.py
Prints, per clip, the peak effector speed measured by analyze_motion (the code /analyze runs), the
reference figure from ../shared/data/README.md, the relative error, and the repetitions found with
their phase timings (ms).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from services.kit.paths import CMU_KARATE as CMU

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.scoring.biomechanics import analyze_motion  # noqa: E402
from services.scoring.mocap.cmu import load_clips, repetitions  # noqa: E402

REFERENCE = {"front_kick": ("toe", 10.0), "roundhouse": ("toe", 9.7), "side_kick": ("toe", 8.9),
             "lunge_punch": ("hand", 6.3)}


def main() -> None:
    print("| clip | technique | effector | peak m/s | reference m/s | error % | repetitions | "
          "mean chamber->extension ms | mean extension->retraction ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for clip in load_clips(CMU):
        report = analyze_motion(clip.motion, body_mass_kg=75.0, technique=clip.technique)
        reps = repetitions(clip)
        ref = REFERENCE.get(clip.technique)
        ref_txt = f"{ref[1]:.1f} ({ref[0]})" if ref else "-"
        err = f"{(report.max_speed - ref[1]) / ref[1] * 100:+.1f}" if ref else "-"
        phases = [r.phases_ms() for r in reps]
        drive = np.mean([p["chamber_to_extension"] for p in phases])
        back = np.mean([p["extension_to_retraction"] for p in phases])
        print(f"| {clip.name} | {clip.technique} | {report.effector} | {report.max_speed:.2f} | {ref_txt} | {err} | "
              f"{len(reps)} | {drive:.0f} | {back:.0f} |", flush=True)


if __name__ == "__main__":
    main()
