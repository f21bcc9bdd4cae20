"""Envoy's external authorization (envoy.service.auth.v3.Authorization/Check) for API-key callers.

Envoy's transcoder sends a REST call straight to a backend, which verifies a bearer token itself (zero
trust); an API key is no token. So Envoy asks here, after transcoding (deploy/envoy/envoy.yaml puts
ext_authz after grpc_json_transcoder, where the path names the gRPC method): for a call with an X-API-Key
and no Authorization, the key is verified and swapped for an internal token for that one service (aud
kataforge-<service>, 5 minutes), the key itself not passed on. Everything else passes unchanged: a bearer
token (jwt_authn checked it; the backend checks it again), no credential at all (the backend refuses what
needs one), and calls Envoy hands to the edge (which takes API keys itself). A bad key is refused here with
401 and the spec's envelope.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import grpc
from google.rpc import code_pb2, status_pb2

from kataforge.gateway.v1 import ext_authz_pb2 as authz
from services.kit import errors

log = logging.getLogger(__name__)

# Envoy's service and method names: its ext_authz filter calls exactly this path.
SERVICE = "envoy.service.auth.v3.Authorization"
_REPLACE = authz.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


def _allowed(headers: list[tuple[str, str]] = ()) -> authz.CheckResponse:
    return authz.CheckResponse(status=status_pb2.Status(code=code_pb2.OK), ok_response=authz.OkHttpResponse(
        headers=[authz.HeaderValueOption(header=authz.HeaderValue(key=k, value=v), append_action=_REPLACE)
                 for k, v in headers],
        headers_to_remove=["x-api-key"] if headers else []))


def _denied(error: errors.DomainError) -> authz.CheckResponse:
    body = {"error": {**error.to_dict(), "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}
    return authz.CheckResponse(
        status=status_pb2.Status(code=code_pb2.UNAUTHENTICATED if error.http_status == 401
                                 else code_pb2.PERMISSION_DENIED),
        denied_response=authz.DeniedHttpResponse(
            status=authz.HttpStatus(code=error.http_status), body=json.dumps(body),
            headers=[authz.HeaderValueOption(header=authz.HeaderValue(key="content-type", value="application/json"))]))


def service_of(path: str) -> str | None:
    """"/kataforge.coach.v1.CoachService/GetCoach" -> "coach"; None for any other path (a REST one)."""
    parts = path.lstrip("/").split(".")
    return parts[1] if path.startswith("/kataforge.") and len(parts) > 2 else None


class EnvoyAuthorization:
    def __init__(self, core_of) -> None:
        self.core_of = core_of  # () -> AuthCore, set at the auth service's warm-up

    def handler(self) -> grpc.GenericRpcHandler:
        """Check under Envoy's method name, (de)serialised with our subset of its messages."""
        return grpc.method_handlers_generic_handler(SERVICE, {"Check": grpc.unary_unary_rpc_method_handler(
            self.Check, request_deserializer=authz.CheckRequest.FromString,
            response_serializer=authz.CheckResponse.SerializeToString)})

    async def Check(self, request: authz.CheckRequest, context: grpc.aio.ServicerContext) -> authz.CheckResponse:
        http = request.attributes.request.http
        headers = {k.lower(): v for k, v in http.headers.items()}
        service, key = service_of(http.path), headers.get("x-api-key", "")
        if service is None or headers.get("authorization") or not key:
            return _allowed()
        try:
            token = await self.core_of().exchange_api_key(key, service)
        except (errors.Unauthorized, errors.Forbidden) as exc:
            return _denied(exc)
        return _allowed([("authorization", f"Bearer {token}")])
