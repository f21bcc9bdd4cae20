"""The one mapping between domain errors and gRPC status, in both directions."""

from __future__ import annotations

import json
import logging

import grpc

from services.kit import errors

ERROR_TRAILER = "kataforge-error"
# The HTTP status of the call's REST answer, for a gateway that only transcodes (deploy/envoy): the
# envelope's status with an error (a trailer), a method's success_status option on success (initial metadata).
HTTP_STATUS_METADATA = "kataforge-http-status"
log = logging.getLogger(__name__)

_TO_GRPC: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    errors.ValidationFailed: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Unauthorized: grpc.StatusCode.UNAUTHENTICATED,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.MethodNotAllowed: grpc.StatusCode.UNIMPLEMENTED,
    errors.Conflict: grpc.StatusCode.ALREADY_EXISTS,
    errors.PayloadTooLarge: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.ModelError: grpc.StatusCode.INTERNAL,
    errors.StorageError: grpc.StatusCode.INTERNAL,
    errors.TimeoutFailure: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.DomainError: grpc.StatusCode.INTERNAL,
}

# For statuses raised by gRPC itself (no error trailer from our code).
_FROM_GRPC: dict[grpc.StatusCode, type[errors.DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidRequest,
    grpc.StatusCode.FAILED_PRECONDITION: errors.ValidationFailed,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthorized,
    grpc.StatusCode.PERMISSION_DENIED: errors.Forbidden,
    grpc.StatusCode.ALREADY_EXISTS: errors.Conflict,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.PayloadTooLarge,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.TimeoutFailure,
    grpc.StatusCode.UNAVAILABLE: errors.Unavailable,
}


# What a caller is told of a status raised by gRPC itself, by code.
_TRANSPORT_MESSAGES: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.NOT_FOUND: "Not found",
    grpc.StatusCode.INVALID_ARGUMENT: "The request could not be passed on to the service that handles it",
    grpc.StatusCode.FAILED_PRECONDITION: "The request could not be processed in the service's current state",
    grpc.StatusCode.UNAUTHENTICATED: "Authentication required",
    grpc.StatusCode.PERMISSION_DENIED: "Not allowed",
    grpc.StatusCode.ALREADY_EXISTS: "Already exists",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "The request is larger than a service accepts",
    grpc.StatusCode.DEADLINE_EXCEEDED: "The request took longer than allowed; retry, or send a shorter video",
    grpc.StatusCode.UNAVAILABLE: "A service this request needs is unavailable (restarting or unreachable); "
                                 "retry shortly",
}


def status_for(error: errors.DomainError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in _TO_GRPC:
            return _TO_GRPC[cls]
    return grpc.StatusCode.INTERNAL


async def abort_with(context: grpc.aio.ServicerContext, error: errors.DomainError) -> None:
    """End the call with the error's status, carrying the full error as a JSON trailer and its HTTP status."""
    context.set_trailing_metadata(((ERROR_TRAILER, json.dumps(error.to_dict())),
                                   (HTTP_STATUS_METADATA, str(error.http_status))))
    await context.abort(status_for(error), error.message)


def _build(cls: type[errors.DomainError], message: str, details: dict | None, extra: dict) -> errors.DomainError:
    """Instantiate any error class from its wire form, bypassing subclass constructors."""
    err = cls.__new__(cls)
    errors.DomainError.__init__(err, message, details=details)
    err.extra = extra
    return err


def from_rpc_error(exc: grpc.aio.AioRpcError) -> errors.DomainError:
    """Rebuild the domain error a backend raised, so it travels unchanged to the caller."""
    for key, value in exc.trailing_metadata() or ():
        if key == ERROR_TRAILER:
            try:
                body = json.loads(value)
                extra = {k: v for k, v in body.items() if k not in ("code", "message", "details")}
                cls = errors.BY_CODE.get(body.get("code"), errors.DomainError)
                return _build(cls, body.get("message", ""), body.get("details"), extra)
            except (ValueError, AttributeError):
                log.warning("unreadable error trailer: %r", value)
    # A status gRPC raised itself (no service answered it): its details name internal addresses and
    # transport states ("ipv4:127.0.0.1:50053: Failed to connect to remote host"), which stay in the logs.
    code = exc.code()
    log.warning("backend call failed: %s %s", code.name, exc.details())
    if code == grpc.StatusCode.NOT_FOUND:
        return _build(errors.NotFound, _TRANSPORT_MESSAGES[code], None, {})
    cls = _FROM_GRPC.get(code)
    if cls is not None:
        return cls(_TRANSPORT_MESSAGES[code])
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return errors.Unavailable("This operation is not available on the backend")
    return errors.Unavailable(f"Backend call failed ({code.name.lower()})")
