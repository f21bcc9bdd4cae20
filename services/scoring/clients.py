"""gRPC adapters for the analysis core: the pose service and the coach registry."""

from __future__ import annotations

from typing import AsyncIterator

import grpc
import numpy as np

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.common.v1 import common_pb2
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit.grpc_errors import from_rpc_error
from services.scoring.analysis import PoseResult
from services.scoring.biomechanics import Motion

CHUNK_BYTES = 1024 * 1024
POSE_TIMEOUT_SECONDS = 600.0
COACH_TIMEOUT_SECONDS = 10.0


def motion_from_sequence(seq: common_pb2.PoseSequence) -> Motion:
    """Protobuf pose sequence -> arrays: t (s), world (m, [T,33,3]), visibility, detected."""
    count = len(seq.frames)
    t = np.array([f.timestamp_ms / 1000.0 for f in seq.frames], dtype=float)
    world = np.full((count, 33, 3), np.nan)
    visibility = np.zeros((count, 33))
    detected = np.zeros(count, dtype=bool)
    for i, frame in enumerate(seq.frames):
        if frame.detected and len(frame.landmarks) == 33:
            detected[i] = True
            world[i] = [(lm.wx, lm.wy, lm.wz) for lm in frame.landmarks]
            visibility[i] = [lm.visibility for lm in frame.landmarks]
    return Motion(t=t, world=world, visibility=visibility, detected=detected, smoothing=seq.smoothing or "none")


class GrpcPose:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = pose_pb2_grpc.PoseServiceStub(channel)

    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None, filename: str) -> PoseResult:
        async def requests():
            yield pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename=filename, source_url=url))
            if chunks is not None and not url:
                async for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK_BYTES):
                        yield pose_pb2.ExtractPosesChunk(data=chunk[start:start + CHUNK_BYTES])

        try:
            seq = await self.stub.ExtractPoses(requests(), timeout=POSE_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return PoseResult(motion=motion_from_sequence(seq), fps=seq.fps, width=seq.width, height=seq.height,
                          frame_count=seq.frame_count, people_seen=seq.people_seen, model=seq.model or "blazepose_full",
                          inference_seconds=seq.inference_seconds)

    async def gpu_available(self) -> bool:
        try:
            info = await self.stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5.0)
        except grpc.aio.AioRpcError:
            return False
        return info.gpu_available


class GrpcCoaches:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = coach_pb2_grpc.CoachServiceStub(channel)

    async def techniques(self, coach_id: str) -> list[str]:
        try:
            coach = await self.stub.GetCoach(coach_pb2.GetCoachRequest(coach_id=coach_id),
                                             timeout=COACH_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return list(coach.techniques)
