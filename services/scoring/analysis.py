"""Orchestration of one analysis: check the coach, extract poses, measure, score, store."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Protocol

from services.kit import errors
from services.kit.context import Principal
from services.scoring.biomechanics import Motion, analyze_motion
from services.scoring.store import AnalysisRecord, AnalysisStore

_TECHNIQUE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MIN_BODY_MASS_KG, MAX_BODY_MASS_KG = 20.0, 300.0


@dataclass
class PoseResult:
    motion: Motion
    fps: float
    width: int
    height: int
    frame_count: int
    people_seen: int
    model: str
    inference_seconds: float


class PosePort(Protocol):
    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None, filename: str) -> PoseResult: ...


class CoachPort(Protocol):
    async def techniques(self, coach_id: str) -> list[str]:
        """The coach's registered techniques; raises NotFound for an unknown coach."""


@dataclass
class AnalyzeCommand:
    coach: str
    video_label: str
    technique: str = ""
    verbose: bool = False
    device: str = "auto"
    llm_backend: str = ""
    body_mass_kg: float = 0.0
    url: str = ""
    chunks: AsyncIterator[bytes] | None = field(default=None, repr=False)


def normalise_technique(name: str) -> str:
    technique = name.strip().lower().replace(" ", "_").replace("-", "_")
    if technique and not _TECHNIQUE.match(technique):
        raise errors.InvalidRequest("technique must be a short name such as 'roundhouse' or 'front_kick'",
                                    details={"technique": "letters, digits and '_' only, up to 64 characters"})
    return technique


class Analyzer:
    def __init__(self, pose: PosePort, coaches: CoachPort, store: AnalysisStore, *,
                 default_body_mass_kg: float, gpu_available: bool = False) -> None:
        self.pose, self.coaches, self.store = pose, coaches, store
        self.default_body_mass_kg = default_body_mass_kg
        self.gpu_available = gpu_available

    def _check(self, cmd: AnalyzeCommand) -> tuple[str, float]:
        details = {}
        if not cmd.coach.strip():
            details["coach"] = "This field is required"
        mass = cmd.body_mass_kg or self.default_body_mass_kg
        if not MIN_BODY_MASS_KG <= mass <= MAX_BODY_MASS_KG:
            details["body_mass_kg"] = f"must be between {MIN_BODY_MASS_KG:g} and {MAX_BODY_MASS_KG:g} kg"
        if cmd.device not in ("", "auto", "cpu", "cuda", "rocm"):
            details["device"] = "must be one of auto, cpu, cuda, rocm"
        elif cmd.device in ("cuda", "rocm") and not self.gpu_available:
            details["device"] = f"'{cmd.device}' was requested but this server has no GPU; use 'auto' or 'cpu'"
        if details:
            raise errors.InvalidRequest("Invalid request parameters", details=details)
        return normalise_technique(cmd.technique), mass

    async def analyze(self, cmd: AnalyzeCommand, principal: Principal | None) -> AnalysisRecord:
        if principal is None:
            raise errors.Unauthorized("Authentication required")
        started = time.perf_counter()
        technique, mass = self._check(cmd)
        await self.coaches.techniques(cmd.coach)  # unknown coach -> NotFound before any video work
        pose = await self.pose.extract(url=cmd.url, chunks=cmd.chunks, filename=cmd.video_label)
        # The biomechanics are numpy work of a few ms per second of video; keep the loop free anyway.
        report = await asyncio.to_thread(analyze_motion, pose.motion, body_mass_kg=mass, technique=technique or None)
        result = _result_body(report, pose, cmd, mass)
        record = AnalysisRecord(
            id=f"analysis_{uuid.uuid4().hex[:20]}", owner_id=principal.user_id, coach=cmd.coach,
            technique=technique or report.details.get("technique", ""), video=cmd.video_label or cmd.url,
            status="completed", created_at=datetime.now(timezone.utc),
            processing_time=round(time.perf_counter() - started, 3), result=result)
        await self.store.insert(record)
        return record

    async def get(self, analysis_id: str, principal: Principal | None) -> AnalysisRecord:
        if principal is None:
            raise errors.Unauthorized("Authentication required")
        record = await self.store.get(analysis_id)
        # Another user's analysis answers like a missing one, so ids cannot be probed.
        if record is None or (record.owner_id != principal.user_id and not principal.is_admin):
            raise errors.NotFound("analysis", analysis_id)
        return record


def _result_body(report: Any, pose: PoseResult, cmd: AnalyzeCommand, mass: float) -> dict[str, Any]:
    details = {
        **report.details,
        "body_mass_kg": mass,
        "video": {"fps": pose.fps, "width": pose.width, "height": pose.height, "frames": pose.frame_count,
                  "people_seen": pose.people_seen, "pose_model": pose.model},
        "feedback_engine": "rules",
    }
    return {
        "metrics": {
            "overall_score": report.overall_score,
            "aspect_scores": dataclasses.asdict(report.aspect_scores),
            "biomechanics": {"max_speed": report.max_speed, "peak_force": report.peak_force,
                             "mean_power": report.mean_power,
                             "kinetic_chain_efficiency": report.kinetic_chain_efficiency},
        },
        "corrections": list(report.corrections),
        "recommendations": list(report.recommendations),
        "details": details if cmd.verbose else {},
        "model_timings": [{"model": pose.model, "seconds": pose.inference_seconds}],
    }
