"""Client channels to other services: request id, trace context and the caller's internal token on every
call (services/kit/service_identity.py), and the service config that rides through a backend's restart.

Riding through restarts (gRPC's own machinery, no retry loop of ours): every call waits for its backend to be
reachable within its deadline (waitForReady) instead of failing at once while the backend restarts; the
channel tries to reconnect every 0.1-1 s (gRPC's default backs off up to 2 minutes); and the calls that are
safe to repeat (RETRYABLE: every GET of the REST contract, the pose service's side-effect-free extraction,
key and JWKS lookups) are retried by gRPC's retry policy on UNAVAILABLE, which a backend also answers while
it warms up (services/kit/readiness.py). A backend counts as ready only while its gRPC health says SERVING
(client-side health checking), so a call also waits through its warm-up and away from a draining replica.
Health checks themselves answer at once, reachable or not.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import grpc
from google.api import annotations_pb2

from services.kit import telemetry
from services.kit.context import AUTHORIZATION, REQUEST_ID_HEADER, Principal, principal_var, request_id_var

if TYPE_CHECKING:
    from services.kit.service_identity import ServiceCredentials
    from services.kit.transport_security import TlsIdentity



def outgoing_metadata(existing: Any = None, token: str | None = None) -> list[tuple[str, str]]:
    metadata = [(k, v) for k, v in (existing or ()) if k not in (REQUEST_ID_HEADER, AUTHORIZATION)]
    if request_id := request_id_var.get():
        metadata.append((REQUEST_ID_HEADER, request_id))
    if token:
        metadata.append((AUTHORIZATION, f"Bearer {token}"))
    carrier: dict[str, str] = {}
    telemetry.inject(carrier)
    metadata.extend(carrier.items())
    return metadata


class _Context:
    """Adds the call's context: request id, trace, and the caller's internal token for the audience."""

    def __init__(self, credentials: "ServiceCredentials | None", audience: str | None,
                 caller: Principal | None) -> None:
        self.credentials, self.audience, self.caller = credentials, audience, caller

    async def details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        token = None
        principal = principal_var.get() or self.caller
        if principal is not None and self.credentials is not None and self.audience:
            token = await self.credentials.token(principal, self.audience)
        return grpc.aio.ClientCallDetails(details.method, details.timeout, outgoing_metadata(details.metadata, token),
                                          details.credentials, details.wait_for_ready)


# grpc.aio files each interceptor under the first call type it implements, so one class per type.
class _UnaryUnary(_Context, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(await self.details(details), request)


class _StreamUnary(_Context, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(await self.details(details), request_iterator)


class _UnaryStream(_Context, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(await self.details(details), request)


class _StreamStream(_Context, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(await self.details(details), request_iterator)


# Calls without a GET annotation that are still safe to repeat: lookups, and extraction, which changes nothing.
_ALSO_RETRYABLE = {"kataforge.auth.v1.AuthService": ("GetJwks", "VerifyApiKey"),
                   "kataforge.pose.v1.PoseService": ("ExtractPoses", "ExtractPosesWithProgress", "GetInfo")}
RETRY_POLICY = {"maxAttempts": 5, "initialBackoff": "0.1s", "maxBackoff": "1s", "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"]}
# A streamed upload can be retried while what was sent is still buffered (gRPC keeps 256 KiB by default).
RETRY_BUFFER_BYTES = 16 * 1024 * 1024


def retryable_methods() -> list[tuple[str, str]]:
    """(service, method) of every call safe to repeat: GET in the REST contract, or listed above."""
    from kataforge.auth.v1 import auth_pb2
    from kataforge.coach.v1 import coach_pb2
    from kataforge.pose.v1 import pose_pb2
    from kataforge.scoring.v1 import scoring_pb2

    out = []
    for module in (auth_pb2, coach_pb2, pose_pb2, scoring_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                is_get = options.HasExtension(annotations_pb2.http) and \
                    options.Extensions[annotations_pb2.http].WhichOneof("pattern") == "get"
                if is_get or method.name in _ALSO_RETRYABLE.get(service.full_name, ()):
                    out.append((service.full_name, method.name))
    return out


@lru_cache(maxsize=2)
def service_config(health_checked: bool = True) -> str:
    """The channels' gRPC service config (JSON): wait for the backend, retry what is safe to repeat.

    health_checked: a backend counts as ready only while its gRPC health says SERVING (gRPC's client-side
    health checking, which round_robin supports): calls made while it warms up or drains wait for it."""
    retryable = [{"service": s, "method": m} for s, m in retryable_methods()]
    config: dict[str, Any] = {"methodConfig": [
        {"name": [{}], "waitForReady": True},
        {"name": [{"service": "grpc.health.v1.Health"}], "waitForReady": False},
        {"name": retryable, "waitForReady": True, "retryPolicy": RETRY_POLICY},
    ]}
    if health_checked:
        config.update(loadBalancingConfig=[{"round_robin": {}}], healthCheckConfig={"serviceName": ""})
    return json.dumps(config)


def channel(addr: str, *, audience: str | None = None, credentials: "ServiceCredentials | None" = None,
            caller: Principal | None = None, health_checked: bool = True,
            tls: "TlsIdentity | None" = None) -> grpc.aio.Channel:
    """A channel with our metadata interceptor and service config: over mutual TLS with `tls` (or the
    credentials' own TLS identity; services/kit/transport_security.py), else plaintext (one machine, or a
    mesh that provides mTLS).
    audience, credentials: the service at addr ("coach", ...) and the calling service's credentials: each
    call made with a principal set carries an internal token for that audience on the principal's behalf.
    caller: who calls when no principal is set (an internal client acting as one identity of its own).
    health_checked=False: for reading a backend's health itself (it answers NOT_SERVING while warming up)."""
    context = (credentials, audience, caller)
    tls = tls or (credentials.tls if credentials is not None else None)
    secure = {"credentials": tls.channel_credentials()} if tls else {}
    return (grpc.aio.secure_channel if tls else grpc.aio.insecure_channel)(
        addr, **secure,
        interceptors=[_UnaryUnary(*context), _StreamUnary(*context), _UnaryStream(*context),
                      _StreamStream(*context)],
        options=[("grpc.max_receive_message_length", 160 * 1024 * 1024),
                 ("grpc.max_send_message_length", 160 * 1024 * 1024),
                 ("grpc.service_config", service_config(health_checked)), ("grpc.enable_retries", 1),
                 ("grpc.per_rpc_retry_buffer_size", RETRY_BUFFER_BYTES),
                 ("grpc.retry_buffer_size", 4 * RETRY_BUFFER_BYTES),
                 ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                 ("grpc.max_reconnect_backoff_ms", 1000)],
    )
