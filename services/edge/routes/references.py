"""/coaches/{coach_id}/references: a coach's reference performances, transcoded to CoachService."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kataforge.coach.v1 import coach_pb2
from kataforge.common.v1 import common_pb2
from services.kit import errors
from services.kit.context import Principal
from services.kit.video_source import parse_video_url
from services.edge.backends import ANALYSIS_TIMEOUT_SECONDS
from services.edge.schemas import Offset, PoseSequenceBody, ReferenceBody, ReferenceForm
from services.edge.security import require_principal
from services.edge.shaping import reference_json, to_json
from services.edge.uploads import file_chunks, problems, source_upload, upload_stream, validated

router = APIRouter(tags=["references"])

# A sequence built wrongly is wrong in every frame: the first problems say what to fix.
MAX_REPORTED_ERRORS = 20

_ADD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReferenceBody.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file", "technique"],
                "properties": {"file": {"type": "string", "format": "binary"}, "technique": {"type": "string"},
                               "name": {"type": "string"}, "body_mass_kg": {"type": "number"}}}},
        },
    }
}


def _validated_json(data: bytes) -> ReferenceBody:
    return validated(ReferenceBody, data, max_errors=MAX_REPORTED_ERRORS)


def pose_sequence_message(body: PoseSequenceBody,
                          seq: common_pb2.PoseSequence | None = None) -> common_pb2.PoseSequence:
    """The compact JSON form -> PoseSequence (filled into `seq` when given); the coach service checks ranges."""
    seq = common_pb2.PoseSequence() if seq is None else seq
    seq.fps = body.fps
    for frame in body.frames:
        pf = seq.frames.add(timestamp_ms=frame.timestamp_ms, detected=bool(frame.landmarks))
        for wx, wy, wz, visibility in frame.landmarks:
            pf.landmarks.add(wx=wx, wy=wy, wz=wz, visibility=visibility)
    return seq


def _request(coach_id: str, body: ReferenceForm) -> coach_pb2.AddReferenceRequest:
    message = coach_pb2.AddReferenceRequest(coach_id=coach_id, technique=body.technique)
    if body.name is not None:
        message.name = body.name
    if body.body_mass_kg is not None:
        message.body_mass_kg = body.body_mass_kg
    return message


@router.post("/coaches/{coach_id}/references", status_code=201, openapi_extra=_ADD_BODY)
async def add_reference(coach_id: str, request: Request, principal: Principal = Depends(require_principal)):
    """Add a reference performance from a video (JSON video_url, or a multipart upload in `file`) or from a
    pose_sequence. A technique the coach does not list yet is added to its techniques."""
    b = request.app.state.backends
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        body, found = problems(ReferenceForm, {k: v for k, v in form.items() if k != "file"},
                               max_errors=MAX_REPORTED_ERRORS)
        if upload is None or isinstance(upload, str):  # reported with the other fields: a misnamed file is both
            found.append({"type": "missing", "loc": ("body", "file"), "msg": "Attach the video as 'file'"})
        if found:
            raise RequestValidationError(found)
        header = _request(coach_id, body)
        header.video_label = upload.filename or "upload"
        stream = upload_stream(coach_pb2.AddReferenceUploadChunk, header, file_chunks(upload))
        return reference_json(await b.call(b.coach.AddReferenceUpload, stream, principal=principal,
                                           timeout=ANALYSIS_TIMEOUT_SECONDS))
    if content_type not in ("application/json", ""):
        raise errors.InvalidRequest("Send application/json with video_url or pose_sequence, or multipart/form-data "
                                    "with a file", details={"content-type": f"unsupported: {content_type}"})
    # A pose sequence can hold a million numbers: parse and convert it off the event loop.
    body = await asyncio.to_thread(_validated_json, await request.body())
    message = _request(coach_id, body)
    if body.video_url is not None and body.pose_sequence is None:
        source = parse_video_url(body.video_url, request.app.state.settings.max_request_size)
        if not source.url:  # base64 data is streamed, so no single gRPC message has to hold the video
            stream = source_upload(coach_pb2.AddReferenceUploadChunk, message, source)
            return reference_json(await b.call(b.coach.AddReferenceUpload, stream, principal=principal,
                                               timeout=ANALYSIS_TIMEOUT_SECONDS))
        message.video_url = source.url
    else:
        # A pose sequence; or both or neither source, which the coach service refuses after its coach and
        # owner checks (so the answer does not depend on the gateway).
        if body.pose_sequence is not None:
            # Filled in place: copying a finished sequence into the request would be loop work of its own.
            await asyncio.to_thread(pose_sequence_message, body.pose_sequence, message.pose_sequence)
        message.video_url = body.video_url or ""
    timeout = ANALYSIS_TIMEOUT_SECONDS if message.video_url else None
    return reference_json(await b.call(b.coach.AddReference, message, principal=principal, timeout=timeout))


@router.get("/coaches/{coach_id}/references")
async def list_references(coach_id: str, request: Request, technique: str = Query("", max_length=100),
                          limit: int = Query(100, ge=1, le=500), offset: Offset = 0,
                          principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.coach.ListReferences, coach_pb2.ListReferencesRequest(
        coach_id=coach_id, technique=technique, limit=limit, offset=offset), principal=principal)
    return {"references": [reference_json(r) for r in reply.references], "total": reply.total}


@router.get("/coaches/{coach_id}/references/{reference_id}")
async def get_reference(coach_id: str, reference_id: str, request: Request, include_poses: bool = Query(False),
                        principal: Principal = Depends(require_principal)):
    """One reference; with include_poses=true also its pose_sequence, in the form it is added in."""
    b = request.app.state.backends
    reply = await b.call(b.coach.GetReference, coach_pb2.GetReferenceRequest(
        coach_id=coach_id, reference_id=reference_id, include_poses=include_poses), principal=principal)
    if not include_poses:
        return reference_json(reply)
    # Shaped off the event loop and sent as is: FastAPI's generic encoder would walk every number again.
    return JSONResponse(await asyncio.to_thread(reference_json, reply))


@router.delete("/coaches/{coach_id}/references/{reference_id}")
async def delete_reference(coach_id: str, reference_id: str, request: Request,
                           principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    return to_json(await b.call(b.coach.DeleteReference, coach_pb2.DeleteReferenceRequest(
        coach_id=coach_id, reference_id=reference_id), principal=principal))
