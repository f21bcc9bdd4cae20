"""/coaches: transcoded to kataforge.coach.v1.CoachService."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from google.protobuf import field_mask_pb2, struct_pb2

from kataforge.coach.v1 import coach_pb2
from services.kit import errors
from services.kit.context import Principal
from services.edge.schemas import CoachBody, CoachPatch, Offset
from services.edge.security import require_principal
from services.edge.shaping import coach_json, to_json

router = APIRouter(tags=["coaches"])


def _coach_message(fields: dict) -> coach_pb2.Coach:
    philosophy = fields.pop("teaching_philosophy", None)
    coach = coach_pb2.Coach(**{k: v for k, v in fields.items() if v is not None})
    if philosophy is not None:
        struct = struct_pb2.Struct()
        struct.update(philosophy)
        coach.teaching_philosophy.CopyFrom(struct)
    return coach


@router.get("/coaches")
async def list_coaches(request: Request, limit: int = Query(100, ge=1, le=500), offset: Offset = 0,
                       principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    reply = await b.call(b.coach.ListCoaches, coach_pb2.ListCoachesRequest(limit=limit, offset=offset),
                         principal=principal)
    return {"coaches": [coach_json(c) for c in reply.coaches], "total": reply.total}


@router.get("/coaches/{coach_id}")
async def get_coach(coach_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    return coach_json(await b.call(b.coach.GetCoach, coach_pb2.GetCoachRequest(coach_id=coach_id), principal=principal))


@router.post("/coaches", status_code=201)
async def create_coach(body: CoachBody, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    message = coach_pb2.CreateCoachRequest(coach=_coach_message(body.model_dump()))
    return coach_json(await b.call(b.coach.CreateCoach, message, principal=principal))


@router.put("/coaches/{coach_id}")
async def update_coach(coach_id: str, body: CoachPatch, request: Request,
                       principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    if body.id is not None and body.id != coach_id:
        raise errors.InvalidRequest(f"id cannot be changed: this is coach {coach_id}",
                                    details={"id": "This field cannot be changed"})
    present = sorted(body.model_fields_set - {"id"})
    if not present:
        raise errors.InvalidRequest("Nothing to update: send at least one coach field",
                                    details={"body": "no coach fields given"})
    message = coach_pb2.UpdateCoachRequest(
        coach_id=coach_id, coach=_coach_message(body.model_dump(include=set(present))),
        update_mask=field_mask_pb2.FieldMask(paths=present))
    return coach_json(await b.call(b.coach.UpdateCoach, message, principal=principal))


@router.delete("/coaches/{coach_id}")
async def delete_coach(coach_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    return to_json(await b.call(b.coach.DeleteCoach, coach_pb2.DeleteCoachRequest(coach_id=coach_id),
                                principal=principal))
