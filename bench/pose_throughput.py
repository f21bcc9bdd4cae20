"""Pose throughput: a bare OpenCV + MediaPipe loop against the pose service's RPC, and live latency.

For each video in ../shared/data/videos, in one run of this command:
  (a) bare loop: cv2.VideoCapture.read -> RGB -> PoseLandmarker.detect_for_video, in this process;
  (b) the pose service (started here as its own process, `python -m services.pose.main`) over
      ExtractPoses, streaming the file in 1 MiB chunks, the way the scoring service calls it.
Prints frames/s of each and the ratio b/a (> 1: the service is faster than the naive loop).
Then streams one video's frames as JPEG over StreamPoses at --live-fps and prints the per-frame
latency (send -> response) p50/p95 and how many frames the server dropped.

Usage: .venv/bin/python bench/pose_throughput.py [--videos DIR] [--live-video NAME] [--live-fps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import cv2
import grpc
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pose_service import free_port, start_pose_service  # noqa: E402
from services.kit.paths import REPO, VIDEOS  # noqa: E402
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc  # noqa: E402
from services.kit.config import Settings  # noqa: E402
from services.pose.landmarker import bundle_path  # noqa: E402

CHUNK = 1 << 20


def bare_loop(path: Path, bundle: Path, num_poses: int) -> tuple[int, float]:
    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(bundle)),
                                           running_mode=vision.RunningMode.VIDEO, num_poses=num_poses)
    started = time.perf_counter()
    frames = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        cap = cv2.VideoCapture(str(path))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            landmarker.detect_for_video(image, int(frames * 1000 / fps))
            frames += 1
        cap.release()
    return frames, time.perf_counter() - started


def _chunks(path: Path):
    yield pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename=path.name, content_type="video/mp4"))
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            yield pose_pb2.ExtractPosesChunk(data=block)


def service_rpc(stub, path: Path, metadata=()) -> tuple[int, float, float]:
    started = time.perf_counter()
    seq = stub.ExtractPoses(_chunks(path), timeout=600, metadata=metadata)
    return seq.frame_count, time.perf_counter() - started, seq.inference_seconds


async def live_latency(addr: str, path: Path, fps: float, width: int, limit: int,
                       metadata=()) -> dict[str, float]:
    cap = cv2.VideoCapture(str(path))
    encoded, frames = [], 0
    while frames < limit:
        ok, bgr = cap.read()
        if not ok:
            break
        scale = width / bgr.shape[1]
        small = cv2.resize(bgr, (width, int(round(bgr.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        encoded.append(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
        frames += 1
    cap.release()
    sent_at: dict[int, float] = {}
    latencies, dropped = [], 0
    async with grpc.aio.insecure_channel(addr) as channel:
        stub = pose_pb2_grpc.PoseServiceStub(channel)

        async def frames_out():
            start = time.perf_counter()
            for i, data in enumerate(encoded):
                # Paced like a camera: frame i leaves at start + i / fps.
                await asyncio.sleep(max(0.0, start + i / fps - time.perf_counter()))
                sent_at[i] = time.perf_counter()
                yield pose_pb2.LiveFrame(sequence=i, timestamp_ms=i * 1000.0 / fps, encoded=data)

        async for pose in stub.StreamPoses(frames_out(), metadata=metadata):
            latencies.append((time.perf_counter() - sent_at[pose.sequence]) * 1000.0)
            dropped = pose.dropped_frames
    lat = np.array(latencies)
    return {"frames": len(encoded), "answered": len(lat), "dropped": dropped,
            "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, default=VIDEOS)
    parser.add_argument("--live-video", default="sports2d-demo.mp4")
    parser.add_argument("--live-fps", type=float, default=30.0)
    parser.add_argument("--live-width", type=int, default=640, help="width of the JPEG frames sent live")
    parser.add_argument("--live-frames", type=int, default=230)
    args = parser.parse_args()
    bundle = bundle_path(REPO / "models")
    num_poses = Settings().pose_num_poses
    port = free_port()
    running = start_pose_service(port)
    try:
        stub = pose_pb2_grpc.PoseServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}",
                                             options=[("grpc.max_receive_message_length", 256 << 20)]))
        print(f"cores: {os.cpu_count()}; num_poses={num_poses} in both paths")
        print("| video | frames | bare loop fps | service RPC fps | ratio b/a |")
        print("|---|---|---|---|---|")
        for path in sorted(args.videos.glob("*.mp4")):
            frames_a, secs_a = bare_loop(path, bundle, num_poses)
            frames_b, secs_b, _ = service_rpc(stub, path, running.metadata())
            fps_a, fps_b = frames_a / secs_a, frames_b / secs_b
            print(f"| {path.stem} | {frames_b} | {fps_a:.1f} | {fps_b:.1f} | {fps_b / fps_a:.2f} |", flush=True)
        live = asyncio.run(live_latency(f"127.0.0.1:{port}", args.videos / args.live_video, args.live_fps,
                                        args.live_width, args.live_frames, running.metadata()))
        print(f"\nlive StreamPoses, {args.live_video} as {args.live_width}px JPEG at {args.live_fps:g} frames/s: "
              f"{live['answered']}/{live['frames']} answered, {live['dropped']} dropped, "
              f"latency p50 {live['p50']:.1f} ms, p95 {live['p95']:.1f} ms")
    finally:
        running.stop()


if __name__ == "__main__":
    main()
