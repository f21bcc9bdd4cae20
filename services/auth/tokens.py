"""Access tokens: RS256 JWTs with the claims every verifier requires."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from services.auth.keys import SigningKey
from services.kit.config import Settings


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
