"""Request bodies of the public API; unknown fields and wrong types are rejected with per-field details."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator


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
    years_experience: StrictInt | None = None
    teachers: list[StrictStr] = []
    techniques: list[StrictStr] = []
    teaching_philosophy: dict[str, Any] | None = None


class CoachPatch(Strict):
    """Any coach field; id, owner and timestamps are not client-settable."""

    name: StrictStr | None = None
    style: StrictStr | None = None
    rank: StrictStr | None = None
    years_experience: StrictInt | None = None
    teachers: list[StrictStr] | None = None
    techniques: list[StrictStr] | None = None
    teaching_philosophy: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _immutable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fixed = [k for k in ("id", "owner_id", "created_at", "updated_at") if k in data]
            if fixed:
                raise ValueError(f"{', '.join(fixed)} cannot be changed")
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
