"""verify.py: only valid RS256 tokens from a known key, with every required claim, pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from services.auth import keys, tokens
from services.kit.tokens import LEEWAY_SECONDS, JwksVerifier, UnknownSigningKey
from services.kit.errors import Unauthorized


def make_key() -> keys.SigningKey:
    kid, pem, n, e = keys.generate()
    return keys.SigningKey(kid=kid, private_key=serialization.load_pem_private_key(pem.encode(), None), n=n, e=e)


@pytest.fixture(scope="module")
def key() -> keys.SigningKey:
    return make_key()


@pytest.fixture
def verifier(key, base_settings) -> JwksVerifier:
    return JwksVerifier({"keys": [key.jwk()]}, issuer=base_settings.jwt_issuer, audience=base_settings.jwt_audience)


def claims(settings, **overrides):
    now = int(time.time())
    base = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": "user-1", "username": "u",
            "role": "student", "iat": now, "exp": now + 60, "jti": "j"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key, payload, **header):
    return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid, **header})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def message(fn) -> str:
    with pytest.raises(Unauthorized) as err:
        fn()
    return err.value.message


def test_issued_token_verifies_with_all_claims(key, verifier, base_settings):
    token = tokens.issue_access_token(base_settings, key, user_id="u-42", username="kenji", role="coach")
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    got = verifier.verify(token)
    assert got["sub"] == "u-42" and got["username"] == "kenji" and got["role"] == "coach"
    assert got["iss"] == base_settings.jwt_issuer and got["aud"] == base_settings.jwt_audience
    assert got["exp"] - got["iat"] == base_settings.access_token_ttl and got["jti"]
    principal = verifier.principal(token)
    assert (principal.user_id, principal.role, principal.method) == ("u-42", "coach", "jwt")


def test_alg_none_rejected(key, verifier, base_settings):
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': key.kid})}.{b64(claims(base_settings))}."
    assert message(lambda: verifier.verify(token)) == "Token signature is invalid"


def test_hs256_signed_with_public_key_rejected(key, verifier, base_settings):
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    payload = b64(claims(base_settings))
    sig = base64.urlsafe_b64encode(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    token = f"{header}.{payload}.{sig.rstrip(b'=').decode()}"
    assert message(lambda: verifier.verify(token)) == "Token signature is invalid"


def test_expired_rejected_beyond_leeway_only(key, verifier, base_settings):
    now = int(time.time())
    stale = sign(key, claims(base_settings, iat=now - 600, exp=now - LEEWAY_SECONDS - 5))
    assert message(lambda: verifier.verify(stale)) == "Token expired"
    within = sign(key, claims(base_settings, iat=now - 600, exp=now - LEEWAY_SECONDS + 10))
    assert verifier.verify(within)["sub"] == "user-1"


def test_signed_by_another_key_with_same_kid_rejected(key, verifier, base_settings):
    other = make_key()
    forged = jwt.encode(claims(base_settings), other.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert message(lambda: verifier.verify(forged)) == "Token signature is invalid"


def test_unknown_kid_rejected(verifier, base_settings):
    other = make_key()
    with pytest.raises(UnknownSigningKey) as err:
        verifier.verify(sign(other, claims(base_settings)))
    assert err.value.message == "Unknown signing key" and err.value.code == "unauthorized"


def test_wrong_audience_and_issuer_rejected(key, verifier, base_settings):
    assert message(lambda: verifier.verify(sign(key, claims(base_settings, aud="elsewhere")))) == \
        "Token audience is invalid"
    assert message(lambda: verifier.verify(sign(key, claims(base_settings, iss="someone")))) == \
        "Token issuer is invalid"


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub"])
def test_missing_required_claim_rejected(key, verifier, base_settings, claim):
    token = sign(key, claims(base_settings, **{claim: None}))
    assert message(lambda: verifier.verify(token)) == f"Token is missing the '{claim}' claim"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.@@@.x"])
def test_malformed_rejected(verifier, token):
    assert message(lambda: verifier.verify(token)) in ("Malformed token", "Unknown signing key")


def test_tampered_payload_rejected(key, verifier, base_settings):
    header, _, signature = sign(key, claims(base_settings)).split(".")
    token = f"{header}.{b64(claims(base_settings, role='admin'))}.{signature}"
    assert message(lambda: verifier.verify(token)) == "Token signature is invalid"


def test_non_rs256_and_small_keys_are_ignored(key, base_settings):
    jwks = [{**key.jwk(), "alg": "HS256"}, {**key.jwk(), "kty": "oct"}]
    verifier = JwksVerifier(jwks, issuer=base_settings.jwt_issuer, audience=base_settings.jwt_audience)
    assert verifier.kids == frozenset()


def test_a_kept_verification_ends_when_the_token_expires(key, base_settings):
    verifier = JwksVerifier({"keys": [key.jwk()]}, issuer=base_settings.jwt_issuer,
                            audience=base_settings.jwt_audience, leeway=0)
    token = sign(key, claims(base_settings, exp=int(time.time()) + 2))
    first = verifier.verify(token)
    assert verifier.verify(token) == first  # kept: the same claims again
    time.sleep(max(0.0, first["exp"] - time.time()) + 1.1)
    assert message(lambda: verifier.verify(token)) == "Token expired"


def test_a_kept_token_changed_by_one_byte_is_verified_afresh(key, verifier, base_settings):
    token = sign(key, claims(base_settings))
    verifier.verify(token)
    head, body, signature = token.split(".")
    forged_body = b64({**claims(base_settings), "role": "admin"})
    assert message(lambda: verifier.verify(f"{head}.{forged_body}.{signature}")) == "Token signature is invalid"
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert message(lambda: verifier.verify(f"{head}.{body}.{flipped}")) == "Token signature is invalid"


def test_a_key_withdrawn_from_the_jwks_ends_its_kept_tokens(key, verifier, base_settings):
    token = sign(key, claims(base_settings))
    verifier.verify(token)
    rotated = JwksVerifier({"keys": [make_key().jwk()]}, issuer=base_settings.jwt_issuer,
                           audience=base_settings.jwt_audience)  # what TokenVerifier builds after a fetch
    with pytest.raises(UnknownSigningKey):
        rotated.verify(token)


async def test_the_service_verifier_fetches_the_jwks_once_and_again_only_for_a_new_key(key, base_settings,
                                                                                        monkeypatch):
    import asyncio

    from services.kit import tokens as kit_tokens

    monkeypatch.setattr(kit_tokens, "JWKS_REFRESH_INTERVAL_SECONDS", 0.2)

    published = [key]
    fetches = []

    async def fetch():
        fetches.append(time.monotonic())
        return {"keys": [k.jwk() for k in published]}

    verifier = kit_tokens.TokenVerifier(fetch, issuer=base_settings.jwt_issuer,
                                        audiences=(base_settings.jwt_audience,))
    for subject in ("a", "b", "c"):
        assert (await verifier.principal(sign(key, claims(base_settings, sub=subject)))).user_id == subject
    assert len(fetches) == 1  # kept between calls
    rotated = make_key()
    published.append(rotated)  # the auth service publishes a new key beside the old one
    await asyncio.sleep(0.25)  # past the refresh interval
    assert (await verifier.principal(sign(rotated, claims(base_settings, sub="d")))).user_id == "d"
    assert len(fetches) == 2
    stranger = make_key()  # never published: one fetch per refresh interval at most, then refused
    with pytest.raises(Unauthorized):
        await verifier.principal(sign(stranger, claims(base_settings)))
    assert len(fetches) == 2
