"""The metrics endpoint of a kit server (services/kit/metrics.py): GET /metrics on DOJO_METRICS_PORT, counting
the calls the server handles, up before warm-up and gone at shutdown; a taken port fails the start."""

import asyncio
import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit.channels import channel
from services.kit.config import Settings, replace
from services.kit.server import ServiceSpec, serve
from testkit.loopback import free_port

GET_STATS = "/kataforge.scoring.v1.ScoringService/GetStats"


class Stats(scoring_pb2_grpc.ScoringServiceServicer):
    async def GetStats(self, request, context):
        return scoring_pb2.ScoringStats(analyses_total=3)


def register(server):
    scoring_pb2_grpc.add_ScoringServiceServicer_to_server(Stats(), server)
    return ["kataforge.scoring.v1.ScoringService"]


def sample(text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def settings_with(metrics_port: int, tmp_path) -> Settings:
    # Alone: no other service, and GetStats is public, so no token (and no auth service) is involved.
    return replace(Settings(), metrics_port=metrics_port, state_dir=str(tmp_path), log_level="WARNING")


async def test_a_service_serves_its_metrics_and_counts_the_calls_it_handles(tmp_path):
    port, metrics_port = free_port(), free_port()
    ready, stop, warm = asyncio.Event(), asyncio.Event(), asyncio.Event()
    spec = ServiceSpec("scoring", port, register, warmup=warm.wait, public=frozenset({GET_STATS}))
    task = asyncio.create_task(serve(spec, settings_with(metrics_port, tmp_path), ready=ready, stop=stop))
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    ch = channel(f"127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(200):  # scrapable while the service still warms up
                try:
                    before = (await http.get(url)).text
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            assert not ready.is_set() and "# TYPE kataforge_rpc_total counter" in before
            warm.set()
            await asyncio.wait_for(ready.wait(), 10)
            stub = scoring_pb2_grpc.ScoringServiceStub(ch)
            assert (await stub.GetStats(scoring_pb2.GetStatsRequest(), timeout=5)).analyses_total == 3
            after = (await http.get(url)).text
        ok = {"method": GET_STATS, "code": "OK"}
        assert sample(after, "kataforge_rpc_total", ok) == sample(before, "kataforge_rpc_total", ok) + 1
        timed = {"method": GET_STATS}
        assert sample(after, "kataforge_rpc_seconds_count", timed) == sample(before, "kataforge_rpc_seconds_count",
                                                                             timed) + 1
    finally:
        await ch.close()
        warm.set()
        stop.set()
        await asyncio.wait_for(task, 30)
    with pytest.raises(httpx.TransportError):  # closed with the service
        httpx.get(url, timeout=2)


async def test_a_taken_metrics_port_fails_the_start_naming_the_setting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        spec = ServiceSpec("scoring", free_port(), register, public=frozenset({GET_STATS}))
        with pytest.raises(RuntimeError, match="DOJO_METRICS_PORT"):
            await asyncio.wait_for(serve(spec, settings_with(taken.getsockname()[1], tmp_path)), 30)
