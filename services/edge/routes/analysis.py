"""POST /analyze (JSON with video_url, or a multipart upload), POST /batch_analyze and GET /analyses/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.kit.context import Principal
from services.kit.video_source import parse_video_url
from services.edge.backends import ANALYSIS_TIMEOUT_SECONDS
from services.edge.idempotency import fingerprint
from services.edge.routes.batch import video_messages
from services.edge.metrics import ANALYSES, ANALYSIS_TIME, MODEL_INFERENCE
from services.edge.schemas import AnalyzeBody, AnalyzeForm, BatchAnalyzeBody
from services.edge.security import require_principal
from services.edge.shaping import analysis_json, batch_json, to_json
from services.edge.uploads import file_chunks, source_upload, upload_stream, validated

router = APIRouter(tags=["analysis"])

_ANALYZE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AnalyzeBody.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file", "coach"],
                "properties": {"file": {"type": "string", "format": "binary"}, "coach": {"type": "string"},
                               "technique": {"type": "string"}, "verbose": {"type": "boolean"},
                               "body_mass_kg": {"type": "number"}}}},
        },
    }
}


def record_metrics(reply: scoring_pb2.Analysis) -> None:
    ANALYSES.labels(reply.coach).inc()
    ANALYSIS_TIME.observe(reply.processing_time)
    for timing in reply.model_timings:
        MODEL_INFERENCE.labels(timing.model).observe(timing.seconds)


@router.post("/analyze", openapi_extra=_ANALYZE_BODY)
async def analyze(request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    max_bytes = request.app.state.settings.max_request_size
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    key = request.headers.get("idempotency-key", "")
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file") or form.get("video")
        fields = {k: v for k, v in form.items() if k not in ("file", "video")}
        body = validated(AnalyzeForm, fields)
        if upload is None or isinstance(upload, str):
            raise errors.InvalidRequest("Attach the video as a file field named 'file'",
                                        details={"file": "This field is required"})
        header = scoring_pb2.AnalyzeRequest(video_label=upload.filename or "upload", **body.grpc_fields(),
                                            **await fingerprint(request, key, form, upload))
        stream = upload_stream(scoring_pb2.AnalyzeUploadChunk, header, file_chunks(upload))
        reply = await b.call(b.scoring.AnalyzeUpload, stream, principal=principal, timeout=ANALYSIS_TIMEOUT_SECONDS)
    elif content_type in ("application/json", ""):
        body = validated(AnalyzeBody, await request.body())
        source = parse_video_url(body.video_url, max_bytes)
        claim = await fingerprint(request, key)
        if source.url:
            reply = await b.call(b.scoring.Analyze, scoring_pb2.AnalyzeRequest(video_url=source.url,
                                                                                **body.grpc_fields(), **claim),
                                 principal=principal, timeout=ANALYSIS_TIMEOUT_SECONDS)
        else:
            stream = source_upload(scoring_pb2.AnalyzeUploadChunk,
                                   scoring_pb2.AnalyzeRequest(**body.grpc_fields(), **claim), source)
            reply = await b.call(b.scoring.AnalyzeUpload, stream, principal=principal,
                                 timeout=ANALYSIS_TIMEOUT_SECONDS)
    else:
        raise errors.InvalidRequest("Send application/json with video_url, or multipart/form-data with a file",
                                    details={"content-type": f"unsupported: {content_type}"})
    record_metrics(reply)
    return analysis_json(reply)


@router.post("/batch_analyze")
async def batch_analyze(body: BatchAnalyzeBody, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    videos = video_messages(body.videos)
    call = scoring_pb2.BatchAnalyzeRequest(videos=videos, parallel=body.parallel, max_workers=body.max_workers or 0,
                                           device=body.device, body_mass_kg=body.body_mass_kg or 0.0)
    # A sequential batch takes up to one analysis' deadline per video.
    reply = await b.call(b.scoring.BatchAnalyze, call, principal=principal,
                         timeout=ANALYSIS_TIMEOUT_SECONDS * max(1, len(videos)))
    return batch_json(reply)


@router.get("/analyses")
async def list_analyses(request: Request, coach: str = Query("", max_length=64),
                        technique: str = Query("", max_length=64),
                        since: str = Query("", alias="from", max_length=40, description="RFC 3339, inclusive"),
                        until: str = Query("", alias="to", max_length=40, description="RFC 3339, exclusive"),
                        limit: int = Query(20, ge=1, le=100), cursor: str = Query("", max_length=200),
                        principal: Principal = Depends(require_principal)):
    """The caller's analyses, newest first (a coach's owner: every analysis against it; an admin: all)."""
    b = request.app.state.backends
    call = scoring_pb2.ListAnalysesRequest(coach=coach, technique=technique, to=until, limit=limit, cursor=cursor,
                                           **{"from": since})
    reply = await b.call(b.scoring.ListAnalyses, call, principal=principal)
    data = to_json(reply)
    data["next_cursor"] = data.get("next_cursor") or None
    return data


@router.get("/analyses/progress")  # before /analyses/{analysis_id}, which would take "progress" as an id
async def analyses_progress(request: Request, technique: str = Query(..., min_length=1, max_length=64),
                            coach: str = Query("", max_length=64), principal: Principal = Depends(require_principal)):
    """The caller's overall score and key measurements of one technique over time, oldest first."""
    b = request.app.state.backends
    reply = await b.call(b.scoring.GetProgress, scoring_pb2.GetProgressRequest(technique=technique, coach=coach),
                         principal=principal)
    data = to_json(reply)
    data.setdefault("overall_change", None)
    return data


@router.get("/analyses/{analysis_id}")
async def get_analysis(analysis_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.scoring.GetAnalysis, scoring_pb2.GetAnalysisRequest(analysis_id=analysis_id),
                         principal=principal)
    return analysis_json(reply)
