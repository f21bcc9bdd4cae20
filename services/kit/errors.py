"""Domain errors: one type per failure kind, shared by every service and the edge."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of all errors a user can act on. `code` is the spec's error code."""

    code = "internal_error"
    http_status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        # Extra top-level fields of the error envelope (resource/id for 404, limit/window for 429).
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body


class InvalidRequest(DomainError):
    code, http_status = "invalid_request", 400


class ValidationFailed(DomainError):
    """The request is well-formed but its data cannot be processed (e.g. a video without a person)."""

    code, http_status = "validation_error", 422


class Unauthorized(DomainError):
    code, http_status = "unauthorized", 401


class Forbidden(DomainError):
    code, http_status = "forbidden", 403


class NotFound(DomainError):
    code, http_status = "not_found", 404

    def __init__(self, resource: str, resource_id: str, message: str | None = None) -> None:
        super().__init__(message or f"{resource.capitalize()} '{resource_id}' not found", resource=resource, id=resource_id)


class MethodNotAllowed(DomainError):
    code, http_status = "method_not_allowed", 405


class Conflict(DomainError):
    code, http_status = "conflict", 409


class PayloadTooLarge(DomainError):
    code, http_status = "payload_too_large", 413


class RateLimited(DomainError):
    code, http_status = "rate_limit_exceeded", 429

    def __init__(self, message: str, *, limit: int, window: int, retry_after: int) -> None:
        super().__init__(message, limit=limit, window=window, retry_after=max(1, int(retry_after)))


class ModelError(DomainError):
    code, http_status = "model_error", 500


class StorageError(DomainError):
    code, http_status = "storage_error", 500


class TimeoutFailure(DomainError):
    code, http_status = "timeout_error", 504


class Unavailable(DomainError):
    code, http_status = "service_unavailable", 503


BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (InvalidRequest, ValidationFailed, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict, PayloadTooLarge,
                RateLimited, ModelError, StorageError, TimeoutFailure, Unavailable, DomainError)
}
