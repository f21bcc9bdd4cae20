"""LiveAnalyze: the client's frames relayed to the pose service's StreamPoses, its landmarks relayed back
as they come, and a feedback per repetition from services/scoring/live.py. The glue between the two
streams (protobuf and grpc here; the repetition logic stays in live.py).

Landmarks are never held back by feedback: the search for an ended repetition runs in a worker thread,
one at a time per stream, while poses keep flowing; a search that is still running when the next is due
is simply not started twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

import grpc
import numpy as np

from kataforge.pose.v1 import pose_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.kit.grpc_errors import from_rpc_error
from services.kit.techniques import normalise_technique

from .analysis import MAX_BODY_MASS_KG, MIN_BODY_MASS_KG, Analyzer
from .live import Feedback, LiveRepetitions

log = logging.getLogger(__name__)
_END = object()


def feedback_message(f: Feedback) -> scoring_pb2.LiveFeedback:
    return scoring_pb2.LiveFeedback(
        repetition=f.repetition, technique=f.technique, effector=f.effector, start_ms=f.start_ms, end_ms=f.end_ms,
        peak_speed_m_s=f.peak_speed_m_s, speed_verdict=f.speed_verdict, speed_reasons=f.speed_reasons,
        overall_score=f.overall_score, top_correction=f.top_correction, computed_in_ms=f.computed_in_ms)


def _landmarks(pose: pose_pb2.LivePose) -> np.ndarray | None:
    if not pose.detected or len(pose.landmarks) != 33:
        return None
    return np.array([(lm.x, lm.y, lm.z, lm.wx, lm.wy, lm.wz, lm.visibility, lm.presence) for lm in pose.landmarks])


async def relay(analyzer: Analyzer, requests: AsyncIterator[scoring_pb2.LiveRequest], principal
                ) -> AsyncIterator[scoring_pb2.LiveEvent]:
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    first = await anext(aiter(requests), None)
    if first is None or first.WhichOneof("part") != "start":
        raise errors.InvalidRequest("The first message of a live stream must be its start (LiveStart)",
                                    details={"start": "missing"})
    start = first.start
    mass = start.body_mass_kg or analyzer.default_body_mass_kg
    if not MIN_BODY_MASS_KG <= mass <= MAX_BODY_MASS_KG:
        raise errors.InvalidRequest(f"body_mass_kg must be between {MIN_BODY_MASS_KG:g} and {MAX_BODY_MASS_KG:g} kg",
                                    details={"body_mass_kg": str(start.body_mass_kg)})
    if start.coach:
        await analyzer.coaches.profile(start.coach)  # an unknown coach: NotFound before any frame is taken
    live = LiveRepetitions(technique=normalise_technique(start.technique), body_mass_kg=mass,
                           lifter=getattr(analyzer.pose, "lifter", None))

    async def frames() -> AsyncIterator[pose_pb2.LiveFrame]:
        smoothing = start.smoothing
        async for message in requests:
            if message.WhichOneof("part") != "frame":
                raise errors.InvalidRequest("Only frames may follow the start of a live stream")
            frame = message.frame
            if smoothing:
                frame.options.smoothing, smoothing = smoothing, ""  # read from the first frame only
            yield frame

    out: asyncio.Queue = asyncio.Queue()
    searching: list[asyncio.Task] = []

    async def search() -> None:
        try:
            found = await asyncio.to_thread(live.check)
        except Exception:  # noqa: BLE001 - a failed search costs one feedback, never the stream's landmarks
            log.exception("live repetition search failed")
            return
        for feedback in found:
            out.put_nowait(scoring_pb2.LiveEvent(feedback=feedback_message(feedback)))

    async def poses() -> None:
        try:
            async for pose in analyzer.pose.stub.StreamPoses(frames()):
                out.put_nowait(scoring_pb2.LiveEvent(pose=pose))
                live.add(pose.timestamp_ms, _landmarks(pose), pose.width, pose.height)
                if live.due() and not (searching and not searching[-1].done()):
                    searching.append(asyncio.create_task(search()))
            if searching:
                await searching[-1]
            if live.unsearched():  # the frames that came while the last search ran: the last strike's feedback
                await search()
            out.put_nowait(_END)
        except grpc.aio.AioRpcError as exc:
            out.put_nowait(from_rpc_error(exc))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it in this call
            out.put_nowait(exc)

    pumping = asyncio.create_task(poses())
    try:
        while (item := await out.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        pumping.cancel()
        for task in searching:
            task.cancel()
