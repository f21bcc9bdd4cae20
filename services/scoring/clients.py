"""gRPC adapters for the analysis core: the pose service and the coach registry."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import grpc
import numpy as np

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.common.v1 import common_pb2
from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit.grpc_errors import from_rpc_error
from services.kit.pose_client import PoseClient
from services.scoring.analysis import CoachProfile, CoachReference, PoseResult
from services.scoring.biomechanics import Motion
from services.scoring.biomechanics.sampling import VISIBILITY_MIN
from services.scoring.learning.lifting import DepthLifter

COACH_TIMEOUT_SECONDS = 10.0
# References compared per analysis: the nearest of a few is what matters, and each carries its poses.
MAX_REFERENCES = 5


def motion_from_sequence(seq: common_pb2.PoseSequence, lifter: DepthLifter | None = None) -> Motion:
    """Protobuf pose sequence -> arrays: t (s), world (m, [T,33,3]), visibility, detected, and the image
    landmarks in pixels when the sequence says its frame size (a video; a client's own sequence of world
    landmarks has none), with their depth lifted from the image when a lifter is given."""
    count = len(seq.frames)
    t = np.array([f.timestamp_ms / 1000.0 for f in seq.frames], dtype=float)
    values = np.full((count, 33, 6), np.nan)
    spread = np.full((count, 33), np.nan)
    detected = np.zeros(count, dtype=bool)
    for i, frame in enumerate(seq.frames):
        if frame.detected and len(frame.landmarks) == 33:
            detected[i] = True
            values[i] = [(lm.x, lm.y, lm.wx, lm.wy, lm.wz, lm.visibility) for lm in frame.landmarks]
            spread[i] = [lm.tracker_spread_px if lm.HasField("tracker_spread_px") else np.nan
                         for lm in frame.landmarks]
    has_signal = seq.HasField("signal")
    size = (seq.width, seq.height) if seq.width > 0 and seq.height > 0 and has_signal else None
    return motion_from_arrays(t, values, detected, size, lifter, smoothing=seq.smoothing or "none",
                              filtered=seq.signal.filter or "none" if has_signal else "none",
                              cutoff_hz=seq.signal.cutoff_hz if has_signal else 0.0,
                              tracker_spread=spread if np.isfinite(spread).any() else None,
                              rival_prominence=seq.rival_prominence)


def _visibility(values: np.ndarray, detected: np.ndarray) -> np.ndarray:
    return np.where(detected[:, None], np.nan_to_num(values[:, :, 5]), 0.0)


def _image_px(values: np.ndarray, detected: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.where(detected[:, None, None], values[:, :, 0:2] * np.array(size, dtype=float), np.nan)


def lifted_depth(values: np.ndarray, detected: np.ndarray, size: tuple[int, int] | None,
                 lifter: DepthLifter | None) -> np.ndarray | None:
    """[T,33] depth (px) lifted from the image landmarks of values [T,33,6] that the measurement trusts
    (sampling.VISIBILITY_MIN); None without a lifter or a frame size. Frame by frame: the lifter sees one
    frame at a time, so a live stream lifts each frame once and keeps it."""
    if lifter is None or size is None:
        return None
    return lifter.depth(_image_px(values, detected, size),
                        detected[:, None] & (_visibility(values, detected) >= VISIBILITY_MIN))


def motion_from_arrays(t: np.ndarray, values: np.ndarray, detected: np.ndarray, size: tuple[int, int] | None,
                       lifter: DepthLifter | None, *, smoothing: str, filtered: str = "none",
                       cutoff_hz: float = 0.0, depth: np.ndarray | None = None,
                       tracker_spread: np.ndarray | None = None, rival_prominence: float = 0.0) -> Motion:
    """Landmarks [T,33,6] (image x, y normalised; world x, y, z m; visibility) -> Motion; the image in pixels
    when the frame size is known, its depth lifted from the landmarks the measurement trusts
    (lifted_depth) when a lifter is given, or `depth` as lifted before; tracker_spread [T,33] px as the pose
    service measured it (services.kit.tracker_spread), rival_prominence as its tracking found it. Videos and
    live streams come through here alike."""
    world = np.where(detected[:, None, None], values[:, :, 2:5], np.nan)
    image_px = _image_px(values, detected, size) if size is not None else None
    if depth is None:
        depth = lifted_depth(values, detected, size, lifter)
    return Motion(t=t, world=world, visibility=_visibility(values, detected), detected=detected,
                  smoothing=smoothing, filtered=filtered, cutoff_hz=cutoff_hz, image=image_px, depth=depth,
                  depth_source=lifter.name if depth is not None and lifter is not None else "",
                  tracker_spread=tracker_spread if image_px is not None else None,
                  rival_prominence=float(rival_prominence))


class GrpcPose:
    def __init__(self, channel: grpc.aio.Channel, lifter: DepthLifter | None = None) -> None:
        self.stub = pose_pb2_grpc.PoseServiceStub(channel)
        self.poses = PoseClient(channel)
        self.lifter = lifter

    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None, filename: str,
                      progress=None) -> PoseResult:
        seq = await self.poses.extract(url=url, chunks=chunks, filename=filename, progress=progress)
        # Thousands of frames x 33 landmarks of Python attribute access: off the event loop.
        motion = await asyncio.to_thread(motion_from_sequence, seq, self.lifter)
        return PoseResult(motion=motion, fps=seq.fps, width=seq.width, height=seq.height,
                          frame_count=seq.frame_count, analysed_fps=seq.analysed_fps, people_seen=seq.people_seen, model=seq.model or "blazepose_full",
                          inference_seconds=seq.inference_seconds)

    async def gpu_available(self) -> bool:
        try:
            info = await self.stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5.0)
        except grpc.aio.AioRpcError:
            return False
        return info.gpu_available


class GrpcCoaches:
    def __init__(self, channel: grpc.aio.Channel, lifter: DepthLifter | None = None) -> None:
        self.stub = coach_pb2_grpc.CoachServiceStub(channel)
        self.lifter = lifter  # a reference is measured as the student's video is

    async def profile(self, coach_id: str) -> CoachProfile:
        try:
            coach = await self.stub.GetCoach(coach_pb2.GetCoachRequest(coach_id=coach_id),
                                             timeout=COACH_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return CoachProfile(id=coach.id, name=coach.name or coach.id, techniques=list(coach.techniques),
                            owner_id=coach.owner_id)

    async def references(self, coach_id: str, technique: str) -> list[CoachReference]:
        """The coach's references of one technique with their poses, newest first (at most MAX_REFERENCES)."""
        async def one(reference_id: str) -> CoachReference:
            full = await self.stub.GetReference(
                coach_pb2.GetReferenceRequest(coach_id=coach_id, reference_id=reference_id, include_poses=True),
                timeout=COACH_TIMEOUT_SECONDS)
            motion = await asyncio.to_thread(motion_from_sequence, full.pose_sequence, self.lifter)
            return CoachReference(id=full.id, technique=full.technique, motion=motion,
                                  body_mass_kg=full.body_mass_kg if full.HasField("body_mass_kg") else 0.0,
                                  width=full.pose_sequence.width, height=full.pose_sequence.height)

        try:
            listed = await self.stub.ListReferences(
                coach_pb2.ListReferencesRequest(coach_id=coach_id, technique=technique, limit=MAX_REFERENCES),
                timeout=COACH_TIMEOUT_SECONDS)
            return list(await asyncio.gather(*(one(ref.id) for ref in listed.references)))
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
