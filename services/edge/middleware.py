"""ASGI middleware: request id, security headers, body-size limit, request metrics and access log."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit import errors
from services.kit.context import clean_request_id, request_id_var
from services.edge.errors import envelope
from services.edge.metrics import API_REQUEST_SECONDS, API_REQUESTS

log = logging.getLogger("kataforge.access")

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
# Swagger UI at /docs loads its script and style from a CDN, so it needs a wider policy.
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com")
# The web page (/app) keeps the strict policy (scripts, styles, sockets: 'self' only; no inline script) and adds
# one source: blob: for media, because the student's own video is played from the file they picked or recorded
# (URL.createObjectURL); it is never uploaded back to be played.
APP_CSP = b"default-src 'self'; media-src 'self' blob:"


def csp_for(path: str) -> bytes | None:
    """A wider policy for the paths that need one; None: the spec's default-src 'self'."""
    if path.startswith(("/docs", "/v1/docs")):
        return DOCS_CSP
    if path == "/app" or path.startswith("/app/"):
        return APP_CSP
    return None


class _BodyTooLarge(Exception):
    pass


class EdgeMiddleware:
    """Outermost layer, so that even errors produced by routing carry the headers."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        request_id = clean_request_id(headers.get("x-request-id"))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                extra = [(b"x-request-id", request_id.encode())]
                csp = csp_for(path)
                for key, value in SECURITY_HEADERS:
                    extra.append((key, csp if (key == b"content-security-policy" and csp) else value))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge()
            return message

        try:
            declared = headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_body:
                raise _BodyTooLarge()
            await self.app(scope, limited_receive, send_wrapper)
        except _BodyTooLarge:
            if not status["sent"]:
                response = envelope(errors.PayloadTooLarge(
                    f"Request body exceeds the {self.max_body} byte limit (max_request_size)"))
                await response(scope, receive, send_wrapper)
        except Exception:
            # Unhandled errors end here rather than in an app-level handler: Starlette runs that one
            # outside this middleware, where the request id is already gone (500 envelopes had "").
            logging.getLogger("kataforge.edge").exception("unhandled error")
            if not status["sent"]:
                await envelope(errors.DomainError("Internal server error"))(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            endpoint = endpoint[3:] if endpoint.startswith("/v1/") else endpoint
            elapsed = time.perf_counter() - started
            API_REQUESTS.labels(endpoint, scope.get("method", "")).inc()
            API_REQUEST_SECONDS.labels(endpoint, scope.get("method", ""), str(status["code"])).observe(elapsed)
            log.info("%s %s %s", scope.get("method"), path, status["code"],
                     extra={"method": scope.get("method"), "path": path, "status": status["code"],
                            "duration_ms": round(elapsed * 1000, 1)})
            request_id_var.reset(token)
