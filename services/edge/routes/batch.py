"""Durable batch jobs (spec/001's batch processing): POST /batch/submit, GET /batch/status/{id},
GET /batch/results/{id}, DELETE /batch/cancel/{id}, GET /batch/list. The queue and its workers are the
scoring service's (services/scoring/batch_jobs.py); these routes transcode."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from kataforge.scoring.v1 import scoring_pb2
from services.kit.context import Principal
from services.edge.idempotency import fingerprint
from services.edge.schemas import BatchSubmitBody, BatchVideoBody
from services.edge.security import require_principal
from services.edge.shaping import batch_job_json, batch_json, to_json

router = APIRouter(tags=["batch"])


def video_messages(videos: list[BatchVideoBody]) -> list[scoring_pb2.BatchVideo]:
    """The videos of a batch (immediate or durable) as the scoring service takes them."""
    out = []
    for video in videos:
        message = scoring_pb2.BatchVideo(url=video.url, coach=video.coach, technique=video.technique or "")
        if video.metadata:
            message.metadata.update(video.metadata)
        out.append(message)
    return out


@router.post("/batch/submit", status_code=202)
async def submit_batch(body: BatchSubmitBody, request: Request, principal: Principal = Depends(require_principal)):
    """Queue the videos; 202 with the batch's id and status at once (the analyses run in the background)."""
    b = request.app.state.backends
    call = scoring_pb2.SubmitBatchRequest(videos=video_messages(body.videos), device=body.device, body_mass_kg=body.body_mass_kg or 0.0,
                                          **await fingerprint(request, request.headers.get("idempotency-key", "")))
    return batch_job_json(await b.call(b.scoring.SubmitBatch, call, principal=principal))


@router.get("/batch/status/{batch_id}")
async def batch_status(batch_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.scoring.GetBatchStatus, scoring_pb2.GetBatchRequest(batch_id=batch_id),
                         principal=principal)
    return batch_job_json(reply)


@router.get("/batch/results/{batch_id}")
async def batch_results(batch_id: str, request: Request, principal: Principal = Depends(require_principal)):
    """The rows as POST /batch_analyze answers them; rows not yet done carry their status only."""
    b = request.app.state.backends
    reply = await b.call(b.scoring.GetBatchResults, scoring_pb2.GetBatchRequest(batch_id=batch_id),
                         principal=principal)
    return batch_json(reply)


@router.delete("/batch/cancel/{batch_id}")
async def cancel_batch(batch_id: str, request: Request, principal: Principal = Depends(require_principal)):
    """Videos not yet started are cancelled; one being analysed finishes and is kept."""
    b = request.app.state.backends
    reply = await b.call(b.scoring.CancelBatch, scoring_pb2.GetBatchRequest(batch_id=batch_id), principal=principal)
    return batch_job_json(reply)


@router.get("/batch/list")
async def list_batches(request: Request, limit: int = Query(20, ge=1, le=100), cursor: str = Query("", max_length=200),
                       principal: Principal = Depends(require_principal)):
    """The caller's batch jobs, newest first, each with its progress (its videos: GET /batch/status/{id})."""
    b = request.app.state.backends
    reply = await b.call(b.scoring.ListBatches, scoring_pb2.ListBatchesRequest(limit=limit, cursor=cursor),
                         principal=principal)
    data = to_json(reply)
    data["batches"] = [{k: v for k, v in job.items() if k != "videos"} for job in data["batches"]]
    data["next_cursor"] = data.get("next_cursor") or None
    return data
