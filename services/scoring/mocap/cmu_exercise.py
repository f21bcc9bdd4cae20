"""CMU subject 13 exercise sessions (../shared/data/mocap/cmu-13-exercise): non-technique motion, per activity.

Source: CMU Graphics Lab Motion Capture Database, subject 13, trials 29-31 (120 Hz), read by the same
ASF/AMC reader and landmark mapping as the karate capture (mocap.cmu.load_motion). Labels: one per
0.1 s (12 AMC frames), 1-based, from github michaelchughes/mocap6dataset (Fox et al. 2014):
1 JumpJack, 2 Jog, 3 Squat, 4 KneeRaise, 5 ArmCircle, 6 Twist, 7 SideReach, 8 Box, 9 UpDown,
10 ToeTouchOneHand, 11 SideBend, 12 ToeTouchTwoHands. None of them is a martial-arts technique;
knee raises and boxing-like moves are close to kicks and punches: hard negatives.

A run is a maximal stretch of one label; runs shorter than MIN_RUN_S are left out (label boundaries
are approximate to 0.1 s, and such a run holds no whole movement).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.kit.errors import ValidationFailed

from .cmu import CAPTURE_HZ, load_motion

ACTIVITIES = ("jumping_jacks", "jog", "squat", "knee_raise", "arm_circles", "twist", "side_reach", "box",
              "up_down", "toe_touch_one_hand", "side_bend", "toe_touch_two_hands")
LABEL_S = 0.1          # one label per 0.1 s
MIN_RUN_S = 1.0


@dataclass(frozen=True)
class ActivityRun:
    clip: str              # e.g. "13_29"
    activity: str          # e.g. "knee_raise"
    start_s: float
    t: np.ndarray          # [F] s from 0
    world: np.ndarray      # [F,33,3] m, MediaPipe axes, lab frame
    visibility: np.ndarray # [F,33]

    @property
    def source(self) -> str:
        return f"cmu13/{self.clip}@{self.start_s:.1f}s:{self.activity}"


def read_labels(path: Path) -> np.ndarray:
    """[N] activity indices (0-based) of a truelabels file."""
    values = np.array([int(v) for v in Path(path).read_text(encoding="utf-8").split()])
    if values.size == 0 or values.min() < 1 or values.max() > len(ACTIVITIES):
        raise ValidationFailed(f"{Path(path).name}: labels must be 1..{len(ACTIVITIES)}")
    return values - 1


def runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, first index, end index exclusive) of each maximal stretch of one label."""
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, edges]
    ends = np.r_[edges, labels.size]
    return [(int(labels[s]), int(s), int(e)) for s, e in zip(starts, ends)]


@lru_cache(maxsize=2)
def load_runs(root: Path) -> tuple[ActivityRun, ...]:
    """Every labelled activity run of every trial under root (13.asf, 13_NN.amc, labels/13_NN.truelabels.txt)."""
    root = Path(root)
    asf = root / "13.asf"
    if not asf.is_file():
        raise ValidationFailed(f"No CMU skeleton (13.asf) in {root.name}")
    out: list[ActivityRun] = []
    for amc in sorted(root.glob("13_*.amc")):
        labels_file = root / "labels" / f"{amc.stem}.truelabels.txt"
        if not labels_file.is_file():
            continue
        motion = load_motion(asf, amc)
        labels = read_labels(labels_file)
        for label, first, end in runs(labels):
            start_s, end_s = first * LABEL_S, min(end * LABEL_S, motion.t[-1])
            if end_s - start_s < MIN_RUN_S:
                continue
            keep = (motion.t >= start_s) & (motion.t < end_s)
            t = motion.t[keep]
            out.append(ActivityRun(clip=amc.stem, activity=ACTIVITIES[label], start_s=round(start_s, 1),
                                   t=t - t[0], world=motion.world[keep], visibility=motion.visibility[keep]))
    if not out:
        raise ValidationFailed(f"No labelled CMU subject-13 trial in {root.name}")
    return tuple(out)


def capture_rate_hz() -> float:
    return CAPTURE_HZ
