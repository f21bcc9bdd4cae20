"""Knee and hip angles against OpenSim inverse kinematics of the Pose2Sim balancing trial.

Two checks (bench/angles_vs_opensim.py prints the full table):
- the convention: angles.py on the triangulated .trc markers must agree with OpenSim's IK angles;
- the product path: cam01 through the real pose extraction (BlazePose) and angles.py.
Measured (cam01, 2 workers): video RMSE right/left knee 16.0/19.8 deg, right/left hip flexion 10.7/20.8,
overall 17.3; .trc RMSE 6.0/7.7/6.1/4.8, overall 6.2. The video misses the 8 deg target: BlazePose's
monocular depth under-reads flexion that happens along the camera's line of sight (bias -3 to -18 deg;
BlazePose's knees and ankles are off by 0.11 m RMS in depth against 0.03-0.05 m across the image, and
with the .trc's depth put in place of BlazePose's the knees come to 5.3/6.8 deg and the overall to 9.2;
the left hip keeps 14.8 from where BlazePose puts the hip landmarks). So the world-landmark bounds
below are what is achieved with a small margin, tight enough to catch a sign or axis error (those give
40+ deg), not the target. What the analysis measures with (image plane in metres, depth from the
project's lifter, learning/lifting.py): knees 12.2 / 7.8, hips 8.9 / 12.9, overall 10.7 (issue 9: at most
12; the aim, 8, is not reached: with the truth's depth the same image plane gives 8.3).
"""

from __future__ import annotations

import pytest

from bench.angles_vs_opensim import (COMPARED, EXTRA, compare, depth_diagnosis, extract, find_lag, fit_camera,
                                     markers_in_camera_axes, overall_rmse, read_mot, read_trc, trc_landmarks,
                                     video_landmarks)
from services.kit.paths import REPO
from services.pose.servicer import to_proto
from services.scoring.biomechanics.angles import joint_angles
from services.scoring.biomechanics.planar import metric_positions
from services.scoring.clients import motion_from_sequence
from services.scoring.learning.lifting import DepthLifter

FLEXION = [name for name, *_ in COMPARED]


@pytest.fixture(scope="module")
def truth():
    t, names, markers = read_trc()
    return t, names, markers, read_mot()


@pytest.fixture(scope="module")
def cam01():
    """One real extraction of cam01 for the module (the same call the bench makes)."""
    return extract(1)


def test_convention_matches_opensim_on_the_triangulated_markers(truth):
    _, names, markers, mot = truth
    stats = compare(joint_angles(trc_landmarks(names, markers)), mot, 0, COMPARED + EXTRA)
    # Measured: knees 6.0 / 7.7, hip flexion 6.1 / 4.8, hip abduction 4.2 / 8.1 deg; r >= 0.91.
    for name in FLEXION:
        assert stats[name]["n"] == 100
        assert stats[name]["rmse"] <= 8.5, (name, stats[name])
        assert stats[name]["r"] >= 0.88, (name, stats[name])
        assert abs(stats[name]["bias"]) <= 6.0, (name, stats[name])
    for name, *_ in EXTRA:
        assert stats[name]["rmse"] <= 9.0 and stats[name]["r"] >= 0.88, (name, stats[name])
    assert overall_rmse({k: stats[k] for k in FLEXION}) <= 7.0


def test_the_video_is_this_trial_one_frame_later(truth, cam01):
    t_trc, names, markers, mot = truth
    assert len(cam01.frames) == len(t_trc) == len(mot["time"]) == 100
    assert cam01.fps == pytest.approx(60.0)
    _, image = video_landmarks(cam01)
    lag, errors = find_lag(image, names, markers)
    # Row j of .trc/.mot is video frame j+1: the same instant by the files' own clocks ((j+1)/60 s).
    assert lag == 1, errors
    assert errors[lag] <= 15.0, errors  # px on a 1080x1920 frame; measured 12.5
    far = [e for k, e in errors.items() if abs(k - lag) >= 3]
    assert min(far) >= errors[lag] + 3.0, errors  # a clear minimum: 3 frames off is >= 15.8 px


def test_video_knee_and_hip_flexion_against_opensim(truth, cam01):
    *_, mot = truth
    world, _ = video_landmarks(cam01)
    stats = compare(joint_angles(world), mot, 1, COMPARED)
    for name in FLEXION:
        assert stats[name]["n"] >= 95, (name, stats[name])
        assert stats[name]["rmse"] <= 23.0, (name, stats[name])
        assert stats[name]["r"] >= 0.35, (name, stats[name])  # measured 0.45-0.76: the curves follow
    assert overall_rmse(stats) <= 19.0, stats  # measured 17.3; the target (8) is not reached, see above


def test_the_video_error_is_mostly_monocular_depth(truth, cam01):
    _, names, markers, mot = truth
    world, image = video_landmarks(cam01)
    truth_cam = markers_in_camera_axes(fit_camera(image, names, markers, 1)[0], names, markers)
    hybrid, axis_err = depth_diagnosis(world, truth_cam, 1)
    assert axis_err["z"] >= 2 * max(axis_err["x"], axis_err["y"]), axis_err  # measured 0.107 vs 0.046 / 0.033 m
    fixed = compare(joint_angles(hybrid), mot, 1, COMPARED)
    for name in ("right_knee_flexion", "left_knee_flexion"):
        assert fixed[name]["rmse"] <= 8.0, (name, fixed[name])  # measured 5.3 / 6.8 deg
    assert overall_rmse(fixed) <= 10.5, fixed  # measured 9.2 (17.3 with BlazePose's own depth)


def test_measured_knee_and_hip_flexion_with_lifted_depth(truth, cam01):
    """The product path: the positions every analysis measures with, depth from the lifter."""
    *_, mot = truth
    lifter = DepthLifter.from_dir(REPO / "models" / "scoring")
    assert lifter is not None, "build it with `make scoring-models`"
    lifted = compare(joint_angles(metric_positions(motion_from_sequence(to_proto(cam01), lifter))[0]), mot, 1, COMPARED)
    own = compare(joint_angles(metric_positions(motion_from_sequence(to_proto(cam01)))[0]), mot, 1, COMPARED)
    for name in FLEXION:
        assert lifted[name]["n"] >= 95 and lifted[name]["rmse"] <= 14.0, (name, lifted[name])  # measured 7.8-12.9
    assert overall_rmse(lifted) <= 12.0, lifted  # measured 10.7
    assert overall_rmse(own) - overall_rmse(lifted) >= 2.0, (own, lifted)  # BlazePose's depth: 14.2
