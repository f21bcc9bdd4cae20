"""/models and /models/train: transcoded to the model registry and training RPCs of kataforge.scoring.v1."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, StrictStr

from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.kit.context import Principal
from services.edge import ws_handshake
from services.edge.ws_limits import Closed, Session, close_with
from services.edge.security import require_principal

router = APIRouter(tags=["models"])

# Starting a job first loads its data (and checkpoint) in a worker process to refuse bad input up front.
START_TIMEOUT_SECONDS = 330.0
INT64_MAX = 2**63 - 1
_DIMS = ("input_dim", "output_dim", "hidden_dim", "layers", "lstm_units", "lstm_layers", "attention_heads",
         "output_aspects", "embedding_dim")


class TrainBody(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())  # "model_type" is the spec's name

    model_type: StrictStr
    coach: StrictStr
    data_dir: StrictStr
    epochs: StrictInt | None = None
    batch_size: StrictInt | None = None
    learning_rate: StrictFloat | StrictInt | None = None
    device: StrictStr = ""
    checkpoint_dir: StrictStr = ""
    resume_from: StrictStr = ""


def _int64(value: int | None) -> int | None:
    # Out-of-range numbers are clamped so that the service answers with its own range message.
    return None if value is None else max(-INT64_MAX, min(INT64_MAX, value))


def _time(message: Any, name: str) -> str | None:
    return getattr(message, name).ToJsonString() if message.HasField(name) else None


def model_json(m: scoring_pb2.ModelInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"name": m.name, "type": m.type, "version": m.version, "description": m.description}
    data.update({k: getattr(m, k) for k in _DIMS if m.HasField(k)})
    data.update(accuracy=m.accuracy if m.HasField("accuracy") else None, created_at=_time(m, "created_at"),
                updated_at=_time(m, "updated_at"), coach=m.coach)
    if m.coach:
        data["training_id"] = m.training_id
    if m.classes:
        data["classes"] = list(m.classes)
    if m.HasField("open_set"):
        o = m.open_set
        # A technique classifier with a background class: its threshold and held-out rates (measured at build time).
        data["open_set"] = {"true_positive_rate": o.true_positive_rate, "false_positive_rate": o.false_positive_rate,
                            "threshold": o.threshold, "threshold_rule": o.threshold_rule,
                            "accepted_rate": o.accepted_rate, "video_like_accuracy": o.video_like_accuracy,
                            "technique_views": o.technique_views, "non_technique_views": o.non_technique_views,
                            "technique_sources": o.technique_sources,
                            "non_technique_sources": o.non_technique_sources,
                            "background_class": o.background_class}
    return data


def training_json(job: scoring_pb2.TrainingJob, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "training_id": job.training_id, "status": job.status, "model_type": job.model_type, "coach": job.coach,
        "epochs": int(job.epochs), "batch_size": int(job.batch_size), "learning_rate": job.learning_rate,
        "device": job.device, "data_dir": job.data_dir, "checkpoint_dir": job.checkpoint_dir}
    if job.resume_from:
        data["resume_from"] = job.resume_from
    if full:
        p = job.progress
        data["progress"] = {"current_epoch": p.current_epoch, "total_epochs": p.total_epochs or int(job.epochs),
                            **{k: getattr(p, k) if job.HasField("progress") else None
                               for k in ("train_loss", "val_loss", "val_accuracy", "best_accuracy")}}
    data["started_at"] = _time(job, "started_at")
    if job.HasField("estimated_completion"):
        data["estimated_completion"] = _time(job, "estimated_completion")
    if full:
        if job.HasField("completed_at"):
            data["completed_at"] = _time(job, "completed_at")
        if job.model_version:
            data["model_version"] = job.model_version
        if job.error:
            data["error"] = job.error
        data["logs"] = [{"timestamp": line.timestamp.ToJsonString(), "message": line.message, "level": line.level}
                        for line in job.logs]
    return data


@router.get("/models")
async def list_models(request: Request, coach: str = Query("", max_length=64),
                     principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.scoring.ListModels, scoring_pb2.ListModelsRequest(coach=coach), principal=principal)
    return {"models": [model_json(m) for m in reply.models], "total": reply.total}


@router.post("/models/train", status_code=202)
async def start_training(body: TrainBody, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    fields = body.model_dump(exclude_none=True)
    for name in ("epochs", "batch_size"):
        if name in fields:
            fields[name] = _int64(fields[name])
    reply = await b.call(b.scoring.StartTraining, scoring_pb2.StartTrainingRequest(**fields), principal=principal,
                         timeout=START_TIMEOUT_SECONDS)
    return training_json(reply, full=False)


@router.get("/models/train/{training_id}")
async def get_training(training_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.scoring.GetTraining, scoring_pb2.GetTrainingRequest(training_id=training_id),
                         principal=principal)
    return training_json(reply)


@router.post("/models/train/{training_id}/cancel")
async def cancel_training(training_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.scoring.CancelTraining, scoring_pb2.CancelTrainingRequest(training_id=training_id),
                         principal=principal)
    return training_json(reply)


# ---- WS /ws/training/{training_id} (the message pattern of spec/004) ------------------------------------------
# The watch lasts as long as the job; the deadline only ends one left open on a job that never ends.
WATCH_SECONDS = 24 * 3600.0


@router.websocket("/ws/training/{training_id}")
async def training_stream(websocket: WebSocket, training_id: str) -> None:
    """{"type": "status"} with the job first and at every change of status, {"type": "progress"} at every
    epoch as it is recorded (WatchTraining: pushed by the scoring service, none skipped), the final status,
    then the socket closes (1000); an unknown or another user's job: an error message and close 4404."""
    principal = await ws_handshake.accept(websocket)
    if principal is None:
        return
    try:
        async with websocket.app.state.ws_limits.session(websocket, principal) as session:
            session.busy = True  # only the server talks here: a silent client is not idle
            relay = asyncio.create_task(_relay_training(session, training_id, principal))
            gone = asyncio.create_task(_until_closed(session))  # a client that leaves ends the watch at once
            await asyncio.wait({relay, gone}, return_when=asyncio.FIRST_COMPLETED)
            for task in (relay, gone):
                task.cancel()
            await asyncio.gather(relay, gone, return_exceptions=True)
    except Closed:
        return


async def _until_closed(session: Session) -> None:
    with contextlib.suppress(Closed):
        while True:
            await session.receive()  # anything a client sends here is read and ignored (within the caps)


async def _relay_training(session: Session, training_id: str, principal: Principal) -> None:
    websocket = session.websocket
    b = websocket.app.state.backends
    try:
        async for event in b.stream(b.scoring.WatchTraining, scoring_pb2.GetTrainingRequest(training_id=training_id),
                                    principal=principal, timeout=WATCH_SECONDS):
            if event.HasField("epoch"):
                p = event.epoch
                await session.send({"type": "progress", "data": {
                    "training_id": training_id, "progress": round(100.0 * p.current_epoch / max(p.total_epochs, 1), 1),
                    "current_epoch": p.current_epoch, "total_epochs": p.total_epochs,
                    "metrics": {"train_loss": p.train_loss, "val_loss": p.val_loss, "val_accuracy": p.val_accuracy}}})
            else:
                await session.send({"type": "status", "data": training_json(event.job)})
    except errors.DomainError as exc:
        await close_with(websocket, exc, ws_handshake.CLOSE_NOT_FOUND if isinstance(exc, errors.NotFound) else 1011)
        return
    except Closed:
        return
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=ws_handshake.CLOSE_NORMAL)
