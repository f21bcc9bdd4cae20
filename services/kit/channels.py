"""Client channels to other services: request id, principal and trace context on every call."""

from __future__ import annotations

from typing import Any

import grpc

from services.kit import telemetry
from services.kit.context import PRINCIPAL_HEADER, REQUEST_ID_HEADER, principal_var, request_id_var


def outgoing_metadata(existing: Any = None) -> list[tuple[str, str]]:
    metadata = [(k, v) for k, v in (existing or ()) if k not in (REQUEST_ID_HEADER, PRINCIPAL_HEADER)]
    if request_id := request_id_var.get():
        metadata.append((REQUEST_ID_HEADER, request_id))
    if (principal := principal_var.get()) is not None:
        metadata.append((PRINCIPAL_HEADER, principal.to_header()))
    carrier: dict[str, str] = {}
    telemetry.inject(carrier)
    metadata.extend(carrier.items())
    return metadata


def _with_context(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(details.method, details.timeout, outgoing_metadata(details.metadata),
                                      details.credentials, details.wait_for_ready)


# grpc.aio files each interceptor under the first call type it implements, so one class per type.
class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(_with_context(details), request)


class _StreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(_with_context(details), request_iterator)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(_with_context(details), request)


class _StreamStream(grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(_with_context(details), request_iterator)


def channel(addr: str) -> grpc.aio.Channel:
    """An insecure channel (the mesh provides mTLS) with our metadata interceptor."""
    return grpc.aio.insecure_channel(
        addr,
        interceptors=[_UnaryUnary(), _StreamUnary(), _UnaryStream(), _StreamStream()],
        options=[("grpc.max_receive_message_length", 160 * 1024 * 1024),
                 ("grpc.max_send_message_length", 160 * 1024 * 1024)],
    )
