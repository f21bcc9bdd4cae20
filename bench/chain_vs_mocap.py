"""Which kinetic-chain pairs can be timed: their peak-speed order on experts' motion capture and on video of it.

Run: .venv/bin/python bench/chain_vs_mocap.py
The experts' strikes (CMU subject 135: front kicks, roundhouses, side kicks, lunge punches; DeepMimic's kick,
spin kick and punch) are measured by the project's own path (measurement.measure, chain.peak_times_ms) in the
capture's 3-D and filmed by an ideal camera at 4 yaws, 30 and 60 fps, with BlazePose's frame jitter
(testkit.filmed_mocap). For every candidate pair of the striking limb (Putnam 1993's proximal-to-distal chain,
and the hip, knee or shoulder against the effector) it prints the lag (ms, distal peak - proximal peak) and
the share of repetitions in which the distal peak measurably follows, comes with it, or measurably leads
(chain.order_of: every lag the footage allows, chain.lag_range, positive / neither / negative).
A pair whose order experts reverse cannot be asked of a student: the analysis times only the pairs that
no expert reverses in the capture and hardly any view does (chain.TIMED_PAIRS). The last table is how far
one repetition's lag moves between views, which bounds a comparison of two performances filmed differently
(chain.VIEW_LAG_SPREAD_MS).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import CMU_KARATE, DEEPMIMIC  # noqa: E402
from services.scoring.biomechanics import landmarks as L  # noqa: E402
from services.scoring.biomechanics.chain import (ORDER_RESOLUTION_MS, lag_range, order_of,  # noqa: E402
                                                 order_resolution_ms, peaks_ms)
from services.scoring.biomechanics.measurement import measure  # noqa: E402
from services.scoring.biomechanics.motion import Motion  # noqa: E402
from services.scoring.biomechanics.repetitions import Repetition, find_repetitions  # noqa: E402
from services.scoring.learning.video_like import VIDEO  # noqa: E402
from services.scoring.mocap import deepmimic  # noqa: E402
from services.scoring.mocap.cmu import load_clips  # noqa: E402
from testkit.filmed_mocap import filmed_motion  # noqa: E402

YAWS_DEG = (0.0, 45.0, 90.0, 135.0)
JITTER_SEEDS = 3   # each filmed view is drawn with this many independent jitters
FRAME_RATES = (30.0, 60.0)
CANDIDATES = {"kick": ("hip", "knee", "ankle", "toe"), "punch": ("hip", "shoulder", "elbow", "wrist")}
PAIRS = {"kick": [("hip", "knee"), ("knee", "ankle"), ("ankle", "toe"), ("hip", "toe"), ("knee", "toe")],
         "punch": [("hip", "shoulder"), ("shoulder", "elbow"), ("elbow", "wrist"), ("shoulder", "wrist"),
                   ("hip", "wrist")]}
DEEPMIMIC_STRIKES = {"kick": "kick", "spinkick": "kick", "punch": "punch"}


def strikes() -> list[tuple[str, str, Motion]]:
    """(name, family, capture) of every expert strike clip."""
    out = [(c.name, "kick" if "kick" in c.technique or c.technique == "roundhouse" else "punch", c.motion)
           for c in load_clips(CMU_KARATE) if c.technique in ("front_kick", "roundhouse", "side_kick", "lunge_punch")]
    for clip in deepmimic.load_clips(DEEPMIMIC):
        if clip.name in DEEPMIMIC_STRIKES:
            motion = Motion(t=clip.t, world=clip.world, visibility=clip.visibility,
                            detected=np.ones(clip.t.size, dtype=bool))
            out.append((f"deepmimic/{clip.name}", DEEPMIMIC_STRIKES[clip.name], motion))
    return out


def lags(motion: Motion, family: str, rep: Repetition) -> dict[tuple[str, str], tuple[float, int]]:
    """pair -> (lag ms, chain.order_of) of one repetition, its effector and peak taken from the capture."""
    measured = measure(motion)
    side = L.side_of(rep.effector).upper()
    joints = tuple(getattr(L, f"{side}_{name.upper()}") for name in CANDIDATES[family])
    resolution = order_resolution_ms(measured.smoothed.video_fs) if motion.image is not None else ORDER_RESOLUTION_MS
    found = peaks_ms(measured.kinematics, joints, rep.peak_s)
    out = {}
    for a, b in PAIRS[family]:
        if a in found and b in found:
            lag = found[b][0] - found[a][0]
            out[(a, b)] = lag, order_of(lag_range(lag, found[a][1:], found[b][1:], resolution))
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    views = [("capture", None, None)] + [(f"{fps:g} fps", yaw, fps) for fps in FRAME_RATES for yaw in YAWS_DEG
                                         for _ in range(JITTER_SEEDS)]
    rows: dict[tuple[str, str, tuple[str, str]], list[tuple[float, int]]] = {}   # (family, view, pair) -> lags
    per_rep: dict[tuple[str, tuple[str, str]], list[list[float]]] = {}            # (family, pair) -> lags per view
    n_reps = {"kick": 0, "punch": 0}
    for name, family, capture in strikes():
        reps = find_repetitions(measure(capture).kinematics, family)
        n_reps[family] += len(reps)
        filmed = [capture if yaw is None else filmed_motion(capture, yaw, fps, rng, VIDEO.jitter_m)
                  for _, yaw, fps in views]
        for rep in reps:
            seen: dict[tuple[str, str], list[float]] = {}
            for (view, _, _), motion in zip(views, filmed):
                for pair, (lag, order) in lags(motion, family, rep).items():
                    rows.setdefault((family, view, pair), []).append((lag, order))
                    seen.setdefault(pair, []).append(lag)
            for pair, values in seen.items():
                per_rep.setdefault((family, pair), []).append(values)
    print(f"repetitions: {n_reps}; views: capture 3-D, and filmed at yaws {YAWS_DEG} x {FRAME_RATES} fps with "
          f"{VIDEO.jitter_m} m jitter, {JITTER_SEEDS} draws each\n")
    print("| family | pair | footage | lags | follows | together | leads (reversed) | median ms | 1 % | 5-95 % ms | "
          "min .. max ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (family, view, pair), found in sorted(rows.items(), key=lambda kv: (kv[0][0], PAIRS[kv[0][0]].index(kv[0][2]),
                                                                            kv[0][1])):
        lag = np.array([v for v, _ in found])
        order = np.array([o for _, o in found])
        print(f"| {family} | {pair[0]}->{pair[1]} | {view} | {lag.size} | {np.mean(order > 0):.2f} | "
              f"{np.mean(order == 0):.2f} | {np.mean(order < 0):.2f} | {np.median(lag):.0f} | "
              f"{np.percentile(lag, 1):.0f} | {np.percentile(lag, 5):.0f} .. {np.percentile(lag, 95):.0f} | {lag.min():.0f} .. {lag.max():.0f} |")
    print(f"\nOne repetition in every view (capture and {len(views) - 1} filmed): how far its lag moves")
    print("| family | pair | repetitions | median range ms | 95th pct range ms | |view - capture| median ms | "
          "|view - other view| 95th pct ms |")
    print("|---|---|---|---|---|---|---|")
    for (family, pair), reps in per_rep.items():
        spans = [max(r) - min(r) for r in reps if len(r) > 1]
        off = [abs(v - r[0]) for r in reps for v in r[1:]]
        between = [abs(a - b) for r in reps for i, a in enumerate(r[1:]) for b in r[i + 2:]]
        print(f"| {family} | {pair[0]}->{pair[1]} | {len(reps)} | {np.median(spans):.0f} | "
              f"{np.percentile(spans, 95):.0f} | {np.median(off):.0f} | {np.percentile(between, 95):.0f} |")


if __name__ == "__main__":
    main()
