"""WS /ws/analyze: an analysis followed as it runs (the spec's "Real-time analysis WebSocket").

The client sends {"action": "start_analysis", "video_url", "coach", "technique"?, ...} (POST /analyze's
JSON fields; video_url a URL or base64). The server answers, in order: {"type": "status"} messages whose
progress is the scoring service's own (the pose service's frames analysed out of the video's, then the
scoring stages: AnalyzeWithProgress, streamed, not estimated), then {"type": "biomechanics"},
{"type": "score"}, one {"type": "correction"} per correction and {"type": "complete"}. A failure is
{"type": "error", "error": <the REST envelope's error>}; the socket stays open for the next analysis
(one at a time). {"action": "cancel_analysis"} stops the running one. Limits: services/edge/ws_limits.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.exceptions import RequestValidationError

from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.kit.video_source import parse_video_url
from services.edge import ws_handshake
from services.edge.backends import ANALYSIS_TIMEOUT_SECONDS
from services.edge.errors import validation_error
from services.edge.routes.analysis import record_metrics
from services.edge.schemas import StartAnalysisMessage
from services.edge.shaping import analysis_json
from services.edge.uploads import problems, source_upload
from services.edge.ws_limits import Closed, Session

router = APIRouter(tags=["analysis"])
ACTIONS = ("start_analysis", "cancel_analysis")


@router.websocket("/ws/analyze")
async def analyze_stream(websocket: WebSocket) -> None:
    principal = await ws_handshake.accept(websocket)
    if principal is None:
        return
    running: asyncio.Task | None = None
    try:
        async with websocket.app.state.ws_limits.session(websocket, principal) as session:
            while True:
                raw = await session.receive()
                try:
                    message = _parse(raw)
                    if message.get("action") == "cancel_analysis":
                        if running is not None and not running.done():
                            running.cancel()
                        continue
                    if running is not None and not running.done():
                        raise errors.Conflict("An analysis is already running on this connection; wait for its "
                                              "'complete' message, send cancel_analysis, or open another connection")
                    start = _start(message)
                except errors.DomainError as exc:
                    await session.send(ws_handshake.error_message(exc))
                    continue
                running = asyncio.create_task(_analyse(websocket, session, start, principal))
    except Closed:
        pass
    finally:
        if running is not None:
            running.cancel()


def _parse(raw: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.InvalidRequest("Messages must be JSON objects, e.g. {\"action\": \"start_analysis\", ...}",
                                    details={"message": "not JSON"}) from None
    if not isinstance(message, dict):
        raise errors.InvalidRequest("Messages must be JSON objects", details={"message": "not an object"})
    if message.get("action") not in ACTIONS:
        raise errors.InvalidRequest(f"Unknown action {str(message.get('action'))[:40]!r}; expected one of "
                                    f"{', '.join(ACTIONS)}", details={"action": f"one of {', '.join(ACTIONS)}"})
    return message


def _start(message: dict[str, Any]) -> StartAnalysisMessage:
    body, found = problems(StartAnalysisMessage, message)
    if found:
        raise validation_error(RequestValidationError(found))
    return body


async def _analyse(websocket: WebSocket, session: Session, start: StartAnalysisMessage, principal) -> None:
    b = websocket.app.state.backends
    session.busy = True
    try:
        source = parse_video_url(start.video_url, websocket.app.state.settings.max_request_size)
        fields = start.grpc_fields()
        requests = source_upload(scoring_pb2.AnalyzeUploadChunk, scoring_pb2.AnalyzeRequest(**fields), source)
        async for event in b.stream(b.scoring.AnalyzeWithProgress, requests, principal=principal,
                                    timeout=ANALYSIS_TIMEOUT_SECONDS):
            if event.HasField("status"):
                await session.send({"type": "status", "status": "processing",
                                    "progress": round(event.status.progress, 4), "message": event.status.message})
            else:
                record_metrics(event.analysis)
                for message in result_messages(analysis_json(event.analysis)):
                    await session.send(message)
    except errors.DomainError as exc:
        await _tell(session, ws_handshake.error_message(exc))
    except asyncio.CancelledError:
        await _tell(session, {"type": "status", "status": "cancelled", "message": "The analysis was cancelled"})
    finally:
        session.busy = False


async def _tell(session: Session, message: dict) -> None:
    try:
        await session.send(message)
    except Closed:
        pass


def result_messages(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """The spec's messages after the progress: biomechanics, score, one per correction, complete."""
    metrics = analysis["metrics"]
    messages = [{"type": "biomechanics", "data": metrics["biomechanics"]},
                {"type": "score", "data": {"overall": metrics["overall_score"], "aspects": metrics["aspect_scores"]}}]
    messages += [{"type": "correction", "data": {"text": text}} for text in analysis["corrections"]]
    messages.append({"type": "complete", "data": {
        "analysis_id": analysis["id"], "score": metrics["overall_score"], "technique": analysis["technique"],
        "processing_time": analysis["processing_time"], **({"recognition": analysis["recognition"]}
                                                             if analysis.get("recognition") else {})}})
    return messages
