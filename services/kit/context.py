"""Per-call context (request id, principal) carried in contextvars across awaits."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass

REQUEST_ID_HEADER = "x-request-id"
# The caller's token on every call between services (verified by services/kit/interceptors.py).
AUTHORIZATION = "authorization"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as verified from the call's token (services/kit/tokens.py)."""

    user_id: str
    username: str
    role: str  # "admin", "coach" or "student"
    method: str  # "jwt", "api_key", "static_api_key" or "anonymous"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Used when DOJO_AUTH_ENABLED=false: every caller acts as an administrator, as the spec's switch implies.
ANONYMOUS_ADMIN = Principal(user_id="anonymous", username="anonymous", role="admin", method="anonymous")

principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def clean_request_id(value: str | None) -> str:
    """Accept a caller's request id if it is short printable ASCII; otherwise mint one."""
    # Printable ASCII without the space (33-126), tested by str's own C loops: this runs on every call.
    if value and len(value) <= 128 and value.isascii() and value.isprintable() and " " not in value:
        return value
    return new_request_id()
