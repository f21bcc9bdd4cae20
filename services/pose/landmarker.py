"""The BlazePose landmarker: loads the `.task` bundle with MediaPipe Tasks (VIDEO mode, CPU or GPU delegate;
IMAGE mode, every frame detected anew, for services.pose.redetect's crops)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from services.kit import errors

MODEL_NAME = "blazepose_full"
BUNDLE_FILE = "pose_landmarker_full.task"
NUM_LANDMARKS = 33
# Columns of a landmark array: normalised image x, y, z; world x, y, z in metres; visibility; presence.
LANDMARK_FIELDS = ("x", "y", "z", "wx", "wy", "wz", "visibility", "presence")


def bundle_path(model_dir: str | Path) -> Path:
    return Path(model_dir) / BUNDLE_FILE


def require_bundle(path: Path) -> Path:
    """The bundle path, or a ModelError that tells the operator how to build it."""
    if not path.is_file():
        raise errors.ModelError(f"Pose model bundle not found at {path}: run `make model` to build it "
                                f"(python -m services.pose.model_bundle --out {path})")
    return path


class Landmarker:
    """A MediaPipe PoseLandmarker in VIDEO mode (or IMAGE mode: `video=False`, each call on its own).
    Not thread-safe: one per video, closed after use."""

    def __init__(self, bundle: Path, *, num_poses: int = 2, min_detection: float = 0.5,
                 min_presence: float = 0.5, min_tracking: float = 0.5, delegate: str = "cpu",
                 video: bool = True) -> None:
        self._video = video
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(require_bundle(bundle)),
                                     delegate=BaseOptions.Delegate.GPU if delegate == "gpu"
                                     else BaseOptions.Delegate.CPU),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE, num_poses=num_poses,
            min_pose_detection_confidence=min_detection, min_pose_presence_confidence=min_presence,
            min_tracking_confidence=min_tracking)
        try:
            self._task = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise errors.ModelError(f"Cannot load the pose model bundle {bundle}: {exc}. "
                                    "Rebuild it with `make model`.") from exc
        self._last_ts = -1
        self._origin: float | None = None

    def detect(self, rgb: np.ndarray, timestamp_ms: float) -> list[np.ndarray]:
        """People in one RGB uint8 frame (H, W, 3), each a (33, 8) float32 array in LANDMARK_FIELDS order.
        Timestamps must increase from call to call."""
        # VIDEO mode needs strictly increasing integer milliseconds from 0; the caller's clock may
        # start anywhere (live clients send their own), so time counts from the first frame.
        if self._origin is None:
            self._origin = timestamp_ms
        ts = max(int(round(timestamp_ms - self._origin)), self._last_ts + 1)
        self._last_ts = ts
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._task.detect_for_video(image, ts) if self._video else self._task.detect(image)
        people = []
        for image_lms, world_lms in zip(result.pose_landmarks, result.pose_world_landmarks):
            arr = np.empty((NUM_LANDMARKS, len(LANDMARK_FIELDS)), dtype=np.float32)
            for i, (p, w) in enumerate(zip(image_lms, world_lms)):
                arr[i] = (p.x, p.y, p.z, w.x, w.y, w.z, _prob(p.visibility), _prob(p.presence))
            people.append(arr)
        return people

    def close(self) -> None:
        if self._task is not None:
            self._task.close()
            self._task = None

    def __enter__(self) -> "Landmarker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _prob(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def warm_up(bundle: Path) -> None:
    """Load the model and run it on one synthetic frame, so a SERVING service is really ready."""
    with Landmarker(bundle) as landmarker:
        landmarker.detect(np.full((256, 256, 3), 127, dtype=np.uint8), 0)


_GPU_PROBE = """
import sys
from mediapipe.tasks.python import BaseOptions, vision
options = vision.PoseLandmarkerOptions(
    base_options=BaseOptions(model_asset_path=sys.argv[1], delegate=BaseOptions.Delegate.GPU),
    running_mode=vision.RunningMode.VIDEO)
vision.PoseLandmarker.create_from_options(options).close()
"""


def gpu_usable(bundle: Path, timeout: float = 60.0) -> bool:
    """Whether MediaPipe can really run this bundle on a GPU here (it refuses software GL emulation).

    Probed in a child process: a failing GPU graph can abort the whole process, not just raise.
    """
    try:
        proc = subprocess.run([sys.executable, "-c", _GPU_PROBE, str(bundle)], capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0
