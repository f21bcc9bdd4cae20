"""The kit's server interceptor: what it reads from the protos' method options, and what it does around a call."""

import pytest

from kataforge.coach.v1 import coach_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.kit.interceptors import success_status

# The services' descriptors loaded, as a server that registered them has them (this file may run alone).
LOADED = (coach_pb2, scoring_pb2)


def test_success_status_comes_from_the_method_option():
    assert success_status("/kataforge.coach.v1.CoachService/CreateCoach") == 201
    assert success_status("/kataforge.scoring.v1.ScoringService/SubmitBatch") == 202
    assert success_status("/kataforge.coach.v1.CoachService/GetCoach") == 0  # no option: a plain 200
    assert success_status("/no.such.Service/Method") == 0


def _samples(metric, **labels) -> float:
    """The current value of one sample of a prometheus metric (0 if it was never set)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(metric, labels) or 0.0


async def test_a_call_carries_its_caller_request_id_and_trace_and_is_counted_once_by_its_code(base_settings):
    import time

    import grpc
    import jwt
    from cryptography.hazmat.primitives import serialization
    from opentelemetry import trace

    from kataforge.coach.v1 import coach_pb2_grpc
    from services.auth import keys
    from services.kit import telemetry
    from services.kit.context import principal_var, request_id_var
    from services.kit.interceptors import KitServerInterceptor
    from services.kit.tokens import TokenVerifier
    from testkit.loopback import free_port

    telemetry.configure("tests")  # as every service's start does (a no-op tracer would only pass the caller's on)
    kid, pem, n, e = keys.generate()
    key = keys.SigningKey(kid=kid, private_key=serialization.load_pem_private_key(pem.encode(), None), n=n, e=e)
    now = int(time.time())
    token = jwt.encode({"iss": base_settings.jwt_issuer, "aud": base_settings.jwt_audience, "sub": "u_seen",
                        "role": "coach", "iat": now, "exp": now + 60, "jti": "j"}, key.private_key,
                       algorithm="RS256", headers={"kid": key.kid})
    seen = []

    class Probe(coach_pb2_grpc.CoachServiceServicer):
        async def GetCoach(self, request, context):
            span = trace.get_current_span().get_span_context()
            seen.append((principal_var.get(), request_id_var.get(), format(span.trace_id, "032x"),
                         format(span.span_id, "016x")))
            return coach_pb2.Coach(id=request.coach_id)

    async def jwks():
        return {"keys": [key.jwk()]}

    verifier = TokenVerifier(jwks, issuer=base_settings.jwt_issuer, audiences=(base_settings.jwt_audience,))
    server = grpc.aio.server(interceptors=[KitServerInterceptor(verifier)])
    coach_pb2_grpc.add_CoachServiceServicer_to_server(Probe(), server)
    port = server.add_insecure_port(f"127.0.0.1:{free_port()}")
    await server.start()
    method = "/kataforge.coach.v1.CoachService/GetCoach"
    ok_before, refused_before = _samples("kataforge_rpc_total", method=method, code="OK"), \
        _samples("kataforge_rpc_total", method=method, code="unauthorized")
    timed_before = _samples("kataforge_rpc_seconds_count", method=method)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = coach_pb2_grpc.CoachServiceStub(channel)
            for _ in range(2):
                reply = await stub.GetCoach(coach_pb2.GetCoachRequest(coach_id="c1"), metadata=(
                    ("authorization", f"Bearer {token}"), ("x-request-id", "req-from-caller"),
                    ("traceparent", f"00-{trace_id}-00f067aa0ba902b7-00")))
                assert reply.id == "c1"
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetCoach(coach_pb2.GetCoachRequest(coach_id="c1"),
                                    metadata=(("x-request-id", "bad id with spaces"),))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await server.stop(None)
    assert [(p.user_id, rid, tid) for p, rid, tid, _ in seen] == [("u_seen", "req-from-caller", trace_id)] * 2
    assert all(sid != "00f067aa0ba902b7" for *_, sid in seen)  # the call's own span, in the caller's trace
    assert _samples("kataforge_rpc_total", method=method, code="OK") - ok_before == 2
    assert _samples("kataforge_rpc_total", method=method, code="unauthorized") - refused_before == 1
    assert _samples("kataforge_rpc_seconds_count", method=method) - timed_before == 3
