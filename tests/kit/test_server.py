"""Server bootstrap: health follows warm-up, domain errors keep their code across gRPC, shutdown drains."""

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit import errors
from services.kit.channels import channel
from services.kit.context import Principal, principal_var, request_id_var
from services.kit.grpc_errors import from_rpc_error
from services.kit.server import ServiceSpec, serve
from testkit.loopback import free_port


class ProbeServicer(scoring_pb2_grpc.ScoringServiceServicer):
    """A servicer over the real contract whose behaviour the test controls, to exercise the kit."""

    def __init__(self):
        self.seen = []
        self.release = asyncio.Event()

    async def GetStats(self, request, context):
        self.seen.append((request_id_var.get(), principal_var.get()))
        await self.release.wait()
        return scoring_pb2.ScoringStats(analyses_total=7)

    async def GetAnalysis(self, request, context):
        if request.analysis_id == "boom":
            raise RuntimeError("bug")
        raise errors.NotFound("analysis", request.analysis_id)


async def test_lifecycle_errors_and_draining(base_settings, edge_credentials):
    port = free_port()
    addr = f"127.0.0.1:{port}"
    probe, warm = ProbeServicer(), asyncio.Event()

    def register(server):
        scoring_pb2_grpc.add_ScoringServiceServicer_to_server(probe, server)
        return ["kataforge.scoring.v1.ScoringService"]

    ready, stop = asyncio.Event(), asyncio.Event()
    # Named as the contract it serves: the tokens it takes are minted for the scoring service.
    task = asyncio.create_task(serve(ServiceSpec("scoring", port, register, warmup=warm.wait), base_settings,
                                     ready=ready, stop=stop))
    ch = channel(addr, audience="scoring", credentials=edge_credentials)
    health_ch = channel(addr, health_checked=False)  # health read as the edge reads it
    health = health_pb2_grpc.HealthStub(health_ch)
    stub = scoring_pb2_grpc.ScoringServiceStub(ch)
    for _ in range(100):  # wait until the port answers
        try:
            reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
            break
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.05)
    assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING  # still warming up
    warm.set()
    await asyncio.wait_for(ready.wait(), 10)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="kataforge.scoring.v1.ScoringService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    with pytest.raises(grpc.aio.AioRpcError) as caught:  # no caller: no token, refused before the servicer
        await stub.GetAnalysis(scoring_pb2.GetAnalysisRequest(analysis_id="nope"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    caller = principal_var.set(Principal("u1", "ann", "coach", "jwt"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetAnalysis(scoring_pb2.GetAnalysisRequest(analysis_id="nope"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert from_rpc_error(caught.value).to_dict() == {
        "code": "not_found", "message": "Analysis 'nope' not found", "resource": "analysis", "id": "nope"}

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetAnalysis(scoring_pb2.GetAnalysisRequest(analysis_id="boom"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "bug" not in (caught.value.details() or "")  # internals are not leaked
    principal_var.reset(caller)

    # Request id and principal travel as metadata; a call in flight survives the shutdown signal.
    token_r = request_id_var.set("req_test_123")
    token_p = principal_var.set(Principal("u1", "ann", "coach", "jwt"))

    async def get_stats():
        return await stub.GetStats(scoring_pb2.GetStatsRequest(), timeout=15)

    in_flight = asyncio.create_task(get_stats())  # the task copies the context set above
    request_id_var.reset(token_r)
    principal_var.reset(token_p)
    while not probe.seen:
        await asyncio.sleep(0.01)
    assert probe.seen[0] == ("req_test_123", Principal("u1", "ann", "coach", "jwt"))
    stop.set()
    await asyncio.sleep(0.2)
    probe.release.set()
    assert (await in_flight).analyses_total == 7
    await asyncio.wait_for(task, 30)
    await ch.close()
    await health_ch.close()
