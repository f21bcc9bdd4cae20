"""Request bodies of the public API; unknown fields and wrong types are rejected with per-field details."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (AfterValidator, AllowInfNan, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr,
                      model_validator)
from pydantic import Strict as StrictType
from pydantic_core import PydanticCustomError


# Integers that go into an int32 proto field are bounded here, so that an out-of-range number is a 400
# naming the field (it was a 500: protobuf raises ValueError on assignment; Schemathesis found
# `offset=67715199123352` and `years_experience: -14533631568861614080`).
INT32_MAX = 2**31 - 1
# Query offsets: bounded by int32 (what the services take), documented in the OpenAPI schema.
Offset = Annotated[int, Query(ge=0, le=INT32_MAX, description="Items to skip (0 .. 2^31-1)")]
# An int32 body field: the transport's range only; the owning service checks the domain's (years of
# practice: services/coach/validation.py), in its own words.
Int32 = Annotated[StrictInt, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterBody(Strict):
    username: StrictStr
    email: StrictStr
    password: StrictStr
    full_name: StrictStr = ""
    role: Literal["student", "coach"] = "student"


class LoginJsonBody(Strict):
    username: StrictStr
    password: StrictStr


class RefreshBody(Strict):
    refresh_token: StrictStr


class ProfileBody(Strict):
    email: StrictStr | None = None
    full_name: StrictStr | None = None
    password: StrictStr | None = None
    current_password: StrictStr | None = None


class ForgotBody(Strict):
    email: StrictStr


class ResetBody(Strict):
    token: StrictStr
    password: StrictStr


class ApiKeyBody(Strict):
    name: StrictStr = Field(default="", max_length=100)


class CoachBody(Strict):
    id: StrictStr
    name: StrictStr
    style: StrictStr
    rank: StrictStr | None = None
    years_experience: Int32 | None = None
    teachers: list[StrictStr] = []
    techniques: list[StrictStr] = []
    teaching_philosophy: dict[str, Any] | None = None


class CoachPatch(Strict):
    """Any coach field (the spec's PUT). The object a GET answered can be sent back as it is: its id must be
    the path's; its owner and timestamps, which the server keeps, are ignored."""

    id: StrictStr | None = None  # checked against the path by the route, never updated
    name: StrictStr | None = None
    style: StrictStr | None = None
    rank: StrictStr | None = None
    years_experience: Int32 | None = None
    teachers: list[StrictStr] | None = None
    techniques: list[StrictStr] | None = None
    teaching_philosophy: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _immutable(cls, data: Any) -> Any:
        if isinstance(data, dict):  # kept by the server, as the coach service ignores them (through Envoy too)
            data = {k: v for k, v in data.items() if k not in ("owner_id", "created_at", "updated_at")}
        return data


class AnalyzeForm(Strict):
    """Fields of an analysis other than the video itself (multipart form fields are strings)."""

    coach: StrictStr = Field(min_length=1, max_length=64)
    technique: StrictStr | None = Field(default=None, max_length=64)
    llm_backend: Literal["ollama", "llamacpp"] | None = None
    verbose: bool = False
    device: Literal["auto", "cpu", "cuda", "rocm"] = "auto"
    body_mass_kg: float | None = Field(default=None, gt=20, lt=300, description="Performer's body mass, kg")

    def grpc_fields(self) -> dict[str, Any]:
        return {"coach": self.coach, "technique": self.technique or "", "llm_backend": self.llm_backend or "",
                "verbose": self.verbose, "device": self.device, "body_mass_kg": self.body_mass_kg or 0.0}


class AnalyzeBody(AnalyzeForm):
    video_url: StrictStr = Field(description="An http(s) URL, or the video as base64 (optionally a data: URI)")
    verbose: StrictBool = False


class StartAnalysisMessage(AnalyzeBody):
    """WS /ws/analyze's {"action": "start_analysis", ...}: the fields of POST /analyze's JSON body."""

    action: Literal["start_analysis"]


class BatchVideoBody(Strict):
    url: StrictStr = Field(description="An http(s) URL, or the video as base64 (optionally a data: URI)")
    coach: StrictStr = Field(min_length=1, max_length=64)
    technique: StrictStr | None = Field(default=None, max_length=64)
    metadata: dict[str, Any] | None = None


class BatchAnalyzeBody(Strict):
    """POST /batch_analyze; the video count and max_workers caps are the scoring service's (its message
    names them)."""

    videos: list[BatchVideoBody]
    parallel: StrictBool = True
    max_workers: Int32 | None = None
    device: Literal["auto", "cpu", "cuda", "rocm"] = "auto"
    body_mass_kg: float | None = Field(default=None, gt=20, lt=300, description="Performers' body mass, kg")


class BatchSubmitBody(Strict):
    """POST /batch/submit (a durable batch); the video-count cap and the hourly quota are the scoring
    service's (its message names them)."""

    videos: list[BatchVideoBody]
    device: Literal["auto", "cpu", "cuda", "rocm"] = "auto"
    body_mass_kg: float | None = Field(default=None, gt=20, lt=300, description="Performers' body mass, kg")


# A finite JSON number (integers accepted); strings and booleans are refused rather than converted.
Number = Annotated[float, StrictType(), AllowInfNan(False)]


# The coach service's limits (services/coach/sequences.py), checked here too so that an oversized body is
# refused before it is converted and sent on: MediaPipe BlazePose landmarks, 2 minutes at 60 fps.
LANDMARKS = 33
MAX_FRAMES = 7200


def _landmark_count(landmarks: list) -> list:
    # max_length already stopped a longer list at its 34th item; this refuses the short ones, in the coach
    # service's words. (An after-validator: a before one would turn a JSON body into Python objects first.)
    if len(landmarks) not in (0, LANDMARKS):
        raise PydanticCustomError("landmark_count", "Must hold {expected} landmarks (BlazePose order), or none "
                                  "when no person is in the frame (got {got})",
                                  {"expected": LANDMARKS, "got": len(landmarks)})
    return landmarks


class PoseFrameBody(Strict):
    timestamp_ms: Number
    landmarks: Annotated[list[Annotated[list[Number], Field(min_length=4, max_length=4)]],
                         AfterValidator(_landmark_count)] = Field(
        max_length=LANDMARKS,
        description="33 landmarks, each [wx, wy, wz, visibility] (world metres around the hips, 0..1), "
                    "in BlazePose order; [] when no person is in the frame")


class PoseSequenceBody(Strict):
    fps: Number
    frames: list[PoseFrameBody] = Field(max_length=MAX_FRAMES, description=f"One entry per video frame, at most "
                                                                            f"{MAX_FRAMES} (2 minutes at 60 fps)")


class ReferenceForm(Strict):
    """Fields of a reference other than its poses (multipart form fields are strings)."""

    technique: StrictStr
    name: StrictStr | None = None
    body_mass_kg: float | None = Field(default=None, description="Performer's body mass, kg")


class ReferenceBody(ReferenceForm):
    """A reference from a video (video_url: an http(s) URL or base64 data) or from a pose_sequence."""

    body_mass_kg: Number | None = Field(default=None, description="Performer's body mass, kg")
    video_url: StrictStr | None = Field(default=None, description="An http(s) URL, or the video as base64")
    pose_sequence: PoseSequenceBody | None = None
