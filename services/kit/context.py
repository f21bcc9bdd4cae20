"""Per-call context (request id, principal) carried in contextvars across awaits."""

from __future__ import annotations

import contextvars
import json
import uuid
from dataclasses import asdict, dataclass

REQUEST_ID_HEADER = "x-request-id"
PRINCIPAL_HEADER = "x-kataforge-principal"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as verified by the edge (JWT or API key)."""

    user_id: str
    username: str
    role: str  # "admin", "coach" or "student"
    method: str  # "jwt", "api_key", "static_api_key" or "anonymous"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_header(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_header(cls, value: str | bytes | None) -> "Principal | None":
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(**{k: str(data[k]) for k in ("user_id", "username", "role", "method")})
        except (ValueError, KeyError, TypeError):
            return None


# Used when DOJO_AUTH_ENABLED=false: every caller acts as an administrator, as the spec's switch implies.
ANONYMOUS_ADMIN = Principal(user_id="anonymous", username="anonymous", role="admin", method="anonymous")

principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def clean_request_id(value: str | None) -> str:
    """Accept a caller's request id if it is short printable ASCII; otherwise mint one."""
    if value and len(value) <= 128 and all(33 <= ord(c) < 127 for c in value):
        return value
    return new_request_id()
