"""The pose service for the services that call it (coach references, scoring): a video (URL or streamed bytes) in,
a PoseSequence out."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable

import grpc

from kataforge.common.v1 import common_pb2
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit import errors
from services.kit.grpc_errors import from_rpc_error
from services.kit.video_source import CHUNK_BYTES  # the pose service takes chunks of up to this size

# Decoding and inference of a long clip take a while; the caller's own deadline still applies first.
POSE_TIMEOUT_SECONDS = 600.0


class PoseClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = pose_pb2_grpc.PoseServiceStub(channel)

    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None, filename: str,
                      progress: Callable[[int, int], Awaitable[None]] | None = None) -> common_pb2.PoseSequence:
        """The video's pose sequence; with `progress`, awaited with (frames analysed, frames expected) as the
        pose service reports them (ExtractPosesWithProgress)."""
        async def requests() -> AsyncIterator[pose_pb2.ExtractPosesChunk]:
            yield pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename=filename, source_url=url))
            if chunks is not None and not url:
                async for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK_BYTES):
                        yield pose_pb2.ExtractPosesChunk(data=chunk[start:start + CHUNK_BYTES])

        try:
            if progress is None:
                return await self.stub.ExtractPoses(requests(), timeout=POSE_TIMEOUT_SECONDS)
            async for event in self.stub.ExtractPosesWithProgress(requests(), timeout=POSE_TIMEOUT_SECONDS):
                if event.HasField("result"):
                    return event.result
                await progress(event.progress.frames_done, event.progress.frames_total)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        raise errors.Unavailable("The pose service ended the extraction without a result; retry")
