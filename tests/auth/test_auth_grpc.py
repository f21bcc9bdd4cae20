"""Round trip through the real gRPC server built by services.auth.main."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf.json_format import MessageToDict

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth.main import build
from services.kit.config import replace
from services.kit.grpc_errors import ERROR_TRAILER
from services.kit.service_identity import SECRET_HEADER, SERVICE_HEADER, service_secret
from services.kit.tokens import JwksVerifier
from testkit.auth_users import PASSWORD, unique
from testkit.loopback import free_port


@pytest.fixture(scope="module")
async def stub(base_settings, start_service):
    admin_name = unique("boot")
    # An auth service of its own, beside the session's (tests/conftest.py: auth_service).
    settings = replace(base_settings, admin_username=admin_name, admin_password="bootstrap password",
                       auth_addr=f"127.0.0.1:{free_port()}")
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

    # A call acting on "me", proven by the user's own access token.
    metadata = (("authorization", f"Bearer {tokens.access_token}"),)
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
    metadata = (("authorization", f"Bearer {tokens.access_token}"),)
    updated = await client.UpdateProfile(auth_pb2.UpdateProfileRequest(full_name="Chief"), metadata=metadata)
    assert updated.full_name == "Chief" and updated.email == ""
    refreshed = await client.Refresh(auth_pb2.RefreshRequest(refresh_token=tokens.refresh_token))
    done = await client.Logout(auth_pb2.LogoutRequest(refresh_token=refreshed.refresh_token))
    assert done.success


def _service(settings, name: str, secret: str | None = None) -> tuple:
    return ((SERVICE_HEADER, name), (SECRET_HEADER, secret or service_secret(settings.internal_secret, name)))


async def test_internal_tokens_only_for_a_service_credential_and_the_audiences_it_calls(stub, base_settings):
    client, _ = stub
    subject = auth_pb2.Principal(user_id="u_1", username="ann", role="coach", method="api_key")
    issued = await client.IssueInternalToken(auth_pb2.IssueInternalTokenRequest(audience="coach", subject=subject),
                                             metadata=_service(base_settings, "scoring"))
    assert 0 < issued.expires_in <= 300
    jwks = await client.GetJwks(auth_pb2.GetJwksRequest())
    claims = JwksVerifier(jwks.keys, issuer=base_settings.jwt_issuer, audience="kataforge-coach").verify(issued.token)
    assert (claims["sub"], claims["role"], claims["method"], claims["azp"]) == ("u_1", "coach", "api_key", "scoring")
    assert claims["exp"] - claims["iat"] <= 300
    refused = {
        "no credential": ((), "coach", grpc.StatusCode.UNAUTHENTICATED),
        "another service's secret": (_service(base_settings, "scoring", service_secret(base_settings.internal_secret,
                                                                                    "pose")),
                                     "coach", grpc.StatusCode.UNAUTHENTICATED),
        "a made-up secret": (_service(base_settings, "edge", "0" * 64), "coach", grpc.StatusCode.UNAUTHENTICATED),
        "an audience it does not call": (_service(base_settings, "pose"), "coach", grpc.StatusCode.PERMISSION_DENIED),
        "scoring calling the auth service": (_service(base_settings, "scoring"), "auth",
                                             grpc.StatusCode.PERMISSION_DENIED),
    }
    for why, (metadata, audience, code) in refused.items():
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.IssueInternalToken(auth_pb2.IssueInternalTokenRequest(audience=audience, subject=subject),
                                            metadata=metadata)
        assert caught.value.code() == code, why


async def test_the_auth_service_takes_only_tokens_meant_for_it(stub, base_settings):
    client, admin_name = stub
    tokens = await client.Login(auth_pb2.LoginRequest(username=admin_name, password="bootstrap password"))
    me = await client.GetProfile(auth_pb2.GetProfileRequest(),
                                 metadata=(("authorization", f"Bearer {tokens.access_token}"),))
    subject = auth_pb2.Principal(user_id=me.id, username=admin_name, role="admin", method="jwt")

    async def issued(audience: str) -> str:
        return (await client.IssueInternalToken(auth_pb2.IssueInternalTokenRequest(audience=audience, subject=subject),
                                                metadata=_service(base_settings, "edge"))).token

    for_auth = await issued("auth")
    assert (await client.GetProfile(auth_pb2.GetProfileRequest(),
                                    metadata=(("authorization", f"Bearer {for_auth}"),))).id == me.id
    for why, metadata in {
        "a token minted for the coach service": (("authorization", f"Bearer {await issued('coach')}"),),
        "a forged token": (("authorization", f"Bearer {for_auth[:-6]}AAAAAA"),),
        "the principal header alone": (("x-kataforge-principal",
                                        '{"user_id":"%s","username":"x","role":"admin","method":"jwt"}' % me.id),),
        "not a bearer token": (("authorization", f"Basic {for_auth}"),),
    }.items():
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.GetProfile(auth_pb2.GetProfileRequest(), metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, why
