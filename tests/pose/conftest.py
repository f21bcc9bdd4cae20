"""Pose test fixtures: the built model bundle, one extraction per real video (shared), sample bad files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from services.pose.extract import PoseSequence, extract_poses
from services.pose.landmarker import bundle_path
from services.pose.workers import WorkerLimits, WorkerPool
from tests.conftest import REPO, VIDEOS

BUNDLE = bundle_path(REPO / "models")
POSE2SIM = [f"pose2sim-balancing-cam0{i}.mp4" for i in range(1, 5)]
ALL_VIDEOS = [*POSE2SIM, "sports2d-demo.mp4"]
# Segments analysed in parallel by the shared extractions (each real video is long enough for two).
EXTRACT_WORKERS = 2


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


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def truncated(name: str, fraction: float = 0.5) -> bytes:
    data = (VIDEOS / name).read_bytes()
    return data[: int(len(data) * fraction)]


# A playlist names URLs (here the cloud metadata service) a lenient demuxer would fetch; refused as text.
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n"

# cam01 keeps its MP4 index (moov) at the end, cam02 at the start: truncation fails differently.
BAD_UPLOADS = {
    "empty": (b"", "The uploaded video is empty"),
    "text": (b"this is not a video, just some words\n" * 20, "text, not a video"),
    "png": (png_bytes(), "PNG image, not a video"),
    "truncated-index-at-end": (truncated("pose2sim-balancing-cam01.mp4"), "truncated"),
    "truncated-index-at-start": (truncated("pose2sim-balancing-cam02.mp4"), "truncated"),
    "random-bytes": (bytes(range(7, 256)) * 50, "not a recognised video format"),
}
