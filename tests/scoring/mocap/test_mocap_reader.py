"""ASF/AMC reading and forward kinematics on the CMU karate capture, and the 33-landmark mapping."""

from __future__ import annotations


import numpy as np
import pytest

from services.kit.errors import ValidationFailed
from services.kit.paths import CMU_KARATE as CMU
from services.scoring.biomechanics import landmarks as L
from services.scoring.mocap.asf_amc import parse_amc, parse_asf
from services.scoring.mocap.cmu import load_clips, load_motion, technique_of
from services.scoring.mocap.forward_kinematics import euler, solve
from services.scoring.mocap.landmarks33 import NOT_CAPTURED, stature_m, to_landmarks



@pytest.fixture(scope="module")
def skeleton():
    return parse_asf(CMU / "135.asf")


@pytest.fixture(scope="module")
def front_kick(skeleton):
    return solve(skeleton, parse_amc(CMU / "135_04.amc", skeleton))


def test_asf_units_bones_and_hierarchy(skeleton):
    assert skeleton.length_to_m == pytest.approx(0.0254 / 0.45)
    assert len(skeleton.bones) == 30
    assert skeleton.root_order == ("TX", "TY", "TZ", "RX", "RY", "RZ")
    order = skeleton.order()
    assert order.index("lfemur") < order.index("ltibia") < order.index("lfoot") < order.index("ltoes")
    assert skeleton.bones["lfemur"].dof == ("rx", "ry", "rz")
    # An adult's thigh: 0.40 m (7.128 units / 0.45 inches per unit)
    assert skeleton.bones["lfemur"].length * skeleton.length_to_m == pytest.approx(0.402, abs=0.002)


def test_amc_has_every_frame_and_dof(skeleton):
    motion = parse_amc(CMU / "135_04.amc", skeleton)
    assert motion["root"].shape == (1316, 6)
    assert motion["ltibia"].shape == (1316, 1)
    assert "lhipjoint" not in motion  # no degrees of freedom


def test_euler_order_applies_x_first():
    r = euler(np.array([[90.0, 90.0, 0.0]]), "XYZ")[0]
    # x first: y axis -> z axis, then y rotation: z axis -> x axis
    assert r @ np.array([0.0, 1.0, 0.0]) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)


def test_bone_lengths_stay_rigid_through_the_motion(front_kick, skeleton):
    for parent, bone in (("lfemur", "ltibia"), ("rhumerus", "rradius"), ("lhipjoint", "lfemur")):
        length = np.linalg.norm(front_kick.end[bone] - front_kick.end[parent], axis=1)
        expected = skeleton.bones[bone].length * skeleton.length_to_m
        assert np.allclose(length, expected, atol=1e-9)


def test_landmarks_in_mediapipe_axes_with_the_uncaptured_face_points_hidden(front_kick):
    world, vis = to_landmarks(front_kick, frame="lab")
    assert world.shape == (1316, 33, 3)
    assert np.all(vis[:, list(NOT_CAPTURED)] == 0) and np.all(np.isnan(world[:, list(NOT_CAPTURED)]))
    captured = [i for i in range(33) if i not in NOT_CAPTURED]
    assert np.all(np.isfinite(world[:, captured])) and np.all(vis[:, captured] == 1)
    # y points down: the nose above the hips in every frame, the hips above the ankles in the opening stance
    # (a head-high front kick lifts an ankle above the hips later on)
    assert np.all(world[:, L.NOSE, 1] < world[:, L.LEFT_HIP, 1])
    assert np.all(world[:120, L.LEFT_HIP, 1] < world[:120, L.LEFT_ANKLE, 1] - 0.6)
    assert np.nanmin(world[:, L.LEFT_ANKLE, 1]) < np.nanmin(world[:, L.LEFT_HIP, 1])
    # heel: rigid with the foot, a fixed distance from the ankle; level with the toe in the opening stance
    h = stature_m(front_kick)
    assert 1.55 < h < 1.9
    heel_to_ankle = np.linalg.norm(world[:, L.LEFT_HEEL] - world[:, L.LEFT_ANKLE], axis=1)
    assert np.ptp(heel_to_ankle) < 1e-9 and 0.2 * 0.152 * h <= heel_to_ankle[0] < 0.2 * 0.152 * h + 0.03
    assert abs(world[180, L.RIGHT_HEEL, 1] - world[180, L.RIGHT_TOE, 1]) < 0.03


def test_hip_centred_frame_puts_the_origin_between_the_hips(front_kick):
    world, _ = to_landmarks(front_kick, frame="hips")
    centre = 0.5 * (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP])
    assert np.allclose(centre, 0.0, atol=1e-12)


def test_clip_catalogue_and_motion():
    assert technique_of(CMU / "135_07.amc") == "roundhouse"
    assert technique_of(CMU / "136_07.amc") is None
    clips = load_clips(CMU)
    assert [c.technique for c in clips] == ["front_kick", "low_block", "roundhouse", "lunge_punch",
                                            "knife_hand_block", "side_kick"]
    m = clips[0].motion
    assert m.t[1] - m.t[0] == pytest.approx(1 / 120)


def test_malformed_files_are_refused_with_a_message(tmp_path, skeleton):
    bad = tmp_path / "bad.asf"
    bad.write_text(":units\n  length 0.45\n:bonedata\n")
    with pytest.raises(ValidationFailed, match="not an ASF skeleton"):
        parse_asf(bad)
    amc = tmp_path / "bad.amc"
    amc.write_text(":FULLY-SPECIFIED\n1\nroot 0 0 0 0 0 0\nltibia oops\n")
    with pytest.raises(ValidationFailed, match="Malformed numbers"):
        parse_amc(amc, skeleton)
    amc.write_text("1\nroot 0 0 0 0 0 0\nnosuchbone 1\n")
    with pytest.raises(ValidationFailed, match="nosuchbone"):
        parse_amc(amc, skeleton)
    with pytest.raises(ValidationFailed, match="not found"):
        load_motion(tmp_path / "none.asf", amc)
