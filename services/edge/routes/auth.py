"""/auth/* and /.well-known/jwks.json: transcoded to kataforge.auth.v1.AuthService."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from kataforge.auth.v1 import auth_pb2
from services.kit.context import Principal
from services.edge.schemas import ApiKeyBody, ForgotBody, ProfileBody, RefreshBody, RegisterBody, ResetBody
from services.edge.security import require_principal
from services.edge.shaping import to_json

router = APIRouter(tags=["auth"])


def _auth(request: Request):
    return request.app.state.backends


@router.post("/auth/register", status_code=201)
async def register(body: RegisterBody, request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.Register, auth_pb2.RegisterRequest(**body.model_dump())))


@router.post("/auth/login")
async def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]):
    """Form-encoded as in the spec (`username=...&password=...`)."""
    b = _auth(request)
    return to_json(await b.call(b.auth.Login, auth_pb2.LoginRequest(username=username, password=password)))


@router.post("/auth/refresh")
async def refresh(body: RefreshBody, request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.Refresh, auth_pb2.RefreshRequest(refresh_token=body.refresh_token)))


@router.post("/auth/logout")
async def logout(body: RefreshBody, request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.Logout, auth_pb2.LogoutRequest(refresh_token=body.refresh_token)))


@router.get("/auth/profile")
async def get_profile(request: Request, principal: Principal = Depends(require_principal)):
    b = _auth(request)
    return to_json(await b.call(b.auth.GetProfile, auth_pb2.GetProfileRequest(), principal=principal))


@router.put("/auth/profile")
async def update_profile(body: ProfileBody, request: Request, principal: Principal = Depends(require_principal)):
    b = _auth(request)
    fields = {k: v for k, v in body.model_dump().items() if v is not None}
    return to_json(await b.call(b.auth.UpdateProfile, auth_pb2.UpdateProfileRequest(**fields), principal=principal))


@router.post("/auth/forgot-password")
async def forgot_password(body: ForgotBody, request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.ForgotPassword, auth_pb2.ForgotPasswordRequest(email=body.email)))


@router.post("/auth/reset-password")
async def reset_password(body: ResetBody, request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.ResetPassword,
                                auth_pb2.ResetPasswordRequest(token=body.token, password=body.password)))


@router.post("/auth/api-keys", status_code=201)
async def create_api_key(body: ApiKeyBody, request: Request, principal: Principal = Depends(require_principal)):
    b = _auth(request)
    return to_json(await b.call(b.auth.CreateApiKey, auth_pb2.CreateApiKeyRequest(name=body.name),
                                principal=principal))


@router.get("/auth/api-keys")
async def list_api_keys(request: Request, principal: Principal = Depends(require_principal)):
    b = _auth(request)
    return to_json(await b.call(b.auth.ListApiKeys, auth_pb2.ListApiKeysRequest(), principal=principal))


@router.delete("/auth/api-keys/{key_id}")
async def revoke_api_key(key_id: str, request: Request, principal: Principal = Depends(require_principal)):
    b = _auth(request)
    reply = await b.call(b.auth.RevokeApiKey, auth_pb2.RevokeApiKeyRequest(key_id=key_id), principal=principal)
    request.app.state.authenticator.forget_api_keys()  # refused at once here (services/edge/security.py)
    return to_json(reply)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request):
    b = _auth(request)
    return to_json(await b.call(b.auth.GetJwks, auth_pb2.GetJwksRequest()))
