"""gRPC CoachService: translates protobuf <-> plain dicts and calls the registry and the reference library."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import grpc
from google.protobuf import json_format, struct_pb2

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.common.v1 import common_pb2
from services.kit.structs import whole_numbers
from services.coach.references import NewReference, ReferenceLibrary
from services.coach.registry import CoachRegistry
from services.coach.validation import SERVICE_SET_FIELDS
from services.kit.context import Principal, principal_var
from services.kit.errors import InvalidRequest


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


def coach_to_proto(coach: dict[str, Any], caller: Principal | None) -> coach_pb2.Coach:
    """The entry as `caller` may see it: the owner's id only for that owner and administrators."""
    message = coach_pb2.Coach(id=coach["id"], name=coach["name"], style=coach["style"],
                              teachers=coach["teachers"], techniques=coach["techniques"])
    if caller is not None and (caller.is_admin or caller.user_id == coach["owner_id"]):
        message.owner_id = coach["owner_id"]
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


def reference_to_proto(row: dict[str, Any], poses: common_pb2.PoseSequence | None = None) -> coach_pb2.Reference:
    message = coach_pb2.Reference(
        id=row["id"], coach_id=row["coach_id"], technique=row["technique"], source=row["source"], fps=row["fps"],
        frame_count=row["frame_count"], detected_frames=row["detected_frames"], duration_ms=row["duration_ms"],
        created_by=row["created_by"])
    if row["name"] is not None:
        message.name = row["name"]
    if row["body_mass_kg"] is not None:
        message.body_mass_kg = row["body_mass_kg"]
    message.created_at.FromDatetime(row["created_at"])
    if poses is not None:
        message.pose_sequence.CopyFrom(poses)
    return message


def new_reference(request: coach_pb2.AddReferenceRequest, **upload: Any) -> NewReference:
    return NewReference(
        coach_id=request.coach_id, technique=request.technique,
        name=request.name if request.HasField("name") else None,
        body_mass_kg=request.body_mass_kg if request.HasField("body_mass_kg") else None,
        video_url=request.video_url, video_label=request.video_label,
        pose_sequence=request.pose_sequence if request.HasField("pose_sequence") else None, **upload)


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
    def __init__(self, registry: CoachRegistry, references: ReferenceLibrary) -> None:
        self.registry = registry
        self.references = references

    async def ListCoaches(self, request: coach_pb2.ListCoachesRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.ListCoachesResponse:
        coaches, total = await self.registry.list_coaches(principal_var.get(), request.limit, request.offset)
        return coach_pb2.ListCoachesResponse(coaches=[coach_to_proto(c, principal_var.get()) for c in coaches], total=total)

    async def GetCoach(self, request: coach_pb2.GetCoachRequest,
                       context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        return coach_to_proto(await self.registry.get_coach(principal_var.get(), request.coach_id), principal_var.get())

    async def CreateCoach(self, request: coach_pb2.CreateCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        created = await self.registry.create_coach(principal_var.get(), coach_to_dict(request.coach))
        return coach_to_proto(created, principal_var.get())

    async def UpdateCoach(self, request: coach_pb2.UpdateCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.Coach:
        paths = list(request.update_mask.paths) or implicit_paths(request.coach_id, request.coach)
        updated = await self.registry.update_coach(principal_var.get(), request.coach_id, paths,
                                                   coach_to_dict(request.coach))
        return coach_to_proto(updated, principal_var.get())

    async def DeleteCoach(self, request: coach_pb2.DeleteCoachRequest,
                          context: grpc.aio.ServicerContext) -> coach_pb2.DeleteCoachResponse:
        message = await self.registry.delete_coach(principal_var.get(), request.coach_id)
        return coach_pb2.DeleteCoachResponse(success=True, message=message)

    async def AddReference(self, request: coach_pb2.AddReferenceRequest,
                           context: grpc.aio.ServicerContext) -> coach_pb2.Reference:
        return reference_to_proto(await self.references.add(principal_var.get(), new_reference(request)))

    async def AddReferenceUpload(self, request_iterator: AsyncIterator[coach_pb2.AddReferenceUploadChunk],
                                 context: grpc.aio.ServicerContext) -> coach_pb2.Reference:
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("part") != "request":
            raise InvalidRequest("The first message of an upload must carry the reference request, then the video "
                                 "bytes", details={"request": "missing"})

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.WhichOneof("part") != "data":
                    raise InvalidRequest("Only data chunks may follow the reference request",
                                         details={"request": "sent more than once"})
                yield message.data

        new = new_reference(first.request, chunks=chunks())
        return reference_to_proto(await self.references.add(principal_var.get(), new))

    async def ListReferences(self, request: coach_pb2.ListReferencesRequest,
                             context: grpc.aio.ServicerContext) -> coach_pb2.ListReferencesResponse:
        rows, total = await self.references.list(principal_var.get(), request.coach_id, request.technique,
                                                 request.limit, request.offset)
        return coach_pb2.ListReferencesResponse(references=[reference_to_proto(r) for r in rows], total=total)

    async def GetReference(self, request: coach_pb2.GetReferenceRequest,
                           context: grpc.aio.ServicerContext) -> coach_pb2.Reference:
        row, poses = await self.references.get(principal_var.get(), request.coach_id, request.reference_id,
                                               request.include_poses)
        if poses is None:
            return reference_to_proto(row)
        # Copying up to 7200 frames of landmarks into the reply takes long enough to stall other calls.
        return await asyncio.to_thread(reference_to_proto, row, poses)

    async def DeleteReference(self, request: coach_pb2.DeleteReferenceRequest,
                              context: grpc.aio.ServicerContext) -> coach_pb2.DeleteReferenceResponse:
        message = await self.references.delete(principal_var.get(), request.coach_id, request.reference_id)
        return coach_pb2.DeleteReferenceResponse(success=True, message=message)
