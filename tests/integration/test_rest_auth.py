"""Auth through REST: login form, refresh rotation and reuse, API keys, rejected tokens."""

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from testkit.rest_calls import login, new_user

pytestmark = pytest.mark.integration


async def test_login_refresh_rotation_and_logout(http):
    name, _ = await new_user(http)
    tokens = await login(http, name, "correct-horse-battery")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    profile = await http.get("/auth/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert profile.json()["username"] == name and profile.json()["role"] == "student"

    rotated = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    reuse = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401
    # Reuse revoked the whole family, including the token issued by the rotation.
    family = await http.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})
    assert family.status_code == 401

    fresh = await login(http, name, "correct-horse-battery")
    assert (await http.post("/auth/logout", json={"refresh_token": fresh["refresh_token"]})).status_code == 200
    assert (await http.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]})).status_code == 401


async def test_login_errors_do_not_reveal_accounts(http):
    name, _ = await new_user(http)
    wrong = await http.post("/auth/login", data={"username": name, "password": "nope-nope-nope"})
    ghost = await http.post("/auth/login", data={"username": "ghost_" + uuid.uuid4().hex[:6], "password": "x" * 10})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json()["error"]["message"] == ghost.json()["error"]["message"]
    missing = await http.post("/auth/login", data={"username": name})
    assert missing.status_code == 400 and "password" in missing.json()["error"]["details"]


async def test_api_keys_header_query_and_revocation(http):
    _, bearer = await new_user(http, "coach")
    created = await http.post("/auth/api-keys", json={"name": "ci"}, headers=bearer)
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["api_key"]["id"]
    assert key.startswith("kf_") and created.json()["api_key"]["prefix"] in key
    assert (await http.get("/coaches", headers={"X-API-Key": key})).status_code == 200
    assert (await http.get(f"/coaches?api_key={key}")).status_code == 200
    listed = (await http.get("/auth/api-keys", headers=bearer)).json()
    assert key not in json.dumps(listed)  # the secret is shown once only
    assert (await http.delete(f"/auth/api-keys/{key_id}", headers=bearer)).status_code == 200
    revoked = await http.get("/coaches", headers={"X-API-Key": key})
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "unauthorized"


async def test_static_operator_key(http):
    assert (await http.get("/system/info", headers={"X-API-Key": "static-operator-key-0123456789"})).status_code == 200
    assert (await http.get("/system/info", headers={"X-API-Key": "static-operator-key-wrong"})).status_code == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_bad_tokens_are_refused(http, system_settings):
    jwks = (await http.get("/.well-known/jwks.json")).json()
    kid = jwks["keys"][0]["kid"]
    now = int(time.time())
    claims = {"sub": "u1", "role": "admin", "iss": system_settings.jwt_issuer, "aud": system_settings.jwt_audience,
              "iat": now, "exp": now + 600}
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid})
    none_alg = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}."
    for token in (forged, none_alg, "not-a-token", "a.b.c"):
        reply = await http.get("/auth/profile", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, token
        assert reply.json()["error"]["code"] == "unauthorized"
    assert (await http.get("/auth/profile", headers={"Authorization": "Basic abc"})).status_code == 401
    assert (await http.get("/auth/profile")).status_code == 401
