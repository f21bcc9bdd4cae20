"""Access-token verification against a JWKS; depends only on PyJWT and cryptography (no gRPC, no DB)."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

import jwt
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

    def __init__(self, jwks: Mapping[str, Any] | Iterable[Any], *, issuer: str, audience: str,
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

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is valid now; else Unauthorized with a message saying why."""
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
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
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
        """The caller a valid token stands for (method "jwt")."""
        return principal_from_claims(self.verify(token))


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    role = str(claims.get("role", ""))
    if role not in ROLES:
        raise Unauthorized("Malformed token")
    return Principal(user_id=str(claims["sub"]), username=str(claims.get("username", "")), role=role, method="jwt")
