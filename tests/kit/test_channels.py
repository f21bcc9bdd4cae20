"""Client channels (services/kit/channels.py) against a real coach service that restarts: a call made while
it is down waits for it within its deadline; gRPC's own failures reach a caller without internal addresses."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.kit import errors
from services.kit.channels import channel, retryable_methods, service_config
from services.kit.config import replace
from services.kit.context import ANONYMOUS_ADMIN, principal_var
from services.kit.grpc_errors import from_rpc_error
from testkit.loopback import free_port


def test_the_gets_of_the_rest_contract_and_extraction_are_retried_writes_are_not():
    methods = set(retryable_methods())
    assert ("kataforge.coach.v1.CoachService", "GetCoach") in methods
    assert ("kataforge.pose.v1.PoseService", "ExtractPoses") in methods
    assert ("kataforge.coach.v1.CoachService", "CreateCoach") not in methods
    assert ("kataforge.scoring.v1.ScoringService", "Analyze") not in methods
    configs = json.loads(service_config())["methodConfig"]
    assert configs[0] == {"name": [{}], "waitForReady": True}
    assert configs[2]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]


async def test_a_call_waits_through_a_restart_and_health_answers_at_once(base_settings, start_service, edge_credentials):
    from services.coach.main import build

    settings = replace(base_settings, coach_addr=f"127.0.0.1:{free_port()}", auth_enabled=False)
    ch = channel(settings.coach_addr, audience="coach", credentials=edge_credentials)
    stub = coach_pb2_grpc.CoachServiceStub(ch)
    token = principal_var.set(ANONYMOUS_ADMIN)
    try:
        # Down: the health check says so at once (no waiting for a backend that is not there) ...
        began = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as down:
            await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert down.value.code() == grpc.StatusCode.UNAVAILABLE and time.monotonic() - began < 2
        # ... while a call waits for the service, which starts 1.5 s later, and is answered within its deadline.
        async def list_coaches():
            return await stub.ListCoaches(coach_pb2.ListCoachesRequest(limit=1), timeout=60)
        call = asyncio.create_task(list_coaches())
        await asyncio.sleep(1.5)
        assert not call.done()
        running = await start_service(build(settings), settings)
        try:
            reply = await call
            assert reply.total >= 0
        finally:
            await running.stop()
        # Down again, with a deadline shorter than the restart: the caller learns it took too long, and the
        # message names no internal address (gRPC's own details stay in the logs).
        with pytest.raises(grpc.aio.AioRpcError) as late:
            await stub.ListCoaches(coach_pb2.ListCoachesRequest(limit=1), timeout=0.5)
        error = from_rpc_error(late.value)
        assert isinstance(error, errors.TimeoutFailure)
        unreachable = from_rpc_error(down.value)
        assert isinstance(unreachable, errors.Unavailable) and "retry shortly" in unreachable.message
        for message in (error.message, unreachable.message):
            assert "127.0.0.1" not in message and settings.coach_addr not in message and "ipv4" not in message
    finally:
        principal_var.reset(token)
        await ch.close()


async def test_a_write_waits_until_the_backend_has_warmed_up(base_settings, start_service, edge_credentials):
    """CreateCoach is not retried (not safe to repeat): it is never sent before the service says SERVING."""
    import dataclasses
    import uuid

    from services.coach.main import build

    settings = replace(base_settings, coach_addr=f"127.0.0.1:{free_port()}", auth_enabled=False)
    spec = build(settings)
    warm_up, warmed = spec.warmup, asyncio.Event()

    async def slow_warm_up() -> None:
        await asyncio.sleep(2.0)  # listening, health NOT_SERVING, the registry's gate closed
        if warm_up is not None:
            await warm_up()
        warmed.set()

    ch = channel(settings.coach_addr, audience="coach", credentials=edge_credentials)
    token = principal_var.set(ANONYMOUS_ADMIN)
    starting = asyncio.create_task(start_service(dataclasses.replace(spec, warmup=slow_warm_up), settings))
    try:
        await asyncio.sleep(0.5)
        coach_id = f"warm_{uuid.uuid4().hex[:8]}"
        created = await coach_pb2_grpc.CoachServiceStub(ch).CreateCoach(coach_pb2.CreateCoachRequest(
            coach=coach_pb2.Coach(id=coach_id, name="Sensei", style="Karate")), timeout=30)
        assert created.id == coach_id and warmed.is_set()
    finally:
        principal_var.reset(token)
        await ch.close()
        await (await starting).stop()
