"""grpc.aio server bootstrap: health (SERVING only after warm-up), reflection, metrics endpoint, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

try:  # libuv's event loop: a pinned dependency wherever it installs (not on Windows, where asyncio's serves)
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

from services.kit import logs, metrics, telemetry, transport_security
from services.kit.config import Settings
from services.kit.interceptors import KitServerInterceptor
from services.kit.service_identity import jwks_from_auth
from services.kit.tokens import TokenVerifier, internal_audience

log = logging.getLogger("kataforge.server")

MAX_MESSAGE_BYTES = 160 * 1024 * 1024  # room for a 100 MiB video sent as base64 in one message
SHUTDOWN_GRACE_SECONDS = 20.0


@dataclass
class ServiceSpec:
    """What a service contributes; the kit does the rest."""

    name: str
    port: int
    # Adds the servicers to the server and returns their full names (for health and reflection).
    register: Callable[[grpc.aio.Server], list[str]]
    warmup: Callable[[], Awaitable[None]] | None = None
    close: Callable[[], Awaitable[None]] | None = None
    # Full method names ("/pkg.Service/Method") callable without a token; every other call needs one.
    public: frozenset[str] = frozenset()
    # Where its verifier gets the JWKS: the auth service's GetJwks unless given (the auth service's own keys).
    jwks: Callable[[], Awaitable[Any]] | None = None


def run(spec: ServiceSpec, settings: Settings) -> None:
    """A service's process: `serve` on libuv's event loop (uvloop), as uvicorn runs the edge.

    grpc.aio runs on any asyncio loop; on uvloop the coach's CPU per small call fell from 0.53-0.56 to 0.51 ms
    (bench/api_path.py's CPU table, one run each), and a bare grpc.aio echo's from 0.23 to 0.16 ms.
    """
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        runner.run(serve(spec, settings))


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


async def serve(spec: ServiceSpec, settings: Settings, *, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then drain in-flight calls and close."""
    logs.configure(spec.name, settings.log_level)
    telemetry.configure(spec.name, settings.otel_exporter, settings.otel_endpoint)
    # A user's access token, or an internal token minted for this service (and no other).
    tls = transport_security.identity(settings)
    verifier = TokenVerifier(spec.jwks or jwks_from_auth(settings.auth_addr, tls), issuer=settings.jwt_issuer,
                             audiences=(settings.jwt_audience, internal_audience(spec.name)))
    server = grpc.aio.server(
        interceptors=[KitServerInterceptor(verifier, spec.public)],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)],
    )
    names = spec.register(server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    reflection.enable_server_reflection([*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                                         reflection.SERVICE_NAME], server)
    address = f"{settings.grpc_bind_host}:{spec.port}"
    bound = server.add_secure_port(address, tls.server_credentials()) if tls else server.add_insecure_port(address)
    if not bound:
        raise RuntimeError(f"{spec.name}: cannot bind port {spec.port}")
    await server.start()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    log.info("%s listening on %s:%d, warming up", spec.name, settings.grpc_bind_host, bound)
    endpoint = None
    try:
        # Before warm-up, which can take a while (models, the database): the process is scrapable meanwhile.
        if settings.metrics_port > 0:
            endpoint = metrics.start(settings.grpc_bind_host, settings.metrics_port, spec.name)
            log.info("%s metrics on %s:%d/metrics", spec.name, settings.grpc_bind_host, endpoint.port)
        if spec.warmup is not None:
            await spec.warmup()
        for name in ["", *names]:
            await health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("%s serving", spec.name)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        log.info("%s shutting down: draining in-flight calls", spec.name)
        await health.enter_graceful_shutdown()
        await server.stop(SHUTDOWN_GRACE_SECONDS)
        try:
            if spec.close is not None:
                await spec.close()
        finally:
            if endpoint is not None:
                await asyncio.to_thread(endpoint.close)  # waits for a scrape in progress
        log.info("%s stopped", spec.name)
