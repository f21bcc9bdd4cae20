"""analyze_motion as the scoring servicer calls it: errors, determinism, ranges, feedback."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from services.kit.errors import InvalidRequest, ValidationFailed
from services.scoring.biomechanics import Motion, analyze_motion

from testkit.skeleton import KICK_CHAIN, kick, motion, punch, smooth_step, standing_pose, still


def test_two_frame_clip_is_rejected_with_an_actionable_message():
    t, w = still(2)
    with pytest.raises(ValidationFailed, match="only 2 frames with a detected person; at least 5"):
        analyze_motion(motion(t, w), body_mass_kg=75)


def test_clip_without_a_person_is_rejected():
    t, w = still(30)
    with pytest.raises(ValidationFailed, match="No person was detected"):
        analyze_motion(motion(t, w * np.nan, detected=np.zeros(30, bool)), body_mass_kg=75)


def test_implausible_body_mass_is_an_invalid_request():
    t, w = still(30)
    with pytest.raises(InvalidRequest) as err:
        analyze_motion(motion(t, w), body_mass_kg=0.0)
    assert "body_mass_kg" in err.value.details


def test_unordered_timestamps_are_rejected():
    t, w = still(10)
    with pytest.raises(ValidationFailed, match="strictly increasing"):
        motion(t[::-1], w)


def test_from_frames_builds_the_same_motion_and_marks_empty_frames_undetected():
    t, w = still(8)
    frames = [[(*xyz, 0.9) for xyz in pose.tolist()] for pose in w]
    frames[3] = []
    m = Motion.from_frames(t.tolist(), frames)
    assert m.world.shape == (8, 33, 3) and m.visibility.shape == (8, 33)
    assert m.detected.tolist() == [True, True, True, False, True, True, True, True]
    assert np.allclose(m.world[0], standing_pose()) and np.all(np.isnan(m.world[3]))


def test_deterministic():
    t = np.arange(72) / 60.0
    w = punch(t) + np.random.default_rng(3).normal(0, 0.004, (72, 33, 3))
    a = analyze_motion(motion(t, w), body_mass_kg=72, technique="jab")
    b = analyze_motion(motion(t, w.copy()), body_mass_kg=72, technique="jab")
    assert a == b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_in_range_and_details_are_json(seed):
    rng = np.random.default_rng(seed)
    t, w = still(90, 30.0)
    w = w + np.cumsum(rng.normal(0, 0.01, w.shape), axis=0)   # random wandering limbs
    vis = rng.uniform(0.3, 1.0, (90, 33))
    report = analyze_motion(motion(t, w, vis), body_mass_kg=80, technique=None)
    scores = [*vars(report.aspect_scores).values(), report.overall_score]
    assert all(0.0 <= s <= 10.0 for s in scores)
    assert all(s == round(s, 1) for s in scores)
    assert 0.0 <= report.kinetic_chain_efficiency <= 100.0
    assert report.max_speed >= 0 and report.peak_force >= 0 and report.mean_power >= 0
    assert math.isfinite(report.max_speed + report.peak_force + report.mean_power)
    json.dumps(report.details, allow_nan=False)


def test_overall_is_the_stated_weighted_mean():
    report = analyze_motion(motion(*kick(KICK_CHAIN)), body_mass_kg=70, technique="roundhouse")
    raw, weights = report.details["scores_raw"], report.details["score_weights"]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert raw["overall"] == pytest.approx(sum(weights[k] * raw[k] for k in weights), abs=1e-3)
    assert report.overall_score == round(raw["overall"], 1)


def test_slow_punch_correction_names_its_numbers():
    t = np.arange(90) / 60.0
    report = analyze_motion(motion(t, punch(t, reach=0.25, width=0.05)), body_mass_kg=75, technique="oi_zuki")
    v = report.details["max_speed_m_s"]
    assert v == pytest.approx(0.25 / (np.sqrt(2 * np.pi) * 0.05), rel=0.05)  # 2.0 m/s
    assert report.aspect_scores.speed == pytest.approx(10 * v / 6.3, abs=0.06)
    speed_msgs = [c for c in report.corrections if c.startswith("Peak hand speed")]
    assert speed_msgs and f"{v:.1f} m/s" in speed_msgs[0] and "6.3 m/s reference for a lunge punch" in speed_msgs[0]
    # it points at the moment of the peak it names
    at = report.correction_times_s[report.corrections.index(speed_msgs[0])]
    assert at == pytest.approx(report.details["effector_peak_times_s"][report.effector], abs=1e-3)
    assert any(f"{v:.1f} m/s" in r for r in report.recommendations)


def test_technique_chooses_the_effector_family():
    t = np.arange(84) / 60.0
    _, w = still(84)
    w = w.copy()
    w[:, 16, 2] -= 0.3 * smooth_step(t, 0.5, 0.04)          # hand: 3.0 m/s
    w[:, [28, 30, 32], 2] -= 0.5 * smooth_step(t, 0.8, 0.04)[:, None]  # foot: 5.0 m/s
    assert analyze_motion(motion(t, w), body_mass_kg=75, technique="jab").effector == "right_wrist"
    assert analyze_motion(motion(t, w), body_mass_kg=75, technique=None).effector == "right_toe"
    unknown = analyze_motion(motion(t, w), body_mass_kg=75, technique="kata bassai")
    assert unknown.effector == "right_toe" and unknown.technique_family == "kick"
    peaks = unknown.details["effector_peak_speeds_m_s"]
    assert peaks["right_wrist"] == pytest.approx(3.0, rel=0.05) and peaks["right_toe"] == pytest.approx(5.0, rel=0.05)
