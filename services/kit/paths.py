"""Where the repository and the shared data lie: one definition for the services, bench/ and tests/.

The shared data (real videos, motion capture, ground truth; ../shared/data/README.md) sits beside the
repository, never inside it: it is read from there and never copied in."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
SHARED_DATA = REPO.parent / "shared" / "data"
VIDEOS = SHARED_DATA / "videos"
MOCAP = SHARED_DATA / "mocap"
CMU_KARATE = MOCAP / "cmu-135-karate"
GROUND_TRUTH = SHARED_DATA / "ground-truth"
DEEPMIMIC = MOCAP / "deepmimic"
CMU_EXERCISE = MOCAP / "cmu-13-exercise"
