"""The DeepMimic reader: forward kinematics against the character file, and the class of each martial clip."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.paths import CMU_KARATE as KARATE, DEEPMIMIC as ROOT
from services.scoring.biomechanics import landmarks as L
from services.scoring.mocap import deepmimic as D
from services.scoring.mocap.cmu import cmu_samples



@pytest.fixture(scope="module")
def clips():
    return {c.name: c for c in D.load_clips(ROOT)}


def test_every_clip_is_read_with_rigid_bones_of_the_character(clips):
    assert len(clips) == 17
    joints = {j.name: j for j in D.read_character(ROOT / D.CHARACTER)}
    thigh = float(np.linalg.norm(joints["right_knee"].attach))
    forearm = float(np.linalg.norm(joints["right_wrist"].attach))
    for clip in clips.values():
        w = clip.world
        assert np.all(np.diff(clip.t) > 0)
        knee_hip = np.linalg.norm(w[:, L.RIGHT_KNEE] - w[:, L.RIGHT_HIP], axis=1)
        wrist_elbow = np.linalg.norm(w[:, L.LEFT_WRIST] - w[:, L.LEFT_ELBOW], axis=1)
        np.testing.assert_allclose(knee_hip, thigh, atol=1e-6)
        np.testing.assert_allclose(wrist_elbow, forearm, atol=1e-6)
        assert np.isnan(w[:, 1]).all() and (clip.visibility[:, 1] == 0).all()   # eyes: no counterpart


def test_standing_pose_is_upright_in_mediapipe_axes(clips):
    w = clips["walk"].world[0]
    assert w[L.NOSE, 1] < w[L.LEFT_HIP, 1] < w[L.LEFT_ANKLE, 1]          # y down: head above hips above feet
    assert 1.3 < w[L.LEFT_HEEL, 1] - w[L.NOSE, 1] < 1.7                    # the 1.62 m character, nose to sole
    # the character's right hip is +z in its own frame: after the turn it is on the -z side ... and left of it
    hip_line = w[L.LEFT_HIP] - w[L.RIGHT_HIP]
    forward = np.cross(hip_line, [0.0, -1.0, 0.0])
    assert (w[L.NOSE] - 0.5 * (w[L.LEFT_HIP] + w[L.RIGHT_HIP])) @ forward > 0   # the nose is in front


def _hip_turn_deg(world: np.ndarray) -> float:
    line = world[:, L.LEFT_HIP] - world[:, L.RIGHT_HIP]
    yaw = np.unwrap(np.arctan2(line[:, 2], line[:, 0]))
    return float(np.degrees(yaw.max() - yaw.min()))


def test_kick_turns_the_hips_like_the_cmu_roundhouse_and_spinkick_all_round(clips):
    by_technique: dict[str, list[float]] = {}
    for s in cmu_samples(KARATE):
        by_technique.setdefault(s.technique, []).append(_hip_turn_deg(s.world))
    kick = _hip_turn_deg(clips["kick"].world)
    nearest = min(by_technique, key=lambda k: abs(np.median(by_technique[k]) - kick))
    assert nearest == D.TECHNIQUES["kick"] == "roundhouse"
    assert _hip_turn_deg(clips["spinkick"].world) > 330 and D.label_of("spinkick") is None


def test_punch_steps_the_right_foot_forward_and_strikes_with_the_right_hand(clips):
    w = clips["punch"].world
    hips = 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP])
    reach = {side: np.linalg.norm(w[:, i] - hips, axis=1).max() for side, i in
             (("right", L.RIGHT_WRIST), ("left", L.LEFT_WRIST))}
    assert reach["right"] > reach["left"] + 0.1
    travel = {side: np.linalg.norm(w[-1, i] - w[0, i]) for side, i in (("right", L.RIGHT_ANKLE), ("left", L.LEFT_ANKLE))}
    assert D.TECHNIQUES["punch"] == "lunge_punch" and travel["right"] > 0.2


def test_unit_and_non_unit_quaternions_give_the_same_rotation():
    q = np.array([[0.9, 0.1, -0.3, 0.2]])
    np.testing.assert_allclose(D.quaternion_matrix(q), D.quaternion_matrix(0.58 * q), atol=1e-12)
    r = D.quaternion_matrix(q)[0]
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
