"""The depth lifter (learning/lifting.py) as the analysis serves it, on the model `make scoring-models` built."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.paths import REPO
from services.scoring.learning import lifter_training
from services.scoring.learning.lifting import HIPS, JOINTS, MIRROR, DepthLifter, mirror_inputs, normalise
from services.scoring.learning.video_like import camera_rotation


@pytest.fixture(scope="module")
def lifter() -> DepthLifter:
    found = DepthLifter.from_dir(REPO / "models" / "scoring")
    assert found is not None, "build it with `make scoring-models`"
    return found


@pytest.fixture(scope="module")
def held_out():
    """Frames [F,13,3] of the motion-capture clips the lifter's training held out (VAL_EVERY-th clips)."""
    clips = lifter_training.clips()
    return np.concatenate([f for i, (_, f) in enumerate(clips) if i % lifter_training.VAL_EVERY == 4])


def image_of(frames: np.ndarray, yaw_deg: float, px_per_m: float = 400.0, distance_m: float = 4.0):
    """([F,33,2] px, [F,33] bool seen, [F,13] true depth px) of hip-centred joints seen by a camera at yaw."""
    cam = frames @ camera_rotation(np.deg2rad(yaw_deg), 0.0, 0.0).T
    f = px_per_m * distance_m
    image = np.full((len(frames), 33, 2), np.nan)
    seen = np.zeros((len(frames), 33), dtype=bool)
    image[:, list(JOINTS)] = f * cam[..., :2] / (distance_m + cam[..., 2:3]) + [960.0, 540.0]
    seen[:, list(JOINTS)] = True
    return image, seen, px_per_m * cam[..., 2]


def test_inputs_do_not_depend_on_where_or_how_large_the_person_is():
    rng = np.random.default_rng(0)
    xy, seen = rng.normal(size=(4, 13, 2)), np.ones((4, 13), dtype=bool)
    a, s, ok = normalise(xy, seen)
    b, s2, _ = normalise(3.0 * xy + [500.0, -20.0], seen)
    assert ok.all() and np.allclose(a, b, atol=1e-5) and np.allclose(s2, 3.0 * s)
    assert np.allclose(mirror_inputs(mirror_inputs(a)), a)
    seen[0, list(HIPS)] = False  # no hip centre: no depth for that frame
    assert not normalise(xy, seen)[2][0]


def test_depth_of_held_out_motion_capture_from_the_side_and_the_front(lifter, held_out):
    frames = held_out[:: max(1, len(held_out) // 600)]
    for yaw in (90.0, 0.0, 45.0):
        image, seen, truth = image_of(frames, yaw)
        depth = lifter.depth(image, seen)[:, list(JOINTS)]
        relative = truth - 0.5 * (truth[:, HIPS[0]] + truth[:, HIPS[1]])[:, None]
        error_m = np.nanmean(np.abs(depth - relative)) / 400.0
        # Measured 0.051-0.054 m mean absolute (BlazePose's own depth: 0.11 m RMS on the pose2sim knees).
        assert error_m < 0.10, (yaw, error_m)
        assert np.isnan(lifter.depth(image, seen)[:, 1]).all()  # landmarks outside JOINTS get none


def test_a_mirrored_image_gets_the_mirrored_depths(lifter, held_out):
    image, seen, _ = image_of(held_out[:200], 30.0)
    mirrored = image.copy()
    mirrored[..., 0] = 1920.0 - image[..., 0]
    index = np.arange(33)
    index[list(JOINTS)] = np.array(JOINTS)[list(MIRROR)]
    direct, flipped = lifter.depth(image, seen), lifter.depth(mirrored[:, index], seen[:, index])[:, index]
    np.testing.assert_allclose(flipped[:, list(JOINTS)], direct[:, list(JOINTS)], atol=1e-3)


def test_unseen_joints_get_no_depth_and_the_rest_still_do(lifter, held_out):
    image, seen, _ = image_of(held_out[:50], 90.0)
    seen[:, [JOINTS[5], JOINTS[3]]] = False  # left wrist and elbow hidden
    depth = lifter.depth(image, seen)
    assert np.isnan(depth[:, [JOINTS[5], JOINTS[3]]]).all() and np.isfinite(depth[:, JOINTS[9]]).all()


def test_a_short_training_exports_a_lifter_the_service_loads():
    data, manifest = lifter_training.train(samples=3000, epochs=1)
    small = DepthLifter(data)
    assert small.manifest["type"] == "depth_lifter" and small.manifest["joints"] == list(JOINTS)
    assert manifest["validation"].count("held-out") == 1 and manifest["validation_mae_s"] > 0
    image, seen, _ = image_of(lifter_training.clips()[0][1][:20], 60.0)
    assert np.isfinite(small.depth(image, seen)[:, list(JOINTS)]).all()
