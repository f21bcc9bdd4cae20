"""WS /ws/live: live feedback from a camera.

In: optionally first a text message {"action": "start_live", "coach"?, "technique"?, "body_mass_kg"?,
"smoothing"?}; then one binary message per camera frame: a JPEG or PNG as is (stamped with the time the
edge received it), or an 8-byte big-endian float64 capture time in ms followed by the image (better:
network jitter then does not enter the speeds). {"action": "stop"} ends the stream after the frames sent.
Out: {"type": "landmarks", ...} for every frame the pose service processed (it drops stale frames when
the camera outruns it: dropped_frames counts them), and {"type": "repetition", "data": {...}} as soon as
a repetition has ended (technique, peak speed with its verdict, the top correction), streamed end to end:
StreamPoses in the pose service, LiveAnalyze in the scoring service. Limits: services/edge/ws_limits.py
(frames per second rather than messages per minute).
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from typing import Any, AsyncIterator

from fastapi import APIRouter, WebSocket
from google.protobuf.json_format import MessageToDict

from kataforge.pose.v1 import pose_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.edge import ws_handshake
from services.edge.ws_limits import Closed, Session

router = APIRouter(tags=["analysis"])
IMAGE_MAGIC = (b"\xff\xd8", b"\x89PNG")
STREAM_TIMEOUT_S = 3600.0
WAITING_FRAMES = 4  # frames queued for the pose service at most; older ones are dropped first


def _start(raw: str) -> scoring_pb2.LiveStart:
    try:
        message = json.loads(raw)
    except ValueError:
        raise errors.InvalidRequest("A text message must be JSON, e.g. {\"action\": \"start_live\"}",
                                    details={"message": "not JSON"}) from None
    if not isinstance(message, dict) or message.get("action") != "start_live":
        raise errors.InvalidRequest("The first text message must be {\"action\": \"start_live\", ...}; frames are "
                                    "binary messages", details={"action": "start_live"})
    fields = {k: message[k] for k in ("coach", "technique", "smoothing") if isinstance(message.get(k), str)}
    mass = message.get("body_mass_kg")
    if mass is not None and (isinstance(mass, bool) or not isinstance(mass, (int, float))):
        raise errors.InvalidRequest("body_mass_kg must be a number", details={"body_mass_kg": "a number, kg"})
    return scoring_pb2.LiveStart(body_mass_kg=float(mass or 0.0), **fields)


def _frame(data: bytes, sequence: int, started: float) -> pose_pb2.LiveFrame:
    if data[:4].startswith(IMAGE_MAGIC):
        return pose_pb2.LiveFrame(sequence=sequence, encoded=data, timestamp_ms=(time.monotonic() - started) * 1000.0)
    if len(data) > 8 and data[8:12].startswith(IMAGE_MAGIC):
        (timestamp_ms,) = struct.unpack(">d", data[:8])
        return pose_pb2.LiveFrame(sequence=sequence, encoded=data[8:], timestamp_ms=timestamp_ms)
    raise errors.InvalidRequest("A frame is a binary message holding a JPEG or PNG, optionally after an 8-byte "
                                "big-endian capture time in ms", details={"frame": "not a JPEG or PNG"})


def _landmarks_message(pose: pose_pb2.LivePose) -> dict[str, Any]:
    return {"type": "landmarks", "sequence": pose.sequence, "timestamp_ms": round(pose.timestamp_ms, 1),
            "detected": pose.detected, "people_seen": pose.people_seen, "dropped_frames": pose.dropped_frames,
            "processing_ms": round(pose.processing_ms, 1), "width": pose.width, "height": pose.height,
            # x, y as fractions of the frame, z relative depth, visibility; BlazePose's 33 in order.
            "landmarks": [[round(lm.x, 4), round(lm.y, 4), round(lm.z, 4), round(lm.visibility, 3)]
                          for lm in pose.landmarks]}


@router.websocket("/ws/live")
async def live_stream(websocket: WebSocket) -> None:
    principal = await ws_handshake.accept(websocket)
    if principal is None:
        return
    b = websocket.app.state.backends
    frames: asyncio.Queue = asyncio.Queue()
    answering: asyncio.Task | None = None
    try:
        async with websocket.app.state.ws_limits.session(websocket, principal, frames=True) as session:
            session.busy = True  # a camera pausing is not idle: the pose service ends a silent stream itself
            first = await session.receive()
            start = scoring_pb2.LiveStart()
            started, sequence = time.monotonic(), 0
            try:
                if isinstance(first, str):
                    start = _start(first)
                else:
                    frames.put_nowait(_frame(first, sequence, started))
                    sequence += 1
            except errors.DomainError as exc:
                await session.send(ws_handshake.error_message(exc))
                await websocket.close(code=ws_handshake.CLOSE_POLICY)
                return

            async def requests() -> AsyncIterator[scoring_pb2.LiveRequest]:
                yield scoring_pb2.LiveRequest(start=start)
                while (frame := await frames.get()) is not None:
                    yield scoring_pb2.LiveRequest(frame=frame)

            answering = asyncio.create_task(_answer(b, requests(), principal, session, websocket))
            while not answering.done():
                receiving = asyncio.ensure_future(session.receive())
                # Retrieved even when abandoned below (the stream ended while a receive was pending).
                receiving.add_done_callback(lambda t: t.cancelled() or t.exception())
                await asyncio.wait({receiving, answering}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    receiving.cancel()
                    break
                data = receiving.result()
                try:
                    if isinstance(data, str):
                        if json.loads(data).get("action") == "stop":
                            frames.put_nowait(None)
                        continue
                    frame = _frame(data, sequence, started)
                except (errors.DomainError, ValueError, AttributeError) as exc:
                    error = exc if isinstance(exc, errors.DomainError) else errors.InvalidRequest(
                        "Text messages are JSON: {\"action\": \"stop\"}", details={"message": "not JSON"})
                    await session.send(ws_handshake.error_message(error))
                    continue
                sequence += 1
                while frames.qsize() >= WAITING_FRAMES:
                    frames.get_nowait()  # the camera outruns the pose service: keep the newest frames
                frames.put_nowait(frame)
            await answering
    except Closed:
        pass
    finally:
        frames.put_nowait(None)
        if answering is not None:
            answering.cancel()


async def _answer(b, requests, principal, session: Session, websocket: WebSocket) -> None:
    try:
        async for event in b.stream(b.scoring.LiveAnalyze, requests, principal=principal, timeout=STREAM_TIMEOUT_S):
            if event.HasField("pose"):
                await session.send(_landmarks_message(event.pose))
            else:
                await session.send({"type": "repetition", "data": MessageToDict(
                    event.feedback, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)})
        await websocket.close(code=ws_handshake.CLOSE_NORMAL)
    except errors.DomainError as exc:
        try:
            await session.send(ws_handshake.error_message(exc))
            await websocket.close(code=1011 if exc.http_status >= 500 else ws_handshake.CLOSE_POLICY)
        except (Closed, RuntimeError):
            pass
    except (Closed, RuntimeError):
        pass
