"""Metrics of the pose service, counted from the frames it analyses (served by services/kit/metrics.py).

mode="video": ExtractPoses and ExtractPosesWithProgress, one observation per video whose poses were extracted
(one refused midway, e.g. with no person in it, is not counted); mode="live": StreamPoses, one per camera frame
answered (frames dropped as stale are never analysed).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FRAMES = Counter("kataforge_pose_frames", "Frames run through the pose model", ["mode"])
# The model's share of the work (BlazePose in MediaPipe), summed over a video's workers: divided by FRAMES it is
# the model time per frame; decoding and smoothing are not in it.
INFERENCE_SECONDS = Counter("kataforge_pose_inference_seconds", "Seconds spent in the pose model", ["mode"])
# Wall time of one unit of work: a video's extraction once received (decoding, model, smoothing), or one
# live frame (decoding the image, model, smoothing).
PROCESSING_SECONDS = Histogram("kataforge_pose_processing_seconds",
                               "Time to extract the poses of one video or one live frame", ["mode"],
                               buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                                        120.0, 300.0, 600.0))


def record(mode: str, frames: int, inference_seconds: float, seconds: float) -> None:
    FRAMES.labels(mode).inc(frames)
    INFERENCE_SECONDS.labels(mode).inc(inference_seconds)
    PROCESSING_SECONDS.labels(mode).observe(seconds)
