"""Domain error -> HTTP envelope, and the same error after a trip through gRPC status + trailer."""

import json

import grpc
import pytest

from services.edge.errors import envelope
from services.kit import errors
from services.kit.grpc_errors import ERROR_TRAILER, from_rpc_error, status_for

CASES = [
    (errors.InvalidRequest("bad", details={"coach": "This field is required"}), 400, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ValidationFailed("no person"), 422, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unauthorized("who?"), 401, grpc.StatusCode.UNAUTHENTICATED),
    (errors.Forbidden("no"), 403, grpc.StatusCode.PERMISSION_DENIED),
    (errors.NotFound("coach", "ghost"), 404, grpc.StatusCode.NOT_FOUND),
    (errors.Conflict("taken"), 409, grpc.StatusCode.ALREADY_EXISTS),
    (errors.PayloadTooLarge("big"), 413, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.RateLimited("slow down", limit=5, window=900, retry_after=30), 429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.TimeoutFailure("late"), 504, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.Unavailable("down"), 503, grpc.StatusCode.UNAVAILABLE),
    (errors.ModelError("model"), 500, grpc.StatusCode.INTERNAL),
]


def rpc_error(code, message, trailer):
    """The AioRpcError the client library raises for a failed call."""
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailer), details=message)


@pytest.mark.parametrize("error,http_status,grpc_code", CASES)
def test_one_mapping_each_way(error, http_status, grpc_code):
    assert status_for(error) == grpc_code
    rebuilt = from_rpc_error(rpc_error(grpc_code, error.message, [(ERROR_TRAILER, json.dumps(error.to_dict()))]))
    assert type(rebuilt) is type(error) and rebuilt.to_dict() == error.to_dict()
    response = envelope(rebuilt)
    body = json.loads(response.body)["error"]
    assert response.status_code == http_status and body["code"] == error.code
    assert body["timestamp"].endswith("Z")
    if isinstance(error, errors.RateLimited):
        assert response.headers["retry-after"] == "30" and body["limit"] == 5 and body["window"] == 900
    if isinstance(error, errors.NotFound):
        assert body["resource"] == "coach" and body["id"] == "ghost"


def test_status_without_trailer_still_maps():
    rebuilt = from_rpc_error(rpc_error(grpc.StatusCode.UNAVAILABLE, "connect failed", []))
    assert isinstance(rebuilt, errors.Unavailable) and envelope(rebuilt).status_code == 503
