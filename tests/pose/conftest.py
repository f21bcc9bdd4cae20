"""Pose test fixtures: the built model bundle, one extraction per real video (shared), and real frames and a
pose server for the live-analysis tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from grpc_health.v1 import health_pb2_grpc

from kataforge.pose.v1 import pose_pb2_grpc
from services.kit.paths import MODELS, VIDEOS
from services.pose.extract import PoseSequence, extract_poses
from services.pose.landmarker import bundle_path
from services.pose.workers import WorkerLimits, WorkerPool
from testkit.live_stream import jpeg, no_live_streams, start_pose
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


# ---- live analysis (StreamPoses): real frames, and a pose server per test module ----------------------------
LIVE_CLIP = VIDEOS / "sports2d-demo.mp4"  # 1768x994, 30 frames/s, one person walking across
LIVE_PORTRAIT = VIDEOS / "pose2sim-balancing-cam01.mp4"  # 1080x1920, one person balancing
LIVE_WIDTH = 640


@pytest.fixture(scope="module")
def video_frames() -> list[np.ndarray]:
    """The first 60 frames of a real video, BGR, resized to 640 px wide."""
    cap = cv2.VideoCapture(str(LIVE_CLIP))
    frames = []
    try:
        while len(frames) < 60:
            ok, bgr = cap.read()
            assert ok, f"{LIVE_CLIP} has fewer than 60 frames"
            height = round(bgr.shape[0] * LIVE_WIDTH / bgr.shape[1])
            frames.append(cv2.resize(bgr, (LIVE_WIDTH, height), interpolation=cv2.INTER_AREA))
    finally:
        cap.release()
    return frames


@pytest.fixture(scope="module")
def portrait() -> list[np.ndarray]:
    """Frames 0, 20 and 40 of a real portrait video (a person filling the picture), BGR, 359x639: odd
    sizes, so raw rows are not a multiple of 4 bytes."""
    cap = cv2.VideoCapture(str(LIVE_PORTRAIT))
    frames = []
    try:
        for index in range(41):
            ok, bgr = cap.read()
            assert ok
            if index % 20 == 0:
                frames.append(cv2.resize(bgr, (359, 639), interpolation=cv2.INTER_AREA))
    finally:
        cap.release()
    return frames


@pytest.fixture(scope="module")
def person(portrait) -> bytes:
    """A JPEG in which a person is always detected, even as the first frame of a stream."""
    return jpeg(portrait[0])


@pytest.fixture(scope="module")
def jpegs(video_frames) -> list[bytes]:
    return [jpeg(bgr) for bgr in video_frames]


@pytest.fixture(scope="module")
async def live_server(base_settings, bundle, start_service, backend_channel):
    running, channel = await start_pose(base_settings, start_service, backend_channel)
    stub, health = pose_pb2_grpc.PoseServiceStub(channel), health_pb2_grpc.HealthStub(channel)
    try:
        yield stub, health
        await no_live_streams(stub)
    finally:
        await channel.close()
        await running.stop()
