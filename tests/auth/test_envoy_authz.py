"""Envoy's ext_authz check (services/auth/envoy_authz.py) over the real auth core: an API key on a transcoded
call becomes an internal token for that one service; everything else passes unchanged; a bad key is a 401."""

from __future__ import annotations

import json

import jwt
import pytest
from kataforge.gateway.v1 import ext_authz_pb2 as authz

from services.auth.envoy_authz import EnvoyAuthorization, service_of
from services.kit.context import Principal
from services.kit.errors import Unauthorized
from testkit.auth_users import register


def check(path: str, **headers: str) -> authz.CheckRequest:
    http = authz.AttributeContext.HttpRequest(method="POST", path=path, headers=headers)
    return authz.CheckRequest(attributes=authz.AttributeContext(request=authz.AttributeContext.Request(http=http)))


def test_the_service_is_read_from_the_grpc_path():
    assert service_of("/kataforge.coach.v1.CoachService/GetCoach") == "coach"
    assert service_of("/coaches/nagato") is None and service_of("/kataforge") is None


async def test_an_api_key_becomes_a_token_for_the_one_service_called(core):
    user = await register(core, role="coach")
    _, key = await core.create_api_key(Principal(user.id, user.username, user.role, "jwt"), "envoy")
    authz = EnvoyAuthorization(lambda: core)
    reply = await authz.Check(check("/kataforge.coach.v1.CoachService/GetCoach", **{"x-api-key": key}), None)
    assert reply.status.code == 0
    (added,) = reply.ok_response.headers
    assert added.header.key == "authorization" and list(reply.ok_response.headers_to_remove) == ["x-api-key"]
    claims = jwt.decode(added.header.value.removeprefix("Bearer "), options={"verify_signature": False})
    assert (claims["aud"], claims["sub"], claims["method"], claims["azp"]) == (
        "kataforge-coach", user.id, "api_key", "gateway")
    assert claims["exp"] - claims["iat"] <= 300

    # Unchanged: a bearer token, no credential, a REST path (the edge takes the key itself).
    for request in (check("/kataforge.coach.v1.CoachService/GetCoach", authorization="Bearer x", **{"x-api-key": key}),
                    check("/kataforge.coach.v1.CoachService/GetCoach"),
                    check("/models", **{"x-api-key": key})):
        reply = await authz.Check(request, None)
        assert reply.status.code == 0 and not reply.ok_response.headers

    denied = await authz.Check(check("/kataforge.scoring.v1.ScoringService/ListModels", **{"x-api-key": "kf_bad"}),
                               None)
    assert denied.status.code == 16 and denied.denied_response.status.code == 401
    assert json.loads(denied.denied_response.body)["error"]["code"] == "unauthorized"
    # A service no gateway calls (pose has no REST route): refused, not minted.
    pose = await authz.Check(check("/kataforge.pose.v1.PoseService/ExtractPoses", **{"x-api-key": key}), None)
    assert pose.denied_response.status.code == 403


async def test_a_key_exchanged_again_reuses_its_token_until_revoked_here(core):
    """Envoy asks for every call: the second call within the keeping gets the same token (no second key
    lookup or signature, and the backend's verified-token cache applies); another service gets its own;
    a revocation through this auth service ends the keeping at once."""
    user = await register(core, role="coach")
    principal = Principal(user.id, user.username, user.role, "jwt")
    record, key = await core.create_api_key(principal, "envoy")
    first = await core.exchange_api_key(key, "coach")
    assert await core.exchange_api_key(key, "coach") == first
    other = await core.exchange_api_key(key, "scoring")
    assert other != first and jwt.decode(other, options={"verify_signature": False})["aud"] == "kataforge-scoring"
    await core.revoke_api_key(principal, record.id)
    with pytest.raises(Unauthorized):
        await core.exchange_api_key(key, "coach")
