"""Round trip through the real gRPC server built by services.auth.main."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf.json_format import MessageToDict

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth.main import build
from services.auth.verify import JwksVerifier
from services.kit.config import replace
from services.kit.context import PRINCIPAL_HEADER, Principal
from services.kit.grpc_errors import ERROR_TRAILER
from tests.auth.support import PASSWORD, unique


@pytest.fixture(scope="module")
async def stub(base_settings, start_service):
    admin_name = unique("boot")
    settings = replace(base_settings, admin_username=admin_name, admin_password="bootstrap password")
    running = await start_service(build(settings), settings)
    channel = grpc.aio.insecure_channel(settings.auth_addr)
    yield auth_pb2_grpc.AuthServiceStub(channel), admin_name
    await channel.close()
    await running.stop()


async def test_register_login_and_verify_with_jwks(stub, base_settings):
    client, _ = stub
    name = unique()
    user = await client.Register(auth_pb2.RegisterRequest(username=name, email=f"{name}@example.com",
                                                          password=PASSWORD, full_name="Round Trip"))
    assert user.role == "student" and user.created_at.seconds > 0
    tokens = await client.Login(auth_pb2.LoginRequest(username=name, password=PASSWORD))
    assert tokens.token_type == "bearer" and tokens.expires_in == base_settings.access_token_ttl
    jwks = await client.GetJwks(auth_pb2.GetJwksRequest())
    for source in (jwks.keys, MessageToDict(jwks)):  # both ways of building the verifier
        verifier = JwksVerifier(source, issuer=base_settings.jwt_issuer, audience=base_settings.jwt_audience)
        principal = verifier.principal(tokens.access_token)
        assert (principal.user_id, principal.username, principal.role) == (user.id, name, "student")

    # A call acting on "me", with the principal the edge would forward.
    metadata = ((PRINCIPAL_HEADER, principal.to_header()),)
    profile = await client.GetProfile(auth_pb2.GetProfileRequest(), metadata=metadata)
    assert profile.id == user.id and profile.full_name == "Round Trip"
    created = await client.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="cli"), metadata=metadata)
    listed = await client.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=metadata)
    assert listed.total == 1 and listed.api_keys[0].prefix == created.api_key.prefix
    assert not listed.api_keys[0].HasField("last_used_at")
    resolved = await client.VerifyApiKey(auth_pb2.VerifyApiKeyRequest(key=created.key))
    assert (resolved.user_id, resolved.method) == (user.id, "api_key")


async def test_errors_carry_their_domain_code(stub):
    client, _ = stub
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.GetProfile(auth_pb2.GetProfileRequest())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.Register(auth_pb2.RegisterRequest(username=unique(), email="x@example.com", password=PASSWORD,
                                                       role="admin"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    trailer = dict(err.value.trailing_metadata())[ERROR_TRAILER]
    assert json.loads(trailer)["details"] == {"role": "must be 'student' or 'coach'"}


async def test_bootstrap_admin_can_log_in_and_optional_fields_work(stub, base_settings):
    client, admin_name = stub
    tokens = await client.Login(auth_pb2.LoginRequest(username=admin_name, password="bootstrap password"))
    jwks = await client.GetJwks(auth_pb2.GetJwksRequest())
    principal = JwksVerifier(jwks.keys, issuer=base_settings.jwt_issuer,
                             audience=base_settings.jwt_audience).principal(tokens.access_token)
    assert principal.role == "admin"
    metadata = ((PRINCIPAL_HEADER, Principal(principal.user_id, admin_name, "admin", "jwt").to_header()),)
    updated = await client.UpdateProfile(auth_pb2.UpdateProfileRequest(full_name="Chief"), metadata=metadata)
    assert updated.full_name == "Chief" and updated.email == ""
    refreshed = await client.Refresh(auth_pb2.RefreshRequest(refresh_token=tokens.refresh_token))
    done = await client.Logout(auth_pb2.LogoutRequest(refresh_token=refreshed.refresh_token))
    assert done.success
