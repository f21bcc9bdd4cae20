"""Reference performances: who may add, read and remove them, and where their poses come from."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Protocol

from kataforge.common.v1 import common_pb2
from services.coach import sequences, validation
from services.coach.reference_store import ReferenceStore
from services.coach.registry import may_change, require_id, require_principal
from services.coach.store import CoachStore
from services.kit.context import Principal
from services.kit.errors import Forbidden, InvalidRequest, NotFound
from services.kit.video_source import parse_video_url

SOURCES = ("video_url", "pose_sequence")


class ReferencePosePort(Protocol):
    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None,
                      filename: str) -> common_pb2.PoseSequence:
        """Poses of a video fetched from `url` or streamed as `chunks`; the pose service's errors as raised."""


@dataclass
class NewReference:
    """What a caller asks to add; exactly one of video_url, pose_sequence and chunks (an upload) is the source."""

    coach_id: str
    technique: Any = None
    name: Any = None
    body_mass_kg: Any = None
    video_url: str = ""
    pose_sequence: common_pb2.PoseSequence | None = None
    chunks: AsyncIterator[bytes] | None = field(default=None, repr=False)
    video_label: str = ""


def _check_source(new: NewReference) -> None:
    given = [name for name, present in (("video_url", bool(new.video_url.strip())),
                                        ("pose_sequence", new.pose_sequence is not None),
                                        ("file", new.chunks is not None)) if present]
    if len(given) == 1:
        return
    if not given:
        raise InvalidRequest("Give the reference's poses: a video (video_url, an http(s) URL or base64 data, or an "
                             "uploaded file) or a pose_sequence",
                             details={name: "Give exactly one of video_url and pose_sequence" for name in SOURCES})
    raise InvalidRequest(f"Give exactly one source for the reference, not {' and '.join(given)}",
                         details={name: "Give exactly one of video_url and pose_sequence" for name in given})


def _owner_check(principal: Principal) -> Callable[[dict[str, Any]], None]:
    def authorize(coach: dict[str, Any]) -> None:
        if not may_change(principal, coach):
            raise Forbidden("Only the coach's owner or an administrator can add or delete its references")
    return authorize


def _prepare_given(seq: common_pb2.PoseSequence) -> tuple[sequences.Summary, bytes]:
    """A client's sequence checked (sequences.check_given), summarised and serialized for storage."""
    clean, summary = sequences.check_given(seq)
    return summary, clean.SerializeToString()


def _prepare_extracted(seq: common_pb2.PoseSequence) -> tuple[sequences.Summary, bytes]:
    """An extracted sequence checked (sequences.check_extracted), summarised and serialized for storage."""
    return sequences.check_extracted(seq), seq.SerializeToString()


def _parse_poses(blob: bytes) -> common_pb2.PoseSequence:
    return common_pb2.PoseSequence.FromString(blob)


def _new_id() -> str:
    return f"ref_{uuid.uuid4().hex[:24]}"


class ReferenceLibrary:
    """Every operation takes the verified caller (None when the call carried no principal). Adding or
    deleting needs the coach's owner or an administrator; reading needs any authenticated caller."""

    def __init__(self, coaches: CoachStore, store: ReferenceStore, pose: ReferencePosePort | None, *,
                 max_video_bytes: int) -> None:
        self.coaches, self.store, self.pose = coaches, store, pose
        self.max_video_bytes = max_video_bytes

    async def _coach(self, coach_id: str) -> dict[str, Any]:
        coach = await self.coaches.get(require_id(coach_id))
        if coach is None:
            raise NotFound("coach", coach_id)
        return coach

    async def add(self, principal: Principal | None, new: NewReference) -> dict[str, Any]:
        """Check, extract or validate the poses, store; returns the new reference's row (without poses).

        The order of checks: caller, coach, ownership (so a stranger learns nothing more), fields, source;
        the pose service is called only once all of those passed. A technique missing from the coach's
        techniques is appended to them in the transaction that stores the reference."""
        caller = require_principal(principal)
        authorize = _owner_check(caller)
        coach = await self._coach(new.coach_id)
        authorize(coach)
        fields = validation.validate_reference({"technique": new.technique, "name": new.name,
                                                "body_mass_kg": new.body_mass_kg})
        _check_source(new)

        def admit(current: dict[str, Any]) -> None:
            authorize(current)
            full = len(current["techniques"]) >= validation.LIST_MAX_ITEMS
            if full and fields["technique"] not in current["techniques"]:
                raise InvalidRequest(f"The coach already lists {validation.LIST_MAX_ITEMS} techniques, the most it can",
                                     details={"technique": "remove a technique from the coach before adding another"})

        admit(coach)  # before any video work; again on the locked row, as ownership may change meanwhile
        # Up to 7200 frames of 33 landmarks (about 10 MB serialized): checked and serialized off the event
        # loop, which every other call of this service shares.
        if new.pose_sequence is not None:
            summary, blob = await asyncio.to_thread(_prepare_given, new.pose_sequence)
            source = "pose_sequence"
        else:
            poses = await self._extract(new)
            summary, blob = await asyncio.to_thread(_prepare_extracted, poses)
            source = "video"

        row = {"id": _new_id(), "coach_id": new.coach_id, **fields, "source": source, "fps": summary.fps,
               "frame_count": summary.frame_count, "detected_frames": summary.detected_frames,
               "duration_ms": summary.duration_ms, "created_by": caller.user_id}
        stored = await self.store.insert(row, blob, admit)
        if stored is None:
            raise NotFound("coach", new.coach_id)  # deleted while the video was being analysed
        return stored

    async def _extract(self, new: NewReference) -> common_pb2.PoseSequence:
        if self.pose is None:
            raise InvalidRequest("This coach service cannot analyse videos; send a pose_sequence")
        if new.chunks is not None:
            return await self.pose.extract(url="", chunks=new.chunks, filename=new.video_label or "upload")
        source = parse_video_url(new.video_url, self.max_video_bytes)
        return await self.pose.extract(url=source.url, chunks=None if source.url else source.chunks(),
                                       filename=new.video_label or source.label)

    async def list(self, principal: Principal | None, coach_id: str, technique: str = "", limit: int = 0,
                   offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the coach's references, newest first (limit 0 = 100, at most 500), and their total;
        `technique` filters (normalised like a reference's technique)."""
        require_principal(principal)
        limit, offset = validation.check_page(limit, offset)
        technique_filter = validation.check_technique_filter(technique)
        await self._coach(coach_id)
        return await self.store.list(coach_id, technique_filter, limit, offset)

    async def get(self, principal: Principal | None, coach_id: str, reference_id: str,
                  include_poses: bool = False) -> tuple[dict[str, Any], common_pb2.PoseSequence | None]:
        """The reference, and its poses when asked. A reference of another coach is not found here."""
        require_principal(principal)
        row = await self.store.get(require_id(coach_id), reference_id, with_poses=include_poses)
        if row is None:
            await self._coach(coach_id)  # an unknown coach answers as such, before its reference
            raise NotFound("reference", reference_id)
        blob = row.pop("poses", None)
        poses = await asyncio.to_thread(_parse_poses, blob) if include_poses else None
        return row, poses

    async def delete(self, principal: Principal | None, coach_id: str, reference_id: str) -> str:
        """Remove one reference (owner or administrator); the coach's techniques stay as they are."""
        authorize = _owner_check(require_principal(principal))
        deleted = await self.store.delete(require_id(coach_id), reference_id, authorize)
        if deleted is None:
            raise NotFound("coach", coach_id)
        if not deleted:
            raise NotFound("reference", reference_id)
        return f"Reference {reference_id} deleted successfully"
