"""Joint angles on constructed poses whose angles are known by construction (angles.py's convention)."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.angles import ANGLE_NAMES, angles_at, joint_angles

from testkit.skeleton import standing_pose

UPPER_BODY = list(range(0, 23))  # face, shoulders, arms, hands
# The standing skeleton faces the camera: anterior = -z, the subject's left = +x, up = -y.
ANTERIOR, UP, LEFT = np.array([0.0, 0.0, -1.0]), np.array([0.0, -1.0, 0.0]), np.array([1.0, 0.0, 0.0])
MIRROR = {**{i: i for i in range(L.N_LANDMARKS)},
          **{i: (i + 1 if i % 2 else i - 1) for i in range(11, 33)},
          1: 4, 2: 5, 3: 6, 4: 1, 5: 2, 6: 3, 7: 8, 8: 7, 9: 10, 10: 9}


def _dir(*components: tuple[np.ndarray, float]) -> np.ndarray:
    v = sum(axis * w for axis, w in components)
    return v / np.linalg.norm(v)


def rot_y(deg: float) -> np.ndarray:
    """Rotation about the world vertical; +deg turns a subject who faces the camera towards their right
    (the right shoulder, at -x, moves to +z, away from the camera)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_x(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def place_leg(p: np.ndarray, side: str, thigh: np.ndarray, shank: np.ndarray) -> np.ndarray:
    """Put knee and ankle (and the foot, rigidly with the ankle) along unit directions thigh and shank."""
    p = p.copy()
    hip, knee, ankle, heel, toe = ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_TOE) if side == "left"
                                   else (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_TOE))
    foot = p[[heel, toe]] - p[ankle]
    p[knee] = p[hip] + 0.44 * thigh
    p[ankle] = p[knee] + 0.42 * shank
    p[[heel, toe]] = p[ankle] + foot
    return p


def one(p: np.ndarray) -> dict[str, float]:
    return angles_at(p[None], 0)


def test_standing_upright_is_zero():
    a = one(standing_pose())
    assert set(a) == set(ANGLE_NAMES)
    for side in ("left", "right"):
        for name in ("knee_flexion", "hip_flexion", "hip_abduction"):
            assert a[f"{side}_{name}"] == pytest.approx(0.0, abs=1e-9)
        # The skeleton's arm hangs 0.02 m out over 0.28 m (4.1 deg) and its elbow is nearly straight.
        assert a[f"{side}_shoulder_elevation"] == pytest.approx(np.degrees(np.arctan2(0.02, 0.28)), abs=1e-6)
        assert 0.0 <= a[f"{side}_elbow_flexion"] < 5.0
    for name in ("trunk_lean", "trunk_forward_lean", "pelvis_rotation"):
        assert a[name] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("side", ["left", "right"])
def test_knee_bent_back_90_degrees(side):
    p = place_leg(standing_pose(), side, -UP, -ANTERIOR)  # thigh vertical, shank straight back
    a = one(p)
    assert a[f"{side}_knee_flexion"] == pytest.approx(90.0, abs=1e-6)
    assert a[f"{side}_hip_flexion"] == pytest.approx(0.0, abs=1e-6)
    other = "right" if side == "left" else "left"
    assert a[f"{other}_knee_flexion"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("deg", [30.0, 90.0, 120.0, -20.0])
def test_hip_flexion_follows_the_thigh_in_the_sagittal_plane(deg):
    thigh = _dir((-UP, np.cos(np.radians(deg))), (ANTERIOR, np.sin(np.radians(deg))))
    p = place_leg(standing_pose(), "right", thigh, -UP)  # shank hanging vertically
    a = one(p)
    assert a["right_hip_flexion"] == pytest.approx(deg, abs=1e-6)  # negative = extension (thigh behind)
    assert a["right_hip_abduction"] == pytest.approx(0.0, abs=1e-6)
    assert a["right_knee_flexion"] == pytest.approx(abs(deg), abs=1e-6)


def test_seated_position_90_90():
    p = standing_pose()
    for side in ("left", "right"):
        p = place_leg(p, side, ANTERIOR, -UP)
    a = one(p)
    for side in ("left", "right"):
        assert a[f"{side}_hip_flexion"] == pytest.approx(90.0, abs=1e-6)
        assert a[f"{side}_knee_flexion"] == pytest.approx(90.0, abs=1e-6)


@pytest.mark.parametrize("side,lateral", [("left", LEFT), ("right", -LEFT)])
def test_hip_abduction_is_positive_away_from_the_midline_on_both_sides(side, lateral):
    p = place_leg(standing_pose(), side, _dir((-UP, np.cos(np.radians(30))), (lateral, np.sin(np.radians(30)))),
                  _dir((-UP, np.cos(np.radians(30))), (lateral, np.sin(np.radians(30)))))
    a = one(p)
    assert a[f"{side}_hip_abduction"] == pytest.approx(30.0, abs=1e-6)
    assert a[f"{side}_hip_flexion"] == pytest.approx(0.0, abs=1e-6)
    crossed = place_leg(standing_pose(), side, _dir((-UP, 1.0), (-lateral, np.tan(np.radians(10)))), -UP)
    assert one(crossed)[f"{side}_hip_abduction"] == pytest.approx(-10.0, abs=1e-6)  # adduction


def test_abduction_of_a_flexed_thigh_is_the_isb_floating_axis_angle():
    # Thigh 90 deg forward then 20 deg out: flexion stays 90 and abduction reads 20 (no gimbal mix-up).
    thigh = _dir((ANTERIOR, np.cos(np.radians(20))), (-LEFT, np.sin(np.radians(20))))
    a = one(place_leg(standing_pose(), "right", thigh, -UP))
    assert a["right_hip_flexion"] == pytest.approx(90.0, abs=1e-6)
    assert a["right_hip_abduction"] == pytest.approx(20.0, abs=1e-6)


@pytest.mark.parametrize("direction,expected", [(ANTERIOR, 90.0), (LEFT, 90.0), (UP, 180.0)])
def test_shoulder_elevation_and_elbow(direction, expected):
    p = standing_pose()
    p[L.LEFT_ELBOW] = p[L.LEFT_SHOULDER] + 0.28 * direction
    p[L.LEFT_WRIST] = p[L.LEFT_ELBOW] + 0.26 * (UP if expected == 90.0 else direction)
    a = one(p)
    assert a["left_shoulder_elevation"] == pytest.approx(expected, abs=1e-6)
    assert a["left_elbow_flexion"] == pytest.approx(90.0 if expected == 90.0 else 0.0, abs=1e-6)


def test_trunk_leaning_forward_flexes_both_hips():
    p = standing_pose()
    # Upper body pitched 30 deg forward about the hip axis (x): the head goes towards the camera (-z).
    p[UPPER_BODY] = p[UPPER_BODY] @ rot_x(30.0).T
    a = one(p)
    assert p[L.NOSE, 2] < -0.3  # the construction really leans towards the camera
    assert a["trunk_lean"] == pytest.approx(30.0, abs=1e-6)
    assert a["trunk_forward_lean"] == pytest.approx(30.0, abs=1e-6)
    for side in ("left", "right"):
        assert a[f"{side}_hip_flexion"] == pytest.approx(30.0, abs=1e-6)  # thigh relative to the trunk
        assert a[f"{side}_knee_flexion"] == pytest.approx(0.0, abs=1e-9)
    back = standing_pose()
    back[UPPER_BODY] = back[UPPER_BODY] @ rot_x(-15.0).T
    assert one(back)["trunk_forward_lean"] == pytest.approx(-15.0, abs=1e-6)


def test_pelvis_rotation_relative_to_the_shoulders():
    p = standing_pose()
    p[UPPER_BODY] = p[UPPER_BODY] @ rot_y(20.0).T  # shoulders turned to the subject's right
    assert p[L.RIGHT_SHOULDER, 2] > 0.05  # right shoulder went back
    assert one(p)["pelvis_rotation"] == pytest.approx(20.0, abs=1e-6)  # pelvis turned left of the shoulders
    q = standing_pose()
    lower = list(range(23, 33))
    q[lower] = q[lower] @ rot_y(-25.0).T  # pelvis turned to the left: the right hip comes forward
    assert q[L.RIGHT_HIP, 2] < -0.03
    assert one(q)["pelvis_rotation"] == pytest.approx(25.0, abs=1e-6)


def _general_pose() -> np.ndarray:
    """An asymmetric pose touching every angle: lunge, twist, lean, raised arm."""
    p = place_leg(standing_pose(), "right", _dir((ANTERIOR, 1.0), (-UP, 0.6), (-LEFT, 0.2)), _dir((-UP, 1.0), (-ANTERIOR, 0.3)))
    p = place_leg(p, "left", _dir((-UP, 1.0), (-ANTERIOR, 0.4), (LEFT, 0.1)), _dir((-UP, 1.0), (-ANTERIOR, 0.9)))
    p[UPPER_BODY] = p[UPPER_BODY] @ (rot_y(-15.0) @ rot_x(12.0)).T
    p[L.LEFT_ELBOW] = p[L.LEFT_SHOULDER] + 0.28 * _dir((ANTERIOR, 1.0), (UP, 0.3))
    p[L.LEFT_WRIST] = p[L.LEFT_ELBOW] + 0.26 * _dir((UP, 1.0), (LEFT, 0.2))
    return p


def test_rigid_motion_of_the_whole_body_does_not_change_the_angles():
    p = _general_pose()
    ref = one(p)
    turned = p @ rot_y(137.0).T + np.array([1.3, -0.2, 4.0])  # turned about the vertical and moved
    for name, value in one(turned).items():
        assert value == pytest.approx(ref[name], abs=1e-9), name
    # A tilted camera (pitched 25 deg) changes gravity's direction only: only the trunk lean may change.
    tilted = one(p @ rot_x(25.0).T)
    for name in ANGLE_NAMES:
        if not name.startswith("trunk_"):
            assert tilted[name] == pytest.approx(ref[name], abs=1e-9), name
    assert abs(tilted["trunk_lean"] - ref["trunk_lean"]) > 5.0


def test_left_right_mirror_symmetry():
    p = _general_pose()
    mirrored = np.empty_like(p)
    for i, j in MIRROR.items():
        mirrored[j] = p[i] * np.array([-1.0, 1.0, 1.0])
    a, m = one(p), one(mirrored)
    for name in ANGLE_NAMES:
        if name.startswith(("left_", "right_")):
            side, rest = name.split("_", 1)
            assert m[f"{'right' if side == 'left' else 'left'}_{rest}"] == pytest.approx(a[name], abs=1e-9), name
    assert m["pelvis_rotation"] == pytest.approx(-a["pelvis_rotation"], abs=1e-9)
    assert m["trunk_forward_lean"] == pytest.approx(a["trunk_forward_lean"], abs=1e-9)
    assert abs(a["pelvis_rotation"]) > 5.0 and abs(a["right_hip_flexion"] - a["left_hip_flexion"]) > 20.0


def test_nan_landmarks_give_nan_only_where_needed():
    frames = np.repeat(_general_pose()[None], 3, axis=0)
    frames[1, L.LEFT_KNEE] = np.nan
    frames[2, L.RIGHT_HIP] = np.nan
    with np.errstate(all="raise"):  # no floating-point warnings on missing data
        a = joint_angles(frames)
    assert all(np.isfinite(v[0]) for v in a.values())
    missing_knee = {k for k, v in a.items() if np.isnan(v[1])}
    assert missing_knee == {"left_knee_flexion", "left_hip_flexion", "left_hip_abduction"}
    missing_hip = {k for k, v in a.items() if np.isnan(v[2])}
    # The pelvis frame needs both hips: every hip angle, the trunk and the pelvis line go.
    assert missing_hip == {"left_hip_flexion", "right_hip_flexion", "left_hip_abduction", "right_hip_abduction",
                           "right_knee_flexion", "left_shoulder_elevation", "right_shoulder_elevation",
                           "trunk_lean", "trunk_forward_lean", "pelvis_rotation"}


def test_degenerate_geometry_is_nan_not_an_error():
    p = standing_pose()
    p[L.RIGHT_KNEE] = p[L.RIGHT_HIP]  # zero-length thigh
    with np.errstate(all="raise"):
        a = one(p)
    assert np.isnan(a["right_knee_flexion"]) and np.isnan(a["right_hip_flexion"])
    assert a["left_knee_flexion"] == pytest.approx(0.0, abs=1e-9)


def test_angles_at_matches_the_sequence_and_shapes_are_checked():
    frames = np.stack([standing_pose(), _general_pose(), standing_pose()])
    seq = joint_angles(frames)
    at = angles_at(frames, 1)
    assert all(isinstance(v, float) for v in at.values())
    assert at == {k: float(v[1]) for k, v in seq.items()}
    assert joint_angles(_general_pose())["left_knee_flexion"].shape == (1,)
    with pytest.raises(ValueError):
        joint_angles(np.zeros((4, 17, 3)))
