"""gRPC PoseService: streamed upload or source_url in, PoseSequence out (protobuf <-> core only)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import AsyncIterator

import grpc

from kataforge.common.v1 import common_pb2
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit import errors
from services.kit.config import Settings
from services.kit.readiness import SetAtWarmUp
from services.kit import landmark_signal
from services.kit.progress_stream import with_progress
from services.pose import extract, fetch, landmarker, metrics, video
from services.pose.core_budget import CoreBudget
from services.pose.workers import WorkerLimits, WorkerPool
from services.pose.live_servicer import LiveStreams, add_landmarks


def to_proto(seq: extract.PoseSequence) -> common_pb2.PoseSequence:
    out = common_pb2.PoseSequence(fps=seq.fps, analysed_fps=seq.analysed_fps, width=seq.width, height=seq.height, frame_count=seq.frame_count,
                                  duration_ms=seq.duration_ms, model=seq.model, people_seen=seq.people_seen,
                                  inference_seconds=seq.inference_seconds, rotation=seq.rotation % 360,
                                  smoothing=seq.smoothing, rejected_samples=seq.rejected_samples,
                                  filled_samples=seq.filled_samples, rival_prominence=seq.rival_prominence,
                                  signal=common_pb2.SignalProcessing(filter=seq.filter, cutoff_hz=seq.cutoff_hz,
                                                                     implausible_samples=seq.implausible_samples,
                                                                     image_checked=seq.image_checked))
    for frame in seq.frames:
        pf = out.frames.add(index=frame.index, timestamp_ms=frame.timestamp_ms, detected=frame.detected,
                            filled=frame.filled)
        if frame.landmarks is not None:
            add_landmarks(pf.landmarks, frame.landmarks, frame.tracker_spread_px)
    return out


class PoseServicer(pose_pb2_grpc.PoseServiceServicer):
    """Each call gets its own landmarker; decoding and inference run in a worker thread."""

    # The model's worker processes, started by warm_up() once the model is checked (UNAVAILABLE before).
    pool: WorkerPool = SetAtWarmUp("The pose service is loading its model; retry in a few seconds")

    def __init__(self, settings: Settings, bundle: Path, *, max_parallel: int | None = None,
                 temp_root: str | Path | None = None) -> None:
        self.settings, self.bundle, self.temp_root = settings, bundle, temp_root
        self.model_loaded = False
        self.gpu_available = False
        self.delegate = "cpu"
        self.limits = WorkerLimits(max_seconds=settings.max_video_seconds, max_pixels=settings.max_video_pixels,
                                   memory_mb=settings.decoder_memory_mb, cpu_seconds=settings.decoder_cpu_seconds,
                                   num_poses=settings.pose_num_poses, max_fps=settings.pose_max_fps,
                                   max_frames=settings.max_video_frames)
        self.workers = settings.pose_workers or os.cpu_count() or 1
        self.pool = None  # started by warm_up()
        self.signal = landmark_signal.SignalConfig(smoothing=settings.pose_smoothing)
        self.live = LiveStreams(bundle, settings)
        # One core per worker process busy at a time, across all requests (the workers of one video
        # and concurrent videos alike).
        self.cores = CoreBudget(max_parallel or os.cpu_count() or 1)

    async def warm_up(self) -> None:
        landmarker.require_bundle(self.bundle)
        await asyncio.to_thread(landmarker.warm_up, self.bundle)
        # MediaPipe's GPU delegate needs a working GL/EGL context; probed in a child process because a
        # failing GPU graph can abort the process. "auto" uses it when the probe passes.
        wanted = self.settings.pose_delegate
        self.gpu_available = wanted != "cpu" and await asyncio.to_thread(landmarker.gpu_usable, self.bundle)
        if wanted == "gpu" and not self.gpu_available:
            raise errors.ModelError("DOJO_POSE_DELEGATE=gpu, but MediaPipe cannot use a GPU on this machine")
        self.delegate = "gpu" if self.gpu_available else "cpu"
        self.limits = dataclasses.replace(self.limits, delegate=self.delegate)
        self.live.delegate = self.delegate
        # Workers load the model in the background; a request arriving first starts its own.
        self.pool = WorkerPool(self.bundle, self.limits, self.workers)
        self.model_loaded = True

    async def ExtractPoses(self, request_iterator: AsyncIterator[pose_pb2.ExtractPosesChunk],
                           context: grpc.aio.ServicerContext) -> common_pb2.PoseSequence:
        return await asyncio.to_thread(to_proto, await self._extract(request_iterator, None))

    async def ExtractPosesWithProgress(self, request_iterator: AsyncIterator[pose_pb2.ExtractPosesChunk],
                                       context: grpc.aio.ServicerContext) -> AsyncIterator[pose_pb2.ExtractionEvent]:
        def extraction(report):
            return self._extract(request_iterator, lambda done, total: report(
                pose_pb2.ExtractionProgress(frames_done=done, frames_total=total)))

        async for finished, item in with_progress(extraction):
            if finished:
                yield pose_pb2.ExtractionEvent(result=await asyncio.to_thread(to_proto, item))
            else:
                yield pose_pb2.ExtractionEvent(progress=item)

    async def _extract(self, request_iterator: AsyncIterator[pose_pb2.ExtractPosesChunk],
                       progress) -> extract.PoseSequence:
        header = await self._header(request_iterator)
        stride = header.frame_stride or 1
        if stride > extract.MAX_FRAME_STRIDE:
            raise errors.InvalidRequest(f"frame_stride must be between 1 and {extract.MAX_FRAME_STRIDE}",
                                        details={"frame_stride": f"got {stride}"})
        with video.private_dir(self.temp_root) as workdir:
            path = workdir / "video"  # our own name: the user's filename is only used in messages
            if header.source_url:
                async for _ in request_iterator:
                    raise errors.InvalidRequest("Send either source_url or data chunks, not both",
                                                details={"source_url": "data chunks were sent as well"})
                await fetch.fetch_to_file(header.source_url, path, max_bytes=self.settings.max_request_size,
                                          timeout=self.settings.fetch_timeout)
            else:
                await self._receive(request_iterator, path)
            stop, started = threading.Event(), time.perf_counter()
            try:
                seq = await asyncio.to_thread(extract.extract_poses, path, self.bundle, frame_stride=stride,
                                              limits=self.limits, workers=self.workers, pool=self.pool,
                                              cores=self.cores, signal=self.signal, cancelled=stop.is_set,
                                              progress=progress)
            except asyncio.CancelledError:
                stop.set()  # the client went away or its deadline passed: free the CPU
                raise
            metrics.record("video", len(seq.frames), seq.inference_seconds, time.perf_counter() - started)
            return seq

    async def _header(self, request_iterator: AsyncIterator[pose_pb2.ExtractPosesChunk]) -> pose_pb2.VideoHeader:
        async for first in request_iterator:
            if first.WhichOneof("part") != "header":
                raise errors.InvalidRequest("The first message of ExtractPoses must be a header (VideoHeader), "
                                            "then the video bytes", details={"header": "missing"})
            return first.header
        raise errors.InvalidRequest("ExtractPoses received no messages: send a header, then the video bytes",
                                    details={"header": "missing"})

    async def _receive(self, request_iterator: AsyncIterator[pose_pb2.ExtractPosesChunk], path: Path) -> None:
        with video.UploadSink(path, self.settings.max_request_size) as sink:
            async for chunk in request_iterator:
                if chunk.WhichOneof("part") != "data":
                    raise errors.InvalidRequest("Only the first message of ExtractPoses may be a header",
                                                details={"header": "sent more than once"})
                sink.write(chunk.data)

    async def close(self) -> None:
        if type(self).pool.is_set(self):
            await asyncio.to_thread(self.pool.close)

    async def GetInfo(self, request: pose_pb2.GetInfoRequest, context: grpc.aio.ServicerContext) -> pose_pb2.PoseInfo:
        return pose_pb2.PoseInfo(model=landmarker.MODEL_NAME, model_loaded=self.model_loaded, delegate=self.delegate,
                                 gpu_available=self.gpu_available, live_streams=self.live.active,
                                 max_live_streams=self.settings.max_live_streams)

    def StreamPoses(self, request_iterator: AsyncIterator[pose_pb2.LiveFrame],
                    context: grpc.aio.ServicerContext) -> AsyncIterator[pose_pb2.LivePose]:
        return self.live.serve(request_iterator)
