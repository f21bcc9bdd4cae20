"""Pose test fixtures: the built model bundle, and one extraction per real video (shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.paths import MODELS, VIDEOS
from services.pose.extract import PoseSequence, extract_poses
from services.pose.landmarker import bundle_path
from services.pose.workers import WorkerLimits, WorkerPool
from testkit.videos import EXTRACT_WORKERS

BUNDLE = bundle_path(MODELS)


@pytest.fixture(scope="session")
def bundle() -> Path:
    assert BUNDLE.is_file(), f"{BUNDLE} is missing: run `make model`"
    return BUNDLE


@pytest.fixture(scope="session")
def pose_pool(bundle):
    """Warm pose workers shared by the tests that extract real videos; closed at the end of the session.

    Its workers are child processes of the test process for the whole session: a test that counts
    pose workers must tell its own apart (tests/pose/test_pose_workers.py uses its own bundle path)."""
    pool = WorkerPool(bundle, WorkerLimits(), size=EXTRACT_WORKERS)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def extracted(bundle, pose_pool):
    """Extract each video at most once per session (the full-video checks share the result), its
    trackers in parallel on EXTRACT_WORKERS pooled workers."""
    cache: dict[str, PoseSequence] = {}

    def get(name: str) -> PoseSequence:
        if name not in cache:
            cache[name] = extract_poses(VIDEOS / name, bundle, workers=EXTRACT_WORKERS, pool=pose_pool)
        return cache[name]

    return get
