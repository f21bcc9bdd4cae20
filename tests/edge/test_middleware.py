"""The edge's outer middleware: an unhandled error is the spec's 500 envelope with the request's id."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.edge import errors as edge_errors
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
