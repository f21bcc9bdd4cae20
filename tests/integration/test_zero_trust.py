"""Zero trust between services (issue 11): every backend of the running system verifies the caller's token
itself and refuses every identity it cannot verify with UNAUTHENTICATED, whoever reaches its port."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import asyncpg
import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.pose.v1 import pose_pb2_grpc
from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.auth import keys
from services.kit.context import Principal
from services.kit.tokens import internal_audience
from testkit.principals import ADMIN_PASSWORD

pytestmark = pytest.mark.integration



async def _no_chunks():
    return
    yield


# One call that needs a caller on each backend, and the address it is served at.
CALLS = {
    "auth": (lambda ch: auth_pb2_grpc.AuthServiceStub(ch).ListApiKeys, auth_pb2.ListApiKeysRequest, "auth_addr"),
    "coach": (lambda ch: coach_pb2_grpc.CoachServiceStub(ch).ListCoaches, lambda: coach_pb2.ListCoachesRequest(limit=1),
              "coach_addr"),
    "pose": (lambda ch: pose_pb2_grpc.PoseServiceStub(ch).ExtractPoses, _no_chunks, "pose_addr"),
    "scoring": (lambda ch: scoring_pb2_grpc.ScoringServiceStub(ch).ListAnalyses,
                lambda: scoring_pb2.ListAnalysesRequest(limit=1), "scoring_addr"),
}


async def _status(settings, service: str, metadata: tuple) -> grpc.StatusCode:
    method, request, addr = CALLS[service]
    async with grpc.aio.insecure_channel(getattr(settings, addr)) as channel:
        try:
            await method(channel)(request(), metadata=metadata, timeout=20)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def _bearer(token: str) -> tuple:
    return (("authorization", f"Bearer {token}"),)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings, service: str, caller: Principal, **changes) -> dict:
    now = int(time.time())
    return {"iss": settings.jwt_issuer, "aud": internal_audience(service), "sub": caller.user_id,
            "username": caller.username, "role": caller.role, "method": caller.method, "iat": now, "exp": now + 300,
            "jti": uuid.uuid4().hex, **changes}


@pytest.fixture(scope="module")
async def caller(system, system_settings) -> Principal:
    """The system's first admin (a real account: the auth service checks that a caller still exists)."""
    async with grpc.aio.insecure_channel(system_settings.auth_addr) as channel:
        tokens = await auth_pb2_grpc.AuthServiceStub(channel).Login(
            auth_pb2.LoginRequest(username="root", password=ADMIN_PASSWORD), timeout=20)
    return Principal(user_id=jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"],
                     username="root", role="admin", method="jwt")


@pytest.fixture(scope="module")
async def signing_key(system, system_settings) -> keys.SigningKey:
    """The auth service's own active key, read where it keeps it: to sign tokens that differ in one way only."""
    pool = await asyncpg.create_pool(system_settings.database_url, min_size=1, max_size=1,
                                     server_settings={"search_path": "auth"})
    try:
        return await keys.ensure_active(pool)
    finally:
        await pool.close()


@pytest.mark.parametrize("service", list(CALLS))
async def test_each_backend_takes_only_a_verified_token_meant_for_it(system, system_settings, edge_credentials,
                                                                      signing_key, caller, service):
    key = signing_key
    other = "coach" if service != "coach" else "scoring"
    public_pem = key.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims(system_settings, service, caller)).encode())}"
    hs256_with_public_key = f"{signing_input}.{_b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"
    unsigned = jwt.encode(_claims(system_settings, service, caller), None, algorithm="none")
    sign = lambda claims, private=key.private_key: jwt.encode(claims, private, algorithm="RS256",  # noqa: E731
                                                               headers={"kid": key.kid})

    # Accepted: an internal token the auth service minted for this service (what the edge sends).
    accepted = await _status(system_settings, service, _bearer(await edge_credentials.token(caller, service)))
    assert accepted not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    refused = {
        "no token, an admin claimed in the old principal header": (
            ("x-kataforge-principal", json.dumps({"user_id": caller.user_id, "username": "x", "role": "admin",
                                                  "method": "jwt"})),),
        "a valid token replayed from another service": _bearer(await edge_credentials.token(caller, other)),
        "an expired internal token": _bearer(sign(_claims(system_settings, service, caller, iat=int(time.time()) - 900,
                                                          exp=int(time.time()) - 600))),
        "a token signed by a key that is not in the JWKS": _bearer(sign(_claims(system_settings, service, caller),
                                                                        stranger)),
        "alg none": _bearer(unsigned),
        "HS256 keyed with the public key": _bearer(hs256_with_public_key),
        "another issuer": _bearer(sign(_claims(system_settings, service, caller, iss="someone-else"))),
        "a role that does not exist": _bearer(sign(_claims(system_settings, service, caller, role="root"))),
    }
    for why, metadata in refused.items():
        assert await _status(system_settings, service, metadata) == grpc.StatusCode.UNAUTHENTICATED, why
