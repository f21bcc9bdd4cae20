"""gRPC AuthService: translates protobuf to the core's calls and back, nothing more."""

from __future__ import annotations

from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth.apikeys import ApiKey
from services.auth.core import AuthCore, TokenPair
from services.auth.users import User
from services.kit.context import Principal, principal_var
from services.kit.readiness import SetAtWarmUp
from services.kit.service_identity import SECRET_HEADER, SERVICE_HEADER
from services.kit.tokens import INTERNAL_TTL_SECONDS


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _user(user: User) -> auth_pb2.User:
    return auth_pb2.User(id=user.id, username=user.username, email=user.email, full_name=user.full_name,
                         role=user.role, created_at=_ts(user.created_at), updated_at=_ts(user.updated_at))


def _api_key(key: ApiKey) -> auth_pb2.ApiKey:
    return auth_pb2.ApiKey(id=key.id, name=key.name, prefix=key.prefix, created_at=_ts(key.created_at),
                           last_used_at=_ts(key.last_used_at), revoked=key.revoked)


def _tokens(pair: TokenPair) -> auth_pb2.TokenResponse:
    return auth_pb2.TokenResponse(access_token=pair.access_token, token_type=pair.token_type,
                                  expires_in=pair.expires_in, refresh_token=pair.refresh_token)


def _opt(message, field: str) -> str | None:
    return getattr(message, field) if message.HasField(field) else None


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    # Set by the service's warm-up (services/auth/main.py) once the database and signing key are ready.
    core = SetAtWarmUp("The auth service is starting up; retry in a few seconds")

    def __init__(self, core: AuthCore | None = None) -> None:
        self.core = core

    async def Register(self, request, context: grpc.aio.ServicerContext):
        return _user(await self.core.register(request.username, request.email, request.password,
                                              request.full_name, request.role))

    async def Login(self, request, context):
        return _tokens(await self.core.login(request.username, request.password))

    async def Refresh(self, request, context):
        return _tokens(await self.core.refresh(request.refresh_token))

    async def Logout(self, request, context):
        await self.core.logout(request.refresh_token)
        return auth_pb2.SuccessResponse(success=True, message="Logged out")

    async def GetProfile(self, request, context):
        return _user(await self.core.profile(principal_var.get()))

    async def UpdateProfile(self, request, context):
        user = await self.core.update_profile(
            principal_var.get(), email=_opt(request, "email"), full_name=_opt(request, "full_name"),
            password=_opt(request, "password"), current_password=_opt(request, "current_password"))
        return _user(user)

    async def ForgotPassword(self, request, context):
        return auth_pb2.SuccessResponse(success=True, message=await self.core.forgot_password(request.email))

    async def ResetPassword(self, request, context):
        await self.core.reset_password(request.token, request.password)
        return auth_pb2.SuccessResponse(success=True, message="Password has been reset; please log in")

    async def CreateApiKey(self, request, context):
        key, secret = await self.core.create_api_key(principal_var.get(), request.name)
        return auth_pb2.CreateApiKeyResponse(api_key=_api_key(key), key=secret)

    async def ListApiKeys(self, request, context):
        found = await self.core.list_api_keys(principal_var.get())
        return auth_pb2.ListApiKeysResponse(api_keys=[_api_key(k) for k in found], total=len(found))

    async def RevokeApiKey(self, request, context):
        await self.core.revoke_api_key(principal_var.get(), request.key_id)
        return auth_pb2.SuccessResponse(success=True, message="API key revoked")

    async def GetJwks(self, request, context):
        return auth_pb2.Jwks(keys=[auth_pb2.Jwk(**jwk) for jwk in await self.core.jwks()])

    async def VerifyApiKey(self, request, context):
        p = await self.core.verify_api_key(request.key)
        return auth_pb2.Principal(user_id=p.user_id, username=p.username, role=p.role, method=p.method)

    async def IssueInternalToken(self, request, context):
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        s = request.subject
        token = await self.core.issue_internal_token(
            metadata.get(SERVICE_HEADER, ""), metadata.get(SECRET_HEADER, ""),
            Principal(user_id=s.user_id, username=s.username, role=s.role, method=s.method), request.audience)
        return auth_pb2.InternalToken(token=token, expires_in=INTERNAL_TTL_SECONDS)
