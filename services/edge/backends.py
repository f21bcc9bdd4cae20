"""gRPC stubs of the backend services and the one way the edge calls them."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kataforge.auth.v1 import auth_pb2_grpc
from kataforge.coach.v1 import coach_pb2_grpc
from kataforge.pose.v1 import pose_pb2_grpc
from kataforge.scoring.v1 import scoring_pb2_grpc
from services.kit.channels import channel
from services.kit.config import Settings
from services.kit.context import Principal, principal_var
from services.kit.grpc_errors import from_rpc_error
from services.kit.service_identity import ServiceCredentials

# Deadline for the video-heavy calls: decoding and inference of a long clip take a while.
ANALYSIS_TIMEOUT_SECONDS = 600.0


class Backends:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        addrs = {"auth": settings.auth_addr, "coach": settings.coach_addr, "pose": settings.pose_addr,
                 "scoring": settings.scoring_addr}
        self.credentials = ServiceCredentials.from_settings(settings, "edge")  # calls each as its verified caller
        self.channels = {name: channel(addr, audience=name, credentials=self.credentials)
                         for name, addr in addrs.items()}
        # Health is read on channels of its own: the calls' channels treat a NOT_SERVING backend as not there.
        self.health_channels = {name: channel(addr, health_checked=False, tls=self.credentials.tls)
                                for name, addr in addrs.items()}
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channels["auth"])
        self.coach = coach_pb2_grpc.CoachServiceStub(self.channels["coach"])
        self.pose = pose_pb2_grpc.PoseServiceStub(self.channels["pose"])
        self.scoring = scoring_pb2_grpc.ScoringServiceStub(self.channels["scoring"])

    async def call(self, method: Callable[..., Awaitable[Any]], request: Any, *,
                   principal: Principal | None = None, timeout: float | None = None) -> Any:
        """Call a backend RPC as `principal` with a deadline; gRPC failures become domain errors."""
        token = principal_var.set(principal)
        try:
            return await method(request, timeout=timeout or self.settings.timeout)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        finally:
            principal_var.reset(token)

    async def stream(self, method: Callable[..., Any], request: Any, *, principal: Principal | None = None,
                     timeout: float | None = None) -> AsyncIterator[Any]:
        """The replies of a server-streaming RPC called as `principal`; gRPC failures become domain errors."""
        token = principal_var.set(principal)
        try:
            call = method(request, timeout=timeout or self.settings.timeout)  # metadata is taken here
        finally:
            principal_var.reset(token)
        try:
            async for reply in call:
                yield reply
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        finally:
            call.cancel()  # the consumer stopped early (client gone, analysis cancelled): end the RPC

    async def health(self, name: str) -> str:
        """'healthy', 'unhealthy' (answers but not serving) or 'unreachable'."""
        stub = health_pb2_grpc.HealthStub(self.health_channels[name])
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2.0)
        except grpc.aio.AioRpcError:
            return "unreachable"
        return "healthy" if reply.status == health_pb2.HealthCheckResponse.SERVING else "unhealthy"

    async def close(self) -> None:
        for ch in (*self.channels.values(), *self.health_channels.values()):
            await ch.close()
        await self.credentials.close()
