"""What the live-analysis tests send to StreamPoses and how they drive it: frames (JPEG, raw, mislabelled), a
pose server of their own, lockstep calls, and waits for the server to be idle and serving again."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time

import cv2
import grpc
import numpy as np
from grpc_health.v1 import health_pb2
from prometheus_client import REGISTRY

from kataforge.pose.v1 import pose_pb2
from services.kit.config import replace
from services.kit.grpc_errors import ERROR_TRAILER
from services.pose.main import build
from testkit.loopback import free_port

FPS = 30.0
DEADLINE = 120.0  # per call: generous, the model loads once per stream


def jpeg(bgr: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def frame(i: int, *, encoded: bytes | None = None, raw: pose_pb2.RawImage | None = None,
          smoothing: str = "") -> pose_pb2.LiveFrame:
    msg = pose_pb2.LiveFrame(timestamp_ms=i * 1000.0 / FPS, sequence=i,
                             options=pose_pb2.LiveOptions(smoothing=smoothing) if smoothing else None)
    if encoded is not None:
        msg.encoded = encoded
    if raw is not None:
        msg.raw.CopyFrom(raw)
    return msg


def jpeg_declaring(data: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF) is rewritten to declare width x height."""
    pos = 2
    while pos + 9 <= len(data):
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if 0xC0 <= marker <= 0xC2:
            return data[:pos + 5] + struct.pack(">HH", height, width) + data[pos + 9:]
        pos += 2 + length
    raise AssertionError("no SOF marker")


async def start_pose(base_settings, start_service, backend_channel, **changes):
    settings = replace(base_settings, pose_workers=1, pose_addr=f"127.0.0.1:{free_port()}", **changes)
    running = await start_service(build(settings), settings)
    channel = backend_channel(settings.pose_addr, "pose")
    return running, channel


async def eventually(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def live_streams(stub) -> int:
    return (await stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)).live_streams


def live_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("live_")]


async def no_live_streams(stub) -> None:
    """live_streams back to 0 and every stream's worker thread gone (its landmarker closed)."""
    async def idle() -> bool:
        return await live_streams(stub) == 0 and not live_threads()
    await eventually(idle, "live_streams to return to 0 and the live threads to end")


async def serving(health) -> bool:
    reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def lockstep(stub, frames: list[pose_pb2.LiveFrame]) -> list[pose_pb2.LivePose]:
    """Send each frame once the previous one is answered, then close: one response per frame."""
    call = stub.StreamPoses(timeout=DEADLINE)
    answers = []
    for msg in frames:
        await call.write(msg)
        answers.append(await call.read())
    await call.done_writing()
    assert await call.read() == grpc.aio.EOF
    assert await call.code() == grpc.StatusCode.OK
    return answers


def error_body(exc: grpc.aio.AioRpcError) -> dict:
    return json.loads(dict(exc.trailing_metadata())[ERROR_TRAILER])


def landmarks(pose: pose_pb2.LivePose) -> np.ndarray:
    return np.array([[lm.x, lm.y, lm.z, lm.wx, lm.wy, lm.wz, lm.visibility, lm.presence] for lm in pose.landmarks])


async def still_serving(stub, health, person: bytes) -> None:
    assert await serving(health)
    (answer,) = await lockstep(stub, [frame(0, encoded=person)])
    assert answer.sequence == 0 and answer.detected
    await no_live_streams(stub)


def live_frames_counted() -> float:
    return REGISTRY.get_sample_value("kataforge_pose_frames_total", {"mode": "live"}) or 0.0
