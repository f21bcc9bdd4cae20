"""The OpenAPI document says what the edge really answers: the spec's error envelope on every route.

FastAPI documents only the success and its own 422 (HTTPValidationError, a shape the edge never sends:
services/edge/errors.py answers invalid requests with a 400 envelope). Every operation here gets the
statuses the edge and the services behind it can answer, each with the ErrorEnvelope schema; a fuzzer
reading the document (Schemathesis) then finds no undocumented status and no schema it cannot check.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# status -> when (services.kit.errors: each DomainError's http_status; 413 from the body limit).
ERROR_STATUSES = {
    "400": "Invalid request parameters (invalid_request; details names each field)",
    "401": "Authentication required or credentials invalid (unauthorized)",
    "403": "Not allowed for this caller (forbidden)",
    "404": "No such resource, or not the caller's (not_found)",
    "409": "Conflicts with existing state (conflict)",
    "413": "Request body or video too large (payload_too_large)",
    "422": "Well-formed but unusable input, e.g. no person in the video (validation_error)",
    "429": "Rate limit exceeded (rate_limit_exceeded; Retry-After)",
    "500": "Internal, model or storage error (carries request_id)",
    "503": "A service is starting or unreachable (unavailable)",
    "504": "The work took longer than allowed (timeout_error)",
}

ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "timestamp"],
        "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "timestamp": {"type": "string", "format": "date-time"},
            "request_id": {"type": "string"},
            "details": {"type": "object", "additionalProperties": True},
        },
        "additionalProperties": True,  # e.g. resource/id on 404, limit/window/retry_after on 429
    }},
}


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> None:
    """Bodies documented by hand (openapi_extra with a model's model_json_schema(): multipart and JSON on
    one route) carry pydantic's "$defs" and "#/$defs/X" references, which do not resolve from the
    document's root: move the definitions into components and point the references there."""
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            schemas.setdefault(name, schema)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        for value in list(node.values()):
            _hoist_defs(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _hoist_defs(value, schemas)


def install(app: FastAPI) -> None:
    """Replace app.openapi with one that documents the error envelope on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["ErrorEnvelope"] = ERROR_ENVELOPE
        _hoist_defs(doc, schemas)
        _hoist_defs(list(schemas.values()), schemas)  # the moved definitions' own references
        ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, why in ERROR_STATUSES.items():
                    responses[status] = {"description": why, "content": {"application/json": {"schema": ref}}}
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
