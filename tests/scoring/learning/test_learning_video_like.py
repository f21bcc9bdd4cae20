"""The video-like views: a random camera and BlazePose's measured errors, depth worse than the image plane."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.paths import CMU_KARATE as KARATE
from services.scoring.biomechanics import landmarks as L
from services.scoring.learning import video_like as V
from services.scoring.learning.dataset import Sample
from services.scoring.mocap.cmu import cmu_samples



@pytest.fixture(scope="module")
def rep() -> Sample:
    s = cmu_samples(KARATE)[0]
    return Sample(technique=s.technique, t=s.t, world=s.world, visibility=s.visibility, source=s.source)


def test_camera_rotation_is_proper():
    r = V.camera_rotation(1.0, 0.3, -0.1)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_views_are_deterministic_and_keep_label_and_source(rep):
    a, b = V.video_view(rep, np.random.default_rng(3)), V.video_view(rep, np.random.default_rng(3))
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(np.nan_to_num(a.world), np.nan_to_num(b.world))
    assert (a.technique, a.source) == (rep.technique, rep.source)


def test_frame_rates_span_ten_to_sixty_fps(rep):
    rates = []
    for seed in range(40):
        v = V.video_view(rep, np.random.default_rng(seed))
        rates.append(1.0 / np.median(np.diff(v.t)))
    assert min(rates) >= 9.0 and max(rates) <= 61.0
    assert min(rates) < 15 and max(rates) > 40


def _standing(t: np.ndarray, rep: Sample) -> np.ndarray:
    """[T,33,3] the repetition's first pose held still, hip-centred, facing a camera 0.3 rad off its front."""
    world = np.asarray(rep.world, float)[0]
    world = world - 0.5 * (world[L.LEFT_HIP] + world[L.RIGHT_HIP])
    return np.repeat((world @ V.camera_rotation(0.3, 0.0, 0.0).T)[None], t.size, axis=0)


def test_depth_errors_exceed_image_plane_errors_as_measured(rep):
    """Noise alone (no camera, no swaps, no occlusion): depth RMS about 2-3x the image-plane RMS."""
    model = V.VideoModel(swap_probability=0.0, occlusion_max=0.0)
    t = np.arange(0.0, 2.0, 1 / 60)
    world = _standing(t, rep)
    xy, z = [], []
    for seed in range(30):
        err = V._errors(np.random.default_rng(seed), t, world, model)
        xy.append(np.sqrt(np.mean(err[..., :2] ** 2)))
        z.append(np.sqrt(np.mean(err[..., 2] ** 2)))
    assert 0.02 < np.median(xy) < 0.12
    assert 0.10 < np.median(z) < 0.30
    assert np.median(z) > 1.5 * np.median(xy)


def test_depth_errors_move_together_as_measured(rep):
    """As on pose2sim cam01 / cam02 against the .trc: one limb's depth errors move together (knee-ankle +0.72 to
    +0.79) and the body leans as a whole (shoulder-knee negative); landmark by landmark apart they would not."""
    model = V.VideoModel(swap_probability=0.0, occlusion_max=0.0, depth_jumps_per_s=0.0, jitter_m=0.0)
    t = np.arange(0.0, 3.0, 1 / 60)
    world = _standing(t, rep)
    same_limb, shoulder_knee = [], []
    for seed in range(30):
        z = V._errors(np.random.default_rng(seed), t, world, model)[..., 2]
        c = np.corrcoef(z[:, [L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_SHOULDER]].T)
        same_limb.append(c[0, 1])
        shoulder_knee.append(c[0, 2])
    assert np.mean(same_limb) > 0.6
    assert np.mean(shoulder_knee) < -0.1
    apart = V.VideoModel(depth_shares=(0.0, 0.0, 1.0), depth_jumps_per_s=0.0, jitter_m=0.0)
    z = V._errors(np.random.default_rng(0), t, world, apart)[..., 2]
    assert abs(np.corrcoef(z[:, L.LEFT_KNEE], z[:, L.LEFT_ANKLE])[0, 1]) < 0.4


def test_swaps_exchange_left_and_right_limbs_and_occlusions_hide_them():
    world = np.zeros((40, 33, 3))
    world[:, L.LEFT_KNEE, 0], world[:, L.RIGHT_KNEE, 0] = 1.0, -1.0
    vis = np.ones((40, 33))
    model = V.VideoModel(swap_probability=1.0, occlusion_max=0.0)
    for seed in range(20):
        w, _ = V._swaps_and_occlusions(np.random.default_rng(seed), world.copy(), vis.copy(), model)
        if (w[:, L.LEFT_KNEE, 0] == -1.0).any():
            swapped = w[:, L.LEFT_KNEE, 0] == -1.0
            assert (w[swapped, L.RIGHT_KNEE, 0] == 1.0).all()
            break
    else:
        pytest.fail("no leg swap in 20 views with swap_probability 1")
    w, v = V._swaps_and_occlusions(np.random.default_rng(1), world.copy(), vis.copy(),
                                   V.VideoModel(swap_probability=0.0, occlusion_max=0.9))
    hidden = np.isnan(w).any(axis=2)
    assert hidden.any() and (v[hidden] == 0).all()
