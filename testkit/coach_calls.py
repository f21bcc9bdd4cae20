"""Calls to the coach service's gRPC API as a given principal, shared by its servicer tests."""

from __future__ import annotations

import grpc
import pytest

from kataforge.coach.v1 import coach_pb2
from services.kit.context import principal_var
from services.kit.errors import DomainError
from services.kit.grpc_errors import from_rpc_error


async def call(method, request, principal):
    """Call as `principal`: the kit channel sends an internal token for it (the principal in principal_var)."""
    token = principal_var.set(principal)
    try:
        return await method(request, timeout=10)
    finally:
        principal_var.reset(token)


async def failure(method, request, principal) -> tuple[grpc.StatusCode, DomainError]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(method, request, principal)
    return caught.value.code(), from_rpc_error(caught.value)


async def create(stub, owner, coach_id, **fields) -> coach_pb2.Coach:
    coach = coach_pb2.Coach(id=coach_id, name="Nagato", style="Muay Thai", **fields)
    return await call(stub.CreateCoach, coach_pb2.CreateCoachRequest(coach=coach), owner)
