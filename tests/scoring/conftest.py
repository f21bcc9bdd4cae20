"""Shared by the scoring tests on real footage: one warm pool of pose workers for the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from services.kit.paths import REPO



@pytest.fixture(scope="session")
def analyse_video():
    """path -> (PoseSequence proto, BiomechanicsReport): the real extraction and the physics /analyze runs."""
    from services.pose.extract import extract_poses
    from services.pose.landmarker import bundle_path
    from services.pose.servicer import to_proto
    from services.pose.workers import WorkerLimits, WorkerPool
    from services.scoring.biomechanics import analyze_motion
    from services.scoring.clients import motion_from_sequence
    from services.scoring.learning.lifting import DepthLifter

    bundle = bundle_path(REPO / "models")
    lifter = DepthLifter.from_dir(REPO / "models" / "scoring")  # as the scoring service loads it
    pool = WorkerPool(bundle, WorkerLimits(), 2)

    def analyse(path: Path):
        seq = to_proto(extract_poses(path, bundle, workers=2, pool=pool))
        return seq, analyze_motion(motion_from_sequence(seq, lifter), body_mass_kg=70.0)
    try:
        yield analyse
    finally:
        pool.close()
