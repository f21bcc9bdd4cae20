"""The edge's outer middleware: an unhandled error is the spec's 500 envelope with the request's id; every
answer is counted and timed with its status."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.edge import errors as edge_errors
from services.edge.metrics import REGISTRY
from services.edge.middleware import EdgeMiddleware


def app_that_fails() -> FastAPI:
    app = FastAPI()
    edge_errors.install(app)

    @app.get("/boom")
    async def boom() -> dict:
        raise ValueError("Value out of range: 67715199123352")  # what protobuf raised for an int32 overflow

    app.add_middleware(EdgeMiddleware, max_body=1024)
    return app


def test_an_unhandled_error_is_a_500_envelope_carrying_the_request_id():
    client = TestClient(app_that_fails(), raise_server_exceptions=False)
    reply = client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == "req-123"
    assert "67715199123352" not in reply.text  # internals stay in the log
    assert reply.headers["x-request-id"] == "req-123" and reply.headers["x-content-type-options"] == "nosniff"
    # Without a client id the edge makes one, and the body carries that one.
    made = client.get("/boom")
    assert made.json()["error"]["request_id"] == made.headers["x-request-id"] != ""


def test_every_answer_is_timed_with_its_status_for_the_latency_and_error_panels():
    client = TestClient(app_that_fails(), raise_server_exceptions=False)
    labels = {"endpoint": "/boom", "method": "GET", "status": "500"}

    def count() -> float:
        return REGISTRY.get_sample_value("kataforge_api_request_seconds_count", labels) or 0.0

    before = count()
    assert client.get("/boom").status_code == 500
    assert count() == before + 1  # the envelope's status, as the client saw it
    assert REGISTRY.get_sample_value("kataforge_api_request_seconds_bucket", {**labels, "le": "+Inf"}) == count()
