"""Edge plumbing through REST: envelope on every error, headers, body limit, system routes, /v1."""

import httpx
import pytest

from services.edge.app import create_app
from services.kit.config import replace

pytestmark = pytest.mark.integration


async def test_unknown_route_and_wrong_method(http):
    missing = await http.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert missing.json()["error"]["timestamp"].endswith("Z")
    wrong = await http.delete("/analyze")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


async def test_headers_and_request_id(http):
    reply = await http.get("/", headers={"X-Request-ID": "req_from_client_42"})
    assert reply.headers["x-request-id"] == "req_from_client_42"
    assert reply.headers["x-frame-options"] == "DENY" and reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["strict-transport-security"].startswith("max-age=31536000")
    assert reply.headers["content-security-policy"] == "default-src 'self'"
    generated = await http.get("/")
    assert generated.headers["x-request-id"].startswith("req_")


async def test_root_health_info_and_metrics(http, admin_headers):
    root = (await http.get("/")).json()
    assert root["status"] == "healthy" and root["version"] == "0.1.0"
    assert root["models_loaded"] == ["blazepose_full", "form_assessor", "graphsage", "style_encoder"]
    assert root["gpu_available"] is False
    health = (await http.get("/system/health", headers=admin_headers)).json()
    assert health["components"]["database"] == "healthy" and health["components"]["models"] == "healthy"
    assert health["status"] == "healthy" and health["errors"] == []
    info = (await http.get("/v1/system/info", headers=admin_headers)).json()
    assert info["app_name"] == "kataforge" and isinstance(info["coaches"], int)
    assert info["models"][0]["loaded"] is True and info["gpu"]["available"] is False
    metrics = (await http.get("/metrics")).text
    assert 'kataforge_api_requests_total{endpoint="/system/info",method="GET"}' in metrics
    docs = await http.get("/openapi.json")
    assert "/analyze" in docs.json()["paths"]


async def test_openapi_documents_the_error_envelope_and_every_reference_resolves(http):
    doc = (await http.get("/openapi.json")).json()
    assert "/batch_analyze" in doc["paths"] and "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "404", "413", "422", "429", "500"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(doc))
    assert found and all(r.startswith("#/components/schemas/") and r.rsplit("/", 1)[1] in doc["components"]["schemas"]
                         for r in found), found
    # The envelope the edge sends matches what the document says.
    missing = (await http.get("/coaches/nobody_here")).json()
    assert set(doc["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]["required"]) <= set(missing["error"])


async def test_body_over_the_limit_gets_413(system_settings, system):
    app = create_app(replace(system_settings, max_request_size=10_000))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as client:
            reply = await client.post("/analyze", content=b"{" + b" " * 20_000 + b"}",
                                      headers={"Content-Type": "application/json"})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "payload_too_large"


async def test_auth_disabled_switch(system_settings, system):
    app = create_app(replace(system_settings, auth_enabled=False))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as client:
            assert (await client.get("/coaches")).status_code == 200


async def test_cors_from_settings(system_settings, system):
    app = create_app(replace(system_settings, cors_origins=("http://localhost:3000",)))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as client:
            reply = await client.options("/coaches", headers={"Origin": "http://localhost:3000",
                                                              "Access-Control-Request-Method": "GET"})
            assert reply.headers["access-control-allow-origin"] == "http://localhost:3000"
            other = await client.options("/coaches", headers={"Origin": "http://evil.example",
                                                              "Access-Control-Request-Method": "GET"})
            assert "access-control-allow-origin" not in other.headers
