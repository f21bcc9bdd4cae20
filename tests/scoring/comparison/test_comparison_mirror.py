"""Mirroring a performance (comparison/mirror.py) on real video: the measured motion is the same, sides swapped."""

from __future__ import annotations


import numpy as np

from services.kit.paths import REPO, VIDEOS
from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.landmarks import MIRROR_INDEX
from services.scoring.biomechanics.measurement import measure
from services.scoring.clients import motion_from_sequence
from services.scoring.comparison.mirror import mirror_motion
from services.scoring.learning.lifting import DepthLifter

CLIP = VIDEOS / "pose2sim-balancing-cam01.mp4"
MODELS = REPO / "models" / "scoring"


def test_a_mirrored_video_motion_is_measured_with_its_sides_swapped(analyse_video):
    seq, report = analyse_video(CLIP)
    motion = motion_from_sequence(seq, DepthLifter.from_dir(MODELS))
    assert motion.depth is not None
    mirrored = mirror_motion(motion)
    # Measurement starts from the image landmarks: they are mirrored with the world ones.
    assert mirrored.image is not None and np.allclose(mirrored.image[:, :, 0], -motion.image[:, MIRROR_INDEX, 0],
                                                      equal_nan=True)
    speed, speed_m = measure(motion).kinematics.speed, measure(mirrored).kinematics.speed
    assert np.isfinite(speed).any()
    np.testing.assert_allclose(speed_m, speed[:, MIRROR_INDEX], rtol=1e-6, atol=1e-9)
    again = analyze_motion(mirrored, body_mass_kg=70.0)
    assert again.max_speed == report.max_speed
    side, part = report.effector.split("_", 1)
    assert again.effector == f"{'left' if side == 'right' else 'right'}_{part}"
