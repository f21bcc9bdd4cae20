"""Server interceptor: request id, the caller verified from its token, trace context, access log, metrics and
error mapping.

Zero trust between services: the caller of an RPC is whoever the `authorization: Bearer <token>` metadata
proves, verified here against the auth service's JWKS (services/kit/tokens.py): a user's access token or an
internal token minted for this very service. Nothing else in the metadata says who is calling. A call
without a token is refused with UNAUTHENTICATED unless its method is one of the service's public ones
(signing in, the JWKS, the token issue itself); a bad token is refused on every method."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Awaitable, Callable

import grpc
from google.protobuf import descriptor_pool
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from kataforge.common.v1 import common_pb2
from services.kit import errors, telemetry
from services.kit.context import AUTHORIZATION, REQUEST_ID_HEADER, clean_request_id, principal_var, request_id_var
from services.kit.grpc_errors import HTTP_STATUS_METADATA, abort_with
from services.kit.text_fields import refuse_nul
from services.kit.tokens import TokenVerifier

log = logging.getLogger("kataforge.rpc")

RPC_TOTAL = Counter("kataforge_rpc_total", "gRPC calls handled", ["method", "code"])
RPC_SECONDS = Histogram("kataforge_rpc_seconds", "gRPC call duration", ["method"])


class _MethodMetrics:
    """One method's metric children, looked up once: `labels()` takes a lock and builds a key on each use,
    and every call of a backend paid it twice (bench/api_path.py's CPU per request)."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.seconds = RPC_SECONDS.labels(method)
        self._totals: dict[str, Any] = {}

    def done(self, code: str, elapsed: float) -> None:
        total = self._totals.get(code)
        if total is None:
            total = self._totals[code] = RPC_TOTAL.labels(self.method, code)
        total.inc()
        self.seconds.observe(elapsed)


class _CallScope:
    """Sets the per-call context from metadata and restores it afterwards."""

    def __init__(self, metrics: _MethodMetrics, context: grpc.aio.ServicerContext) -> None:
        self.metrics = metrics
        self.method = metrics.method
        self.context = context
        found = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        self.request_id = clean_request_id(found.get(REQUEST_ID_HEADER))
        self.authorization = found.get(AUTHORIZATION, "")
        self.trace_ctx = telemetry.extract(found)

    def __enter__(self) -> "_CallScope":
        self.tokens = (request_id_var.set(self.request_id), principal_var.set(None))
        # The call's span made current in the caller's trace context by one attach (start_as_current_span
        # would attach twice, through two generator-based context managers).
        self.span = telemetry.tracer("kataforge.rpc").start_span(self.method, context=self.trace_ctx,
                                                                 kind=SpanKind.SERVER)
        self.otel_token = otel_context.attach(trace.set_span_in_context(self.span, self.trace_ctx))
        self.started = time.perf_counter()
        self.code = "OK"
        return self

    def __exit__(self, *exc: Any) -> None:
        elapsed = time.perf_counter() - self.started
        self.metrics.done(self.code, elapsed)
        log.info("rpc %s %s", self.method, self.code,
                 extra={"method": self.method, "status": self.code, "duration_ms": round(elapsed * 1000, 1)})
        self.span.end()
        otel_context.detach(self.otel_token)
        request_id_var.reset(self.tokens[0])
        principal_var.reset(self.tokens[1])

    async def authenticate(self, verifier: TokenVerifier | None, public: bool) -> None:
        """Set the verified caller; Unauthorized for a bad token, or for none where the method needs one."""
        scheme, _, token = self.authorization.partition(" ")
        if token.strip() and scheme.lower() == "bearer":
            if verifier is None:
                raise errors.Unauthorized("This service cannot verify tokens")
            principal_var.set(await verifier.principal(token.strip()))
        elif self.authorization or not public:
            raise errors.Unauthorized("This call needs the caller's token: 'authorization: Bearer <token>' "
                                      "(a user's access token, or an internal token from the auth service)")

    async def fail(self, exc: BaseException) -> None:
        if isinstance(exc, errors.DomainError):
            self.code = exc.code
            await abort_with(self.context, exc)
        elif isinstance(exc, (grpc.aio.AbortError, grpc.aio.UsageError)):
            self.code = "aborted"
            raise exc
        elif isinstance(exc, asyncio.CancelledError):
            # The caller went away (cancelled, timed out, or its process died): not a fault of this service.
            self.code = "cancelled"
            log.info("%s cancelled by the caller", self.method)
            raise exc
        else:
            self.code = "internal_error"
            log.exception("unhandled error in %s", self.method)
            await abort_with(self.context, errors.DomainError("Internal server error", request_id=self.request_id))


@functools.cache
def success_status(method: str) -> int:
    """The method's success_status option (common.proto), 0 when it has none: "/pkg.Service/Method"."""
    try:
        found = descriptor_pool.Default().FindMethodByName(method.lstrip("/").replace("/", "."))
    except KeyError:
        return 0
    return found.GetOptions().Extensions[common_pb2.success_status]


def _wrap_unary(method: str, behavior: Callable[..., Awaitable[Any]], verifier: TokenVerifier | None,
                public: bool):
    status = success_status(method)
    metrics = _MethodMetrics(method)

    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        with _CallScope(metrics, context) as scope:
            try:
                await scope.authenticate(verifier, public)
                refuse_nul(request)  # a request stream (stream_unary) is not a message: skipped
                reply = await behavior(request, context)
                if status:  # 201 Created, 202 Accepted: for a transcoding gateway (deploy/envoy)
                    await context.send_initial_metadata(((HTTP_STATUS_METADATA, str(status)),))
                return reply
            except BaseException as exc:  # noqa: BLE001 - mapped to a status in one place
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                await scope.fail(exc)
    return wrapped


def _wrap_stream(method: str, behavior: Callable[..., Any], verifier: TokenVerifier | None, public: bool):
    metrics = _MethodMetrics(method)

    async def wrapped(request: Any, context: grpc.aio.ServicerContext):
        with _CallScope(metrics, context) as scope:
            try:
                await scope.authenticate(verifier, public)
                refuse_nul(request)
                async for item in behavior(request, context):
                    yield item
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)):
                    raise
                await scope.fail(exc)
    return wrapped


class KitServerInterceptor(grpc.aio.ServerInterceptor):
    """verifier: the service's TokenVerifier; public: full method names ("/pkg.Service/Method") callable
    without a token (the rest need one)."""

    def __init__(self, verifier: TokenVerifier | None = None, public: frozenset[str] = frozenset()) -> None:
        self.verifier, self.public = verifier, public
        # method -> its wrapped handler, made at the method's first call: the server's handlers never change,
        # and wrapping anew cost every call a lookup and two new objects (bench/api_path.py's coach profile).
        self._wrapped: dict[str, Any] = {}

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            handler = await continuation(handler_call_details)
            if handler is None:
                return None  # unknown methods are not kept: their names are the caller's to choose
            wrapped = self._wrapped[method] = self._wrap(method, handler)
        return wrapped

    def _wrap(self, method: str, handler):
        if method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        kwargs = dict(request_deserializer=handler.request_deserializer,
                      response_serializer=handler.response_serializer)
        auth = (self.verifier, method in self.public)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(_wrap_unary(method, handler.unary_unary, *auth), **kwargs)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(_wrap_unary(method, handler.stream_unary, *auth), **kwargs)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(_wrap_stream(method, handler.unary_stream, *auth), **kwargs)
        return grpc.stream_stream_rpc_method_handler(_wrap_stream(method, handler.stream_stream, *auth),
                                                     **kwargs)
