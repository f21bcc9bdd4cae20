"""How far real strikes read in services.kit.tracker_spread, against the limit scoring applies (0.2 m).

Run: .venv/bin/python bench/tracker_spread_kicks.py
The CMU karate captures (subject 135: front kicks, roundhouses, side kicks, punches, blocks; 120 Hz) are
filmed by an ideal camera at several yaws round the performer (image plane = the plane across the camera's
axis, in metres), sampled at the frame rates where the pose service runs several trackers (23-60 fps,
decode_protocol.tracker_count), each frame given BlazePose's frame jitter (video_like.VideoModel.jitter_m,
independent per frame, so per tracker; and three times it, as motion blur might give), and dealt to the trackers as the pose service deals them. Prints,
per frame rate, the spread of the toes and wrists within 0.1 s of each repetition's fastest moment: the
median, the 95th percentile and the largest, and the share of repetitions that would have a speed not
counted (spread above measurement.SPREAD_LIMIT_M). Real motion should read well under the limit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import CMU_KARATE  # noqa: E402
from services.kit.tracker_spread import tracker_spread  # noqa: E402
from services.pose.decode_protocol import tracker_count  # noqa: E402
from services.scoring.biomechanics import landmarks as L  # noqa: E402
from services.scoring.biomechanics.measurement import SPREAD_LIMIT_M  # noqa: E402
from services.scoring.learning.video_like import VIDEO  # noqa: E402
from services.scoring.mocap.cmu import load_clips, repetitions  # noqa: E402
from testkit.filmed_mocap import filmed  # noqa: E402

FRAME_RATES = (23.0, 25.0, 30.0, 48.0, 60.0)
YAWS_DEG = (0.0, 45.0, 90.0, 135.0)
EFFECTORS = [L.EFFECTORS[name] for name in ("left_toe", "right_toe", "left_wrist", "right_wrist")]
WINDOW_S = 0.1


def main() -> None:
    rng = np.random.default_rng(0)
    clips = load_clips(CMU_KARATE)
    print(f"limit {SPREAD_LIMIT_M} m; {len(clips)} CMU clips x {len(YAWS_DEG)} yaws; frame jitter: BlazePose's "
          f"({VIDEO.jitter_m} m) and three times it (motion blur)\n")
    print("| jitter m | fps | trackers | repetitions | spread at the peak: median m | 95th pct m | max m | share over the limit |")
    print("|---|---|---|---|---|---|---|---|")
    for jitter, fps in [(j, f) for j in (VIDEO.jitter_m, 3 * VIDEO.jitter_m) for f in FRAME_RATES]:
        at_peaks = []
        for clip in clips:
            motion = clip.motion
            peaks = [r.peak_s for r in repetitions(clip)]
            for yaw in YAWS_DEG:
                frames, image = filmed(motion.t, motion.world, yaw, fps, rng, jitter)
                trackers = tracker_count(fps, 1, len(frames))
                spread = tracker_spread(frames, image, np.arange(len(frames)) % trackers)[:, EFFECTORS]
                for t_peak in peaks:
                    near = np.abs(frames - t_peak) <= WINDOW_S
                    if np.isfinite(spread[near]).any():
                        at_peaks.append(float(np.nanmax(spread[near])))
        a = np.array(at_peaks)
        print(f"| {jitter:g} | {fps:g} | {tracker_count(fps, 1, 10_000)} | {a.size} | {np.median(a):.3f} | "
              f"{np.percentile(a, 95):.3f} | {a.max():.3f} | {np.mean(a > SPREAD_LIMIT_M):.3f} |", flush=True)


if __name__ == "__main__":
    main()
