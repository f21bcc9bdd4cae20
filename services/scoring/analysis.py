"""Orchestration of one analysis: check the coach, extract poses, recognise, compare, measure, score, store."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Protocol

from services.kit import errors
from services.kit.context import Principal
from services.kit.techniques import normalise_technique
from services.scoring.assessment import prepare, run_assessment
from services.scoring.biomechanics import Motion
from services.scoring.metrics import ANALYSES
from services.scoring.store import AnalysisRecord, AnalysisStore
from services.scoring.timeline import build_timeline

# A recognised technique is used only when the recogniser accepts it: its score reaches the model's open-set
# threshold (technique_models.OpenSetRecognition), else, for a model without one, when the classifier gives
# it more probability than all the other classes together. A wrong technique would pick the wrong norms and
# the wrong coach reference; the answer then reports "unknown", the guess and its score, and that the
# general norms were used.
MIN_RECOGNITION_CONFIDENCE = 0.5


def recognition_accepted(recognition) -> bool:
    accepted = getattr(recognition, "accepted", None)
    return bool(accepted) if accepted is not None else recognition.confidence >= MIN_RECOGNITION_CONFIDENCE
MIN_BODY_MASS_KG, MAX_BODY_MASS_KG = 20.0, 300.0


@dataclass
class PoseResult:
    motion: Motion
    fps: float
    width: int
    height: int
    frame_count: int
    analysed_fps: float  # frames analysed per second of video (the pose service may cap it)
    people_seen: int
    model: str
    inference_seconds: float


class PosePort(Protocol):
    async def extract(self, *, url: str, chunks: AsyncIterator[bytes] | None, filename: str,
                      progress: Callable[[int, int], Awaitable[None]] | None = None) -> PoseResult: ...


# Progress of one analysis, for a caller that follows it (WS /ws/analyze): awaited with the share done (0-1)
# and what is being done. Extraction is most of the work (EXTRACTION_SHARE): its share is the frames the pose
# service has analysed out of those the video declares; the stages after it are short.
Progress = Callable[[float, str], Awaitable[None]]
EXTRACTION_START, EXTRACTION_SHARE = 0.05, 0.75


async def _silent(fraction: float, message: str) -> None:
    return None


@dataclass(frozen=True)
class CoachProfile:
    id: str
    name: str
    techniques: list[str]
    owner_id: str = ""


@dataclass(frozen=True)
class CoachReference:
    id: str
    technique: str
    motion: Motion
    body_mass_kg: float = 0.0
    width: int = 0      # pixels of the reference video's frames (its image landmarks'); 0: none
    height: int = 0


class CoachPort(Protocol):
    async def profile(self, coach_id: str) -> CoachProfile:
        """The coach's name and techniques; raises NotFound for an unknown coach."""

    async def references(self, coach_id: str, technique: str) -> list[CoachReference]:
        """The coach's reference performances of a technique, with their poses (newest first)."""


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
    # Fixed by the caller when a retry must find the same record (a durable batch's video); else minted.
    analysis_id: str = ""


def new_analysis_id() -> str:
    return f"analysis_{uuid.uuid4().hex[:20]}"


class Analyzer:
    def __init__(self, pose: PosePort, coaches: CoachPort, store: AnalysisStore, *,
                 default_body_mass_kg: float, gpu_available: bool = False, models=None) -> None:
        self.pose, self.coaches, self.store = pose, coaches, store
        self.models = models  # technique_models.TechniqueModels, or None (no learned models)
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

    async def analyze(self, cmd: AnalyzeCommand, principal: Principal | None,
                      progress: Progress | None = None) -> AnalysisRecord:
        if principal is None:
            raise errors.Unauthorized("Authentication required")
        report = progress or _silent
        started = time.perf_counter()
        technique, mass = self._check(cmd)
        await report(0.0, "Checking the coach")
        coach = await self.coaches.profile(cmd.coach)  # unknown coach -> NotFound before any video work
        await report(EXTRACTION_START, "Receiving the video")

        async def frames(done: int, total: int) -> None:
            share = min(1.0, done / total) if total else 0.0
            await report(round(EXTRACTION_START + EXTRACTION_SHARE * share, 4),
                         f"Extracting poses from video ({done} of {total} frames)" if total
                         else f"Extracting poses from video ({done} frames)")
        pose = await self.pose.extract(url=cmd.url, chunks=cmd.chunks, filename=cmd.video_label,
                                       progress=frames if progress else None)
        models = await self.models.for_coach(coach.id) if self.models is not None else None
        await report(0.82, "Recognising the technique" if not technique else "Finding the repetitions")
        # The biomechanics are numpy work of a few ms per second of video; keep the loop free anyway.
        prepared = await asyncio.to_thread(prepare, pose.motion, technique)
        recognition = None
        if not technique and models is not None:
            recognition = await asyncio.to_thread(models.recognise, prepared.focus)
            if recognition is not None and recognition_accepted(recognition):
                technique = recognition.technique
                prepared = await asyncio.to_thread(prepare, pose.motion, technique)
        await report(0.86, "Comparing with the coach's reference" if technique else "Measuring the biomechanics")
        references = await self.coaches.references(coach.id, technique) if technique else []
        assessed = await asyncio.to_thread(run_assessment, prepared, technique=technique, body_mass_kg=mass,
                                           coach_name=coach.name, references=references, models=models)
        await report(0.97, "Storing the analysis")
        result = _result_body(assessed.body, pose, cmd, mass, recognition, models)
        if cmd.verbose:  # only then: a plain analysis carries no per-frame data and pays nothing for it
            result["timeline"] = await asyncio.to_thread(build_timeline, assessed, prepared,
                                                         width=pose.width, height=pose.height)
        record = AnalysisRecord(
            id=cmd.analysis_id or new_analysis_id(), owner_id=principal.user_id, coach=cmd.coach,
            technique=technique, video=cmd.video_label or cmd.url,
            status="completed", created_at=datetime.now(timezone.utc),
            processing_time=round(time.perf_counter() - started, 3), result=result)
        await self.store.insert(record)
        ANALYSES.labels(cmd.coach).inc()
        return record

    async def get(self, analysis_id: str, principal: Principal | None) -> AnalysisRecord:
        if principal is None:
            raise errors.Unauthorized("Authentication required")
        record = await self.store.get(analysis_id)
        # Another user's analysis answers like a missing one, so ids cannot be probed.
        if record is None or (record.owner_id != principal.user_id and not principal.is_admin):
            raise errors.NotFound("analysis", analysis_id)
        return record


def _result_body(body: dict[str, Any], pose: PoseResult, cmd: AnalyzeCommand, mass: float, recognition,
                 models) -> dict[str, Any]:
    details = {
        **body["details"],
        "body_mass_kg": mass,
        "video": {"fps": pose.fps, "analysed_fps": round(pose.analysed_fps or pose.fps, 3), "width": pose.width, "height": pose.height, "frames": pose.frame_count,
                  "people_seen": pose.people_seen, "pose_model": pose.model,
                  # the most prominent other person in the performer's frames, as a share of the performer
                  "rival_prominence": round(float(pose.motion.rival_prominence), 3)},
        "feedback_engine": "rules",
    }
    if recognition is not None:
        details["recognition"] = _recognition_block(recognition)
    timings = [{"model": pose.model, "seconds": pose.inference_seconds}] + (models.timings() if models else [])
    result = {
        "metrics": body["metrics"],
        "corrections": body["corrections"],
        "recommendations": body["recommendations"],
        "details": details if cmd.verbose else {},
        "model_timings": timings,
    }
    if recognition is not None:
        # Always answered (not only when verbose): the caller did not name the technique, so it must learn
        # what was recognised and how sure the model was.
        result["recognition"] = details["recognition"]
    return result


def _recognition_block(recognition) -> dict[str, Any]:
    """What was recognised: the technique, or "unknown" (with the best guess and its score) when the motion is
    none of the known techniques; the analysis then scored against the general norms."""
    accepted = recognition_accepted(recognition)
    block = {"technique": recognition.technique if accepted else "unknown", "accepted": accepted,
             "score": round(recognition.confidence, 4), "confidence": round(recognition.confidence, 4),
             "threshold": round(float(getattr(recognition, "threshold", MIN_RECOGNITION_CONFIDENCE)), 4),
             "calibrated": bool(getattr(recognition, "calibrated", False)),
             "best_guess": recognition.technique, "model": recognition.model,
             "alternatives": [{"technique": t, "confidence": p} for t, p in recognition.alternatives]}
    if getattr(recognition, "background", None) is not None:
        block["not_a_technique"] = round(float(recognition.background), 4)
    if not accepted:
        block["note"] = ("The motion was not recognised as any known technique (score below the threshold): it was "
                         "analysed against the general norms, without technique-specific norms or a coach reference.")
    return block
