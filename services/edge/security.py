"""Authentication at the edge: JWTs verified locally against the auth service's JWKS; API keys via auth.

A verified API key is kept for API_KEY_KEPT_SECONDS (by its SHA-256, never the key itself), so a client's
stream of calls costs one auth round trip every few seconds, not one each (bench/api_path.py). The price: a
key revoked through another edge works there for at most that long; one revoked through this edge, not at
all (the revocation empties this edge's keeping).
"""

from __future__ import annotations

import hashlib
import logging

from cachetools import TTLCache
from fastapi import Request

from kataforge.auth.v1 import auth_pb2
from services.kit.service_identity import jwks_from_auth
from services.kit.tokens import API_KEY_KEPT_SECONDS, API_KEYS_KEPT, TokenVerifier
from services.kit import errors
from services.kit.config import Settings
from services.kit.context import ANONYMOUS_ADMIN, Principal
from services.edge.backends import Backends

log = logging.getLogger(__name__)

_UNSET = object()


class Authenticator:
    def __init__(self, settings: Settings, backends: Backends) -> None:
        self.settings = settings
        self.backends = backends
        # The public API takes users' access tokens only (internal tokens are for the services behind it).
        self.verifier = TokenVerifier(jwks_from_auth(settings.auth_addr, backends.credentials.tls),
                                      issuer=settings.jwt_issuer,
                                      audiences=(settings.jwt_audience,))
        self._api_keys: TTLCache = TTLCache(maxsize=API_KEYS_KEPT, ttl=API_KEY_KEPT_SECONDS)

    def forget_api_keys(self) -> None:
        """After a revocation through this edge: every key is checked with the auth service again."""
        self._api_keys.clear()

    async def verify_bearer(self, token: str) -> Principal:
        return await self.verifier.principal(token)

    async def verify_api_key(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).digest()
        kept = self._api_keys.get(digest)
        if kept is not None:
            return kept
        reply = await self.backends.call(self.backends.auth.VerifyApiKey, auth_pb2.VerifyApiKeyRequest(key=key))
        principal = Principal(user_id=reply.user_id, username=reply.username, role=reply.role, method=reply.method)
        self._api_keys[digest] = principal  # only keys the auth service accepted (a refusal raised above)
        return principal

    async def authenticate(self, request: Request) -> Principal | None:
        """The verified caller, None when no credentials were sent; raises Unauthorized on bad ones.
        Kept on the request's state: the rate limiter verifies first and the route reuses it."""
        if not self.settings.auth_enabled:
            return ANONYMOUS_ADMIN
        known = getattr(request.state, "principal", _UNSET)
        if known is not _UNSET:
            return known
        principal = await self._verify(request)
        request.state.principal = principal
        return principal

    async def _verify(self, request: Request) -> Principal | None:
        authorization = request.headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise errors.Unauthorized("Authorization header must be 'Bearer <token>'")
            return await self.verify_bearer(token.strip())
        key = request.headers.get("x-api-key") or request.query_params.get("api_key")
        if key:
            return await self.verify_api_key(key)
        return None


async def require_principal(request: Request) -> Principal:
    principal = await request.app.state.authenticator.authenticate(request)
    if principal is None:
        raise errors.Unauthorized("Authentication required: send 'Authorization: Bearer <token>' or 'X-API-Key'")
    return principal


async def optional_principal(request: Request) -> Principal | None:
    return await request.app.state.authenticator.authenticate(request)
