"""The one mapping from domain errors (and HTTP-level failures) to the spec's error envelope."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kit import errors
from services.kit.context import request_id_var

log = logging.getLogger("kataforge.edge")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(error: errors.DomainError) -> JSONResponse:
    body: dict[str, Any] = error.to_dict()
    if error.http_status >= 500 or "request_id" in body:
        body["request_id"] = request_id_var.get()
    body["timestamp"] = now_iso()
    headers = {}
    if isinstance(error, errors.RateLimited) or error.code == "rate_limit_exceeded":
        headers["Retry-After"] = str(body.get("retry_after", 1))
    if error.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": body}, status_code=error.http_status, headers=headers)


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def _validation_message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "This field is required"
    if kind == "extra_forbidden":
        return "Unknown field"
    if kind == "json_invalid":
        return "Request body is not valid JSON"
    return err.get("msg", "Invalid value")


def validation_error(exc: RequestValidationError) -> errors.InvalidRequest:
    details = {_field_path(tuple(e.get("loc", ()))): _validation_message(e) for e in exc.errors()}
    return errors.InvalidRequest("Invalid request parameters", details=details)


_HTTP_CODES = {413: errors.PayloadTooLarge, 401: errors.Unauthorized, 403: errors.Forbidden}


def _methods_on(request: Request) -> list[str]:
    path = request.url.path
    methods: set[str] = set()
    for route in request.app.router.routes:
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= route_methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(_: Request, exc: errors.DomainError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc.message)
        return envelope(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            error: errors.DomainError = errors.NotFound("route", path, f"No route for {request.method} {path}")
        elif exc.status_code == 405:
            allowed = _methods_on(request)
            error = errors.MethodNotAllowed(f"Method {request.method} is not allowed on {path}; "
                                            f"use {', '.join(allowed)}")
            # RFC 9110 15.5.6: Allow lists every method of the resource; Starlette names only those of the
            # first route whose path matched (GET /coaches, not POST /coaches too).
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
        else:
            error = _HTTP_CODES.get(exc.status_code, errors.InvalidRequest)(str(exc.detail))
        response = envelope(error)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response
