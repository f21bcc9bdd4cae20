"""Balance on the CMU karate capture (subject 135): a level lab floor, camera tilt, dynamic techniques."""

from __future__ import annotations


import numpy as np
import pytest

from services.kit.paths import CMU_KARATE as CMU
from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.balance import balance, estimate_vertical
from services.scoring.biomechanics.kinematics import kinematics
from services.scoring.biomechanics.sampling import smooth
from services.scoring.mocap.cmu import load_clips

pytestmark = pytest.mark.skipif(not (CMU / "135.asf").is_file(), reason="CMU subject 135 not available")


def _pitch_roll(pitch_deg: float, roll_deg: float) -> np.ndarray:
    p, r = np.deg2rad(pitch_deg), np.deg2rad(roll_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx


@pytest.fixture(scope="module")
def clips():
    return {c.name: (c, kinematics(smooth(c.motion))) for c in load_clips(CMU)}


def test_the_lab_floor_is_found_level(clips):
    for name, (_, kin) in clips.items():
        assert estimate_vertical(kin.pos).tilt_deg < 2.0, name


@pytest.mark.parametrize("pitch, roll", [(5.0, 0.0), (0.0, 5.0), (10.0, -10.0), (-15.0, 15.0)])
def test_balance_does_not_depend_on_camera_tilt(clips, pitch, roll):
    rot = _pitch_roll(pitch, roll)
    for name, (_, kin) in clips.items():
        level = balance(kin.pos, dt=kin.dt)
        if level.vertical.source != "ground plane":
            continue   # 135_11: side stance, feet parallel; see balance.py ("partial")
        tilted = balance(kin.pos @ rot.T, dt=kin.dt)
        err = np.degrees(np.arccos(np.clip(tilted.vertical.down @ (rot @ level.vertical.down), -1, 1)))
        assert err < 0.5, name
        assert tilted.max_excursion_m == pytest.approx(level.max_excursion_m, abs=0.01), name
        assert tilted.fraction_outside == pytest.approx(level.fraction_outside, abs=0.01), name


def test_expert_techniques_that_travel_keep_their_balance_score(clips):
    for name, (clip, _) in clips.items():
        report = analyze_motion(clip.motion, body_mass_kg=70, technique=clip.technique)
        assert report.details["balance_phases"] == "settled stance after each repetition"
        assert report.aspect_scores.balance >= 8.0, name
