"""gRPC CoachService: translates protobuf <-> plain dicts and calls the registry."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.kit.structs import whole_numbers
from services.coach.registry import CoachRegistry
from services.coach.validation import SERVICE_SET_FIELDS
from services.kit.context import principal_var



def coach_to_dict(message: coach_pb2.Coach) -> dict[str, Any]:
    """The client-settable fields of a Coach message; unset optional fields become None."""
    return {
        "id": message.id,
        "name": message.name,
        "style": message.style,
        "rank": message.rank if message.HasField("rank") else None,
        "years_experience": message.years_experience if message.HasField("years_experience") else None,
        "teachers": list(message.teachers),
        "techniques": list(message.techniques),
        "teaching_philosophy": (whole_numbers(json_format.MessageToDict(message.teaching_philosophy))
                                if message.HasField("teaching_philosophy") else None),
    }


def coach_to_proto(coach: dict[str, Any]) -> coach_pb2.Coach:
    message = coach_pb2.Coach(id=coach["id"], name=coach["name"], style=coach["style"],
                              teachers=coach["teachers"], techniques=coach["techniques"],
                              owner_id=coach["owner_id"])
    if coach["rank"] is not None:
        message.rank = coach["rank"]
    if coach["years_experience"] is not None:
        message.years_experience = coach["years_experience"]
    if coach["teaching_philosophy"] is not None:
        message.teaching_philosophy.CopyFrom(_struct(coach["teaching_philosophy"]))
    message.created_at.FromDatetime(coach["created_at"])
    message.updated_at.FromDatetime(coach["updated_at"])
    return message


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def implicit_paths(coach_id: str, message: coach_pb2.Coach) -> list[str]:
    """The update mask an empty one stands for: every field of `message` holding a non-default value.

    Fields with presence (rank, years_experience, teaching_philosophy) count when set, even to 0/"".
    An id equal to the path's coach_id and the service-set fields are ignored (clients echo them back
    from a GET); a different id is kept so that the registry rejects it."""
    paths = []
    for field, value in message.ListFields():
        name = field.name
        if name in SERVICE_SET_FIELDS or (name == "id" and value == coach_id):
            continue
        paths.append(name)
    return paths


class CoachServicer(coach_pb2_grpc.CoachServiceServicer):
    def __init__(self, registry: CoachRegistry) -> None:
        self.registry = registry

    async def ListCoaches(self, request: coach_pb2.ListCoachesRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.ListCoachesResponse:
        coaches, total = await self.registry.list_coaches(principal_var.get(), request.limit, request.offset)
        return coach_pb2.ListCoachesResponse(coaches=[coach_to_proto(c) for c in coaches], total=total)

    async def GetCoach(self, request: coach_pb2.GetCoachRequest,
                       context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        return coach_to_proto(await self.registry.get_coach(principal_var.get(), request.coach_id))

    async def CreateCoach(self, request: coach_pb2.CreateCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        created = await self.registry.create_coach(principal_var.get(), coach_to_dict(request.coach))
        return coach_to_proto(created)

    async def UpdateCoach(self, request: coach_pb2.UpdateCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        paths = list(request.update_mask.paths) or implicit_paths(request.coach_id, request.coach)
        updated = await self.registry.update_coach(principal_var.get(), request.coach_id, paths,
                                                   coach_to_dict(request.coach))
        return coach_to_proto(updated)

    async def DeleteCoach(self, request: coach_pb2.DeleteCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.DeleteCoachResponse:
        message = await self.registry.delete_coach(principal_var.get(), request.coach_id)
        return coach_pb2.DeleteCoachResponse(success=True, message=message)
