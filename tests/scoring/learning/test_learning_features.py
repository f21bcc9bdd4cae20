"""Features and augmentation: the invariants the models rely on."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.errors import ValidationFailed
from services.scoring.biomechanics.landmarks import MIRROR_INDEX as MIRROR_PERMUTATION
from services.scoring.learning import augment as A
from services.scoring.learning.features import (N_FRAMES, facing_yaw, featurize, featurize_sample, interp_frames,
                                                mirrored)
from services.scoring.learning.skeleton import POSE_CONNECTIONS, mean_adjacency

from testkit import learning_synth


@pytest.fixture()
def rep():
    return learning_synth.repetition("front_kick", np.random.default_rng(7), "rep")


def bone_lengths(world: np.ndarray) -> np.ndarray:
    i, j = np.array(POSE_CONNECTIONS).T
    return np.linalg.norm(world[:, i] - world[:, j], axis=-1)


def test_skeleton_graph_is_the_blazepose_one():
    assert len(POSE_CONNECTIONS) == 35 and len(set(POSE_CONNECTIONS)) == 35
    adj = mean_adjacency()
    assert adj.shape == (33, 33) and np.allclose(adj.sum(axis=1), 1.0) and np.all(np.diag(adj) == 0)
    assert adj[25, 23] == pytest.approx(0.5)        # left knee: mean of left hip and left ankle
    assert sorted(MIRROR_PERMUTATION[MIRROR_PERMUTATION]) == list(range(33))
    assert MIRROR_PERMUTATION[11] == 12 and MIRROR_PERMUTATION[0] == 0


def test_mirroring_twice_is_the_identity(rep):
    w, v = A.mirror(*A.mirror(rep.world, rep.visibility))
    assert np.array_equal(w, rep.world) and np.array_equal(v, rep.visibility)
    once, _ = A.mirror(rep.world, rep.visibility)
    assert not np.allclose(once, rep.world)
    assert np.allclose(once[:, 12, 0], -rep.world[:, 11, 0])   # the right shoulder is the mirrored left one


def test_rotation_keeps_bone_lengths(rep):
    turned = A.rotate(rep.world, 2.1, np.deg2rad(8))
    assert not np.allclose(turned, rep.world)
    assert np.allclose(bone_lengths(turned), bone_lengths(rep.world), atol=1e-12)


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_speed_change_scales_the_duration_and_keeps_the_frame_rate(rep, factor):
    t, w, v = A.change_speed(rep.t, rep.world, rep.visibility, factor)
    dt = np.median(np.diff(rep.t))
    assert np.allclose(np.diff(t), dt)
    assert t[-1] - t[0] == pytest.approx((rep.t[-1] - rep.t[0]) / factor, abs=dt)
    assert w.shape == (t.size, 33, 3) and v.shape == (t.size, 33)
    # the peak of the kick's excursion is reached 1/factor as late
    reach = lambda tt, ww: tt[np.argmin(ww[:, 32, 1])]
    assert reach(t, w) == pytest.approx(reach(rep.t, rep.world) / factor, abs=2 * dt)


def test_augment_is_deterministic_and_keeps_label_and_source(rep):
    a = A.augment(rep, np.random.default_rng(5))
    b = A.augment(rep, np.random.default_rng(5))
    assert np.array_equal(a.t, b.t) and np.array_equal(a.world, b.world, equal_nan=True)
    assert (a.technique, a.source) == (rep.technique, rep.source)
    assert np.isnan(a.world).any() and np.all(np.diff(a.t) > 0)


def test_features_shape_and_units(rep):
    f = featurize_sample(rep)
    assert f.pose.shape == (N_FRAMES, 33, 4) and f.pose.dtype == np.float32
    assert np.allclose(f.pose[:, [23, 24], :3].mean(axis=1), 0.0, atol=1e-5)   # hip centred
    trunk = np.linalg.norm(f.pose[:, [11, 12], :3].mean(axis=1), axis=1)
    assert trunk.mean() == pytest.approx(1.0, abs=0.02)                       # in trunk lengths
    assert f.context[0] == pytest.approx(rep.t[-1] - rep.t[0])
    assert f.context[1] == pytest.approx(0.5 * np.mean(np.linalg.norm(rep.world[:, 11] + rep.world[:, 12]
                                                                      - rep.world[:, 23] - rep.world[:, 24], axis=1)),
                                         rel=1e-5)


def test_features_ignore_size_yaw_and_position(rep):
    f = featurize_sample(rep)
    moved = A.rotate(rep.world * 1.3, 1.2) + np.array([0.2, -0.1, 0.5])
    g = featurize(rep.t, moved, rep.visibility)
    assert np.allclose(f.pose, g.pose, atol=1e-5)
    assert g.context[1] == pytest.approx(1.3 * f.context[1], rel=1e-5)


def test_facing_comes_from_both_girdles(rep):
    """A side view puts the hip line along the camera's axis, where BlazePose's depth is 0.1-0.2 m off: a
    0.15 m depth error on one hip turns a hips-only facing by ~20 degrees, both girdles by about half."""
    world = A.rotate(rep.world, 0.7)
    off = world.copy()
    off[:, 23, 2] += 0.15                                      # the left hip's depth misread

    def hip_yaw(w: np.ndarray) -> float:
        line = np.nanmean(w[:, 23] - w[:, 24], axis=0)
        return float(np.arctan2(line[2], line[0]))

    hips_only = np.degrees(abs(hip_yaw(off) - hip_yaw(world)))
    both = np.degrees(abs(facing_yaw(off) - facing_yaw(world)))
    assert hips_only > 15.0 and both < 0.6 * hips_only
    shoulders_only = world.copy()
    shoulders_only[:, [23, 24]] = np.nan                       # hips never seen: the shoulders alone
    assert facing_yaw(shoulders_only) == pytest.approx(np.arctan2(*np.nanmean(
        world[:, 11] - world[:, 12], axis=0)[[2, 0]]), abs=1e-9)
    assert facing_yaw(np.full_like(world, np.nan)) == 0.0


@pytest.mark.parametrize("yaw_deg", [0.0, 70.0, -150.0])
def test_features_of_a_mirrored_repetition_are_mirrored(rep, yaw_deg):
    world = A.rotate(rep.world, np.deg2rad(yaw_deg), 0.2)       # a camera anywhere round the performer
    f = featurize(rep.t, world, rep.visibility)
    w, v = A.mirror(world, rep.visibility)
    g = featurize(rep.t, w, v)
    expected = f.pose[:, MIRROR_PERMUTATION].copy()
    expected[..., 0] *= -1
    assert np.allclose(g.pose, expected, atol=1e-5)
    assert np.array_equal(mirrored(f.pose), expected) and np.array_equal(mirrored(mirrored(f.pose)), f.pose)


def test_unknown_landmarks_become_zero_with_zero_visibility(rep):
    world = rep.world.copy()
    world[:, 15] = np.nan                                       # left wrist never seen
    world[10:14, 28] = np.nan                                   # right ankle lost for 4 frames
    f = featurize(rep.t, world, rep.visibility)
    assert np.all(f.pose[:, 15] == 0)
    lost = (np.linspace(rep.t[0], rep.t[-1], N_FRAMES) > rep.t[9]) & (np.linspace(rep.t[0], rep.t[-1], N_FRAMES) < rep.t[14])
    assert np.all(f.pose[lost, 28] == 0) and np.all(f.pose[~lost, 28, 3] > 0)
    assert np.isfinite(f.pose).all()


def test_linear_interpolation_over_uneven_timestamps():
    t = np.array([0.0, 0.1, 0.35, 0.4, 1.0])
    values = 3.0 * t[:, None] - 1.0
    tq = np.linspace(0, 1, 9)
    assert np.allclose(interp_frames(t, values, tq)[:, 0], 3.0 * tq - 1.0)


def test_malformed_repetitions_are_refused(rep):
    with pytest.raises(ValidationFailed, match="strictly increasing"):
        featurize(rep.t[::-1], rep.world, rep.visibility)
    with pytest.raises(ValidationFailed, match=r"\[T,33,3\]"):
        featurize(rep.t, rep.world[:, :20], rep.visibility)
