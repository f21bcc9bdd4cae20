"""CMU subject 13 exercise runs: labels, runs and the motion under them."""

from __future__ import annotations

import numpy as np

from services.kit.paths import CMU_EXERCISE as ROOT
from services.scoring.biomechanics import landmarks as L
from services.scoring.mocap import cmu_exercise as E



def test_runs_split_labels_at_every_change():
    assert E.runs(np.array([0, 0, 3, 3, 3, 1])) == [(0, 0, 2), (3, 2, 5), (1, 5, 6)]


def test_labels_cover_the_trials_at_ten_per_second():
    labels = E.read_labels(ROOT / "labels" / "13_29.truelabels.txt")
    assert labels.size == 383   # 4592 frames at 120 Hz = 38.3 s
    assert set(labels.tolist()) <= set(range(len(E.ACTIVITIES)))


def test_activity_runs_are_whole_stretches_of_human_motion():
    found = E.load_runs(ROOT)
    activities = {r.activity for r in found}
    assert {"jumping_jacks", "jog", "squat", "knee_raise", "arm_circles", "twist"} <= activities
    for r in found:
        assert r.t[-1] >= E.MIN_RUN_S - 2 / E.capture_rate_hz()
        leg = np.linalg.norm(r.world[:, L.LEFT_KNEE] - r.world[:, L.LEFT_HIP], axis=1)
        assert 0.3 < np.median(leg) < 0.6          # metres: an adult thigh
    by_clip: dict[str, list] = {}
    for r in found:
        by_clip.setdefault(r.clip, []).append(r)
    for runs in by_clip.values():                   # runs of one trial do not overlap
        spans = sorted((r.start_s, r.start_s + r.t[-1]) for r in runs)
        assert all(a[1] <= b[0] + 1e-6 for a, b in zip(spans, spans[1:]))
