"""Token verification against the auth service's JWKS, for every service (no gRPC, no DB here).

Two kinds of RS256 token, both signed by the auth service's keys and checked for signature, issuer,
audience and expiry with a small leeway:
- a user's access token (aud = DOJO_JWT_AUDIENCE), as a client, the edge's caller or Envoy sends it;
- an internal token (aud = "kataforge-<service>", at most INTERNAL_TTL_SECONDS long), which the auth
  service mints for one backend on behalf of a caller that another service verified
  (services/kit/service_credentials.py); one minted for a service is refused by every other.
TokenVerifier keeps the JWKS and fetches it again when a token names a key it does not hold (rotation),
at most every JWKS_REFRESH_INTERVAL_SECONDS, so made-up key ids cannot make it call the auth service often.

A verified token is kept with its claims until it expires (the exact token string: a changed byte is another
token, verified afresh), so a client's repeated calls cost one RS256 check, not one each (bench/api_path.py
found verification the largest single cost of a small call). Only valid tokens are kept; the keeping ends
with the JWKS it was verified against (a key withdrawn from the JWKS ends its tokens at the next fetch).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.kit.context import Principal
from services.kit.errors import Unauthorized

ALGORITHM = "RS256"  # the only one accepted: rules out alg=none and HS256 keyed with the public key
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
# Tolerated clock skew between the auth service and a verifier, in seconds. Small next to the
# access-token lifetime (15 min by default) so an expired token is not accepted for long.
LEEWAY_SECONDS = 30
MIN_KEY_BITS = 2048
ROLES = frozenset({"admin", "coach", "student"})
METHODS = frozenset({"jwt", "api_key", "static_api_key", "anonymous"})  # how the caller proved who they are
# How long a gateway acts on an API key it had verified without asking the key store again: the edge for its
# own callers, the auth service's exchange for Envoy's. A key revoked elsewhere keeps working that long at most.
API_KEY_KEPT_SECONDS = 10.0
API_KEYS_KEPT = 10_000
INTERNAL_TTL_SECONDS = 300
JWKS_REFRESH_INTERVAL_SECONDS = 30.0
VERIFIED_KEPT = 10_000  # tokens kept verified per verifier (least recently used dropped first)


def internal_audience(service: str) -> str:
    """The audience of an internal token for one service (auth, coach, pose, scoring)."""
    return f"kataforge-{service}"


class UnknownSigningKey(Unauthorized):
    """The token names a kid this verifier does not hold; the caller may refresh the JWKS and retry."""


def _field(jwk: Any, name: str) -> str:
    value = jwk.get(name, "") if isinstance(jwk, Mapping) else getattr(jwk, name, "")
    return str(value or "")


class JwksVerifier:
    """Verifies RS256 access tokens issued by the auth service.

    Build it from the GetJwks answer: `JwksVerifier(MessageToDict(jwks_pb))`, `JwksVerifier(jwks_pb.keys)`,
    or the JSON of /.well-known/jwks.json: a mapping with "keys", or a sequence of JWK mappings or
    auth_pb2.Jwk messages. Keys that are not RSA signature keys for RS256 are ignored."""

    def __init__(self, jwks: Mapping[str, Any] | Iterable[Any], *, issuer: str, audience: str | Sequence[str],
                 leeway: int = LEEWAY_SECONDS) -> None:
        entries = jwks.get("keys", []) if isinstance(jwks, Mapping) else jwks
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        for jwk in entries:
            kid, kty = _field(jwk, "kid"), _field(jwk, "kty")
            use, alg = _field(jwk, "use"), _field(jwk, "alg")
            if not kid or kty != "RSA" or use not in ("", "sig") or alg not in ("", ALGORITHM):
                continue
            key = RSAAlgorithm.from_jwk(json.dumps({"kty": "RSA", "n": _field(jwk, "n"), "e": _field(jwk, "e")}))
            if isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_KEY_BITS:
                self._keys[kid] = key
        # token -> claims, each until its exp (+ the leeway the check allows), on the wall clock as jwt uses.
        self._verified: TLRUCache = TLRUCache(maxsize=VERIFIED_KEPT, ttu=self._until, timer=time.time)

    def _until(self, _token: str, claims: dict[str, Any], now: float) -> float:
        return float(claims["exp"]) + self.leeway

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is valid now; else Unauthorized with a message saying why."""
        kept = self._verified.get(token)
        if kept is not None:
            return kept
        claims = self._verify(token)
        self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthorized("Malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("Token signature is invalid")
        key = self._keys.get(str(header.get("kid") or ""))
        if key is None:
            raise UnknownSigningKey("Unknown signing key")
        try:
            audience = [self.audience] if isinstance(self.audience, str) else list(self.audience)
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": list(REQUIRED_CLAIMS)})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Token expired") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("Token signature is invalid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"Token is missing the '{exc.claim}' claim") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("Token audience is invalid") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("Token issuer is invalid") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("Token is not yet valid") from None
        except jwt.PyJWTError:  # DecodeError and any other structural problem
            raise Unauthorized("Malformed token") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthorized("Malformed token")
        return claims

    def principal(self, token: str) -> Principal:
        """The caller a valid token stands for."""
        return principal_from_claims(self.verify(token))


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    role, method = str(claims.get("role", "")), str(claims.get("method", "jwt"))
    if role not in ROLES or method not in METHODS:
        raise Unauthorized("Malformed token")
    return Principal(user_id=str(claims["sub"]), username=str(claims.get("username", "")), role=role, method=method)


class TokenVerifier:
    """A service's verifier: the JWKS from `fetch_jwks` (the auth service's GetJwks, or its own keys in the
    auth service), kept, and fetched again for an unknown key id at most every JWKS_REFRESH_INTERVAL_SECONDS."""

    def __init__(self, fetch_jwks: Callable[[], Awaitable[Any]], *, issuer: str,
                 audiences: Sequence[str]) -> None:
        self.fetch_jwks, self.issuer, self.audiences = fetch_jwks, issuer, tuple(audiences)
        self._verifier: JwksVerifier | None = None
        self._fetched_at = -JWKS_REFRESH_INTERVAL_SECONDS
        self._lock = asyncio.Lock()

    async def _load(self, force: bool = False) -> JwksVerifier:
        if self._verifier is not None and not force:
            return self._verifier  # every call but the first and a rotation: no lock to take
        async with self._lock:
            stale = time.monotonic() - self._fetched_at > JWKS_REFRESH_INTERVAL_SECONDS
            if self._verifier is None or (force and stale):
                self._verifier = JwksVerifier(await self.fetch_jwks(), issuer=self.issuer, audience=self.audiences)
                self._fetched_at = time.monotonic()
            return self._verifier

    async def claims(self, token: str) -> dict[str, Any]:
        try:
            return (await self._load()).verify(token)
        except UnknownSigningKey:  # the auth service may have rotated its keys since the last fetch
            return (await self._load(force=True)).verify(token)

    async def principal(self, token: str) -> Principal:
        """The caller a valid token stands for; Unauthorized saying why otherwise."""
        return principal_from_claims(await self.claims(token))
