"""Access tokens and internal tokens: RS256 JWTs with the claims every verifier requires
(services/kit/tokens.py verifies both)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from services.auth.keys import SigningKey
from services.kit.config import Settings
from services.kit.context import Principal
from services.kit.tokens import INTERNAL_TTL_SECONDS, internal_audience


def issue_access_token(settings: Settings, key: SigningKey, *, user_id: str, username: str, role: str,
                       now: int | None = None) -> str:
    """A signed access token for the user, valid for settings.access_token_ttl seconds."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "username": username,
        "role": role,
        "iat": issued,
        "exp": issued + settings.access_token_ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def issue_internal_token(settings: Settings, key: SigningKey, *, subject: Principal, audience: str, issued_to: str,
                         now: int | None = None) -> str:
    """A token for calling service `audience` on behalf of `subject`, valid INTERNAL_TTL_SECONDS; `azp` names
    the service it was issued to (OpenID's authorised party), for the logs of whoever receives it."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer, "aud": internal_audience(audience), "azp": issued_to,
        "sub": subject.user_id, "username": subject.username, "role": subject.role, "method": subject.method,
        "iat": issued, "exp": issued + INTERNAL_TTL_SECONDS, "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
