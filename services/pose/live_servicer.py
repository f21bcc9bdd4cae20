"""StreamPoses: protobuf <-> live sessions, with a per-process limit on concurrent streams.

Each stream has a receiver task that reads frames as fast as the client sends them into a
newest-frame slot, and a processing loop that takes the newest frame, runs it on the stream's own
worker thread and answers. A slow model therefore drops stale frames instead of queueing them.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import AsyncIterator

from kataforge.pose.v1 import pose_pb2
from services.kit import errors
from services.kit.config import Settings
from services.pose import metrics
from services.pose.live import LatestSlot, LiveSession, check_timestamp, to_rgb


def add_landmarks(target, landmarks, spread_px=None) -> None:
    """Append a (33, 8) landmark array to a repeated Landmark field, with each landmark's tracker spread
    (33 px, NaN where unknown) when given."""
    for k, (x, y, z, wx, wy, wz, vis, pres) in enumerate(landmarks.tolist()):
        lm = target.add(x=x, y=y, z=z, wx=wx, wy=wy, wz=wz, visibility=vis, presence=pres)
        if spread_px is not None and math.isfinite(spread_px[k]):
            lm.tracker_spread_px = float(spread_px[k])


class LiveStreams:
    def __init__(self, bundle: Path, settings: Settings) -> None:
        self.bundle, self.settings = bundle, settings
        self.active = 0
        self.delegate = "cpu"  # set by the servicer after its GPU probe

    async def serve(self, requests: AsyncIterator[pose_pb2.LiveFrame]) -> AsyncIterator[pose_pb2.LivePose]:
        if self.active >= self.settings.max_live_streams:
            raise errors.Unavailable(f"This pose server already serves {self.active} live streams, its limit; "
                                     "retry shortly or use another replica",
                                     details={"live_streams": f"limit {self.settings.max_live_streams}"})
        self.active += 1
        try:
            async for pose in self._run(requests):
                yield pose
        finally:
            self.active -= 1

    async def _run(self, requests: AsyncIterator[pose_pb2.LiveFrame]) -> AsyncIterator[pose_pb2.LivePose]:
        first = await anext(requests.__aiter__(), None)
        if first is None:
            return
        loop = asyncio.get_running_loop()
        # One thread per stream: the landmarker keeps tracking state and must not be shared.
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
        try:
            session = await loop.run_in_executor(worker, lambda: LiveSession(
                self.bundle, num_poses=self.settings.live_num_poses, smoothing=first.options.smoothing,
                max_pixels=self.settings.max_video_pixels, delegate=self.delegate))
        except BaseException:
            worker.shutdown(wait=False)
            raise
        slot: LatestSlot[pose_pb2.LiveFrame] = LatestSlot()
        slot.put(first)
        receiver = asyncio.create_task(self._receive(requests, slot))
        try:
            while (taken := await self._next(slot)) is not None:
                frame, received_at = taken
                started = time.perf_counter()
                result, (height, width), model_seconds = await loop.run_in_executor(worker, self._process, session,
                                                                                     frame)
                metrics.record("live", 1, model_seconds, time.perf_counter() - started)
                out = pose_pb2.LivePose(sequence=frame.sequence, timestamp_ms=frame.timestamp_ms,
                                        detected=result.detected, people_seen=result.people_seen,
                                        dropped_frames=slot.dropped, width=width, height=height,
                                        processing_ms=(time.perf_counter() - received_at) * 1000.0)
                if result.landmarks is not None:
                    add_landmarks(out.landmarks, result.landmarks)
                yield out
            if receiver.done() and receiver.exception() is not None:
                raise receiver.exception()
        finally:
            receiver.cancel()
            # Closed on the stream's own thread, after any frame still running there.
            worker.submit(session.close)
            worker.shutdown(wait=False)

    async def _next(self, slot: LatestSlot):
        """The newest frame; a stream silent for live_idle_seconds is ended so it frees its slot."""
        try:
            return await asyncio.wait_for(slot.take(), timeout=self.settings.live_idle_seconds)
        except asyncio.TimeoutError:
            raise errors.TimeoutFailure(f"No live frame arrived for {self.settings.live_idle_seconds:g} s; the stream "
                                        "was closed to free its slot. Reconnect to continue.",
                                        details={"live_idle_seconds": self.settings.live_idle_seconds}) from None

    @staticmethod
    def _process(session: LiveSession, frame: pose_pb2.LiveFrame):
        check_timestamp(frame.timestamp_ms)  # before decoding: a bad frame costs nothing
        kind = frame.WhichOneof("image")
        if kind == "encoded":
            rgb = to_rgb(encoded=frame.encoded, max_pixels=session.max_pixels)
        elif kind == "raw":
            rgb = to_rgb(raw_format=frame.raw.format, width=frame.raw.width, height=frame.raw.height,
                         raw=frame.raw.data, max_pixels=session.max_pixels)
        else:
            raise errors.InvalidRequest("A live frame needs an image: set `encoded` (JPEG/PNG) or `raw`",
                                        details={"image": "missing"})
        started = time.perf_counter()
        result = session.process(rgb, frame.timestamp_ms)
        return result, rgb.shape[:2], time.perf_counter() - started

    @staticmethod
    async def _receive(requests: AsyncIterator[pose_pb2.LiveFrame], slot: LatestSlot) -> None:
        try:
            async for frame in requests:
                slot.put(frame)
        finally:
            slot.close()  # client closed its side (or failed): finish the newest frame, then end
