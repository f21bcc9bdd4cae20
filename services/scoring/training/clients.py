"""The coach registry as training sees it (gRPC): who owns a coach, and its reference performances as data."""

from __future__ import annotations

import asyncio
import json

import grpc

from kataforge.coach.v1 import coach_pb2
from kataforge.common.v1 import common_pb2
from services.kit import errors
from services.kit.grpc_errors import from_rpc_error
from services.kit.pose_json import sequence_json
from services.scoring.clients import COACH_TIMEOUT_SECONDS, GrpcCoaches

REFERENCE_TIMEOUT_SECONDS = 60.0  # a reference with its poses can be several MB
PAGE = 500  # the coach service's largest page
# A references: snapshot, copied into the database with the job: about an hour of video at 30 fps.
MAX_REFERENCES = 500
MAX_REFERENCE_FRAMES = 100_000
MAX_REFERENCE_BYTES = 256 * 2**20


def sequence_document(technique: str, seq: common_pb2.PoseSequence) -> dict:
    """A PoseSequence as the pose-sequence JSON that services.scoring.learning.dataset reads: world
    landmarks (m) and visibility per frame; a frame without the performer has no landmarks."""
    return {"technique": technique, **sequence_json(seq)}


class GrpcCoachDirectory(GrpcCoaches):
    """The analysis' coach client plus what training needs. Calls run as the caller (the principal travels
    in the channel's metadata)."""

    async def owner(self, coach_id: str) -> str:
        return (await self.profile(coach_id)).owner_id

    async def documents(self, coach_id: str) -> dict[str, bytes]:
        try:
            refs = await self._references(coach_id)
            files: dict[str, bytes] = {}
            frames = size = 0
            for ref in refs:
                full = await self.stub.GetReference(
                    coach_pb2.GetReferenceRequest(coach_id=coach_id, reference_id=ref.id, include_poses=True),
                    timeout=REFERENCE_TIMEOUT_SECONDS)
                frames += len(full.pose_sequence.frames)
                if frames > MAX_REFERENCE_FRAMES:
                    raise _too_much(coach_id, f"more than {MAX_REFERENCE_FRAMES} frames")
                # Thousands of frames of landmarks: converting them would stall every other request.
                body = await asyncio.to_thread(_document_bytes, full.technique, full.pose_sequence)
                size += len(body)
                if size > MAX_REFERENCE_BYTES:
                    raise _too_much(coach_id, f"more than {MAX_REFERENCE_BYTES // 2**20} MiB of poses")
                files[f"{ref.id}.json"] = body
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return files

    async def _references(self, coach_id: str) -> list[coach_pb2.Reference]:
        """The coach's references (without poses), refused above MAX_REFERENCES before any pose is fetched."""
        refs: list[coach_pb2.Reference] = []
        while True:
            page = await self.stub.ListReferences(
                coach_pb2.ListReferencesRequest(coach_id=coach_id, limit=PAGE, offset=len(refs)),
                timeout=COACH_TIMEOUT_SECONDS)
            if page.total > MAX_REFERENCES or len(refs) + len(page.references) > MAX_REFERENCES:
                raise _too_much(coach_id, f"more than {MAX_REFERENCES} references")
            refs.extend(page.references)
            if not page.references or len(refs) >= page.total:
                return refs


def _document_bytes(technique: str, seq: common_pb2.PoseSequence) -> bytes:
    return json.dumps(sequence_document(technique, seq)).encode()


def _too_much(coach_id: str, what: str) -> errors.ValidationFailed:
    # The snapshot is stored with the job in one transaction and loaded whole by every attempt.
    return errors.ValidationFailed(
        f"Coach {coach_id} has {what} to train on (at most {MAX_REFERENCES} references, {MAX_REFERENCE_FRAMES} "
        f"frames, {MAX_REFERENCE_BYTES // 2**20} MiB): train on a dataset folder instead",
        details={"data_dir": "too many references"})
