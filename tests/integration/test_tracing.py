"""One trace per request across the services (issue 11, item 6): the edge's span for POST /analyze (FastAPI's
own server span) and the spans of every call it causes (scoring, then pose and coach: the kit's
interceptors carry the context in the metadata) share one trace id, seen by an in-memory exporter on the
tracer provider of this process, where the whole system runs."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kit.paths import VIDEOS
from testkit.rest_calls import coach_with_references, new_user

pytestmark = pytest.mark.integration


async def test_an_analysis_is_one_trace_from_the_edge_to_pose_and_coach(http, system):
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    _, owner = await new_user(http, "coach")
    coach_id = await coach_with_references(http, owner)
    exporter.clear()
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    with open(VIDEOS / "pose2sim-balancing-cam01.mp4", "rb") as video:
        reply = await http.post("/analyze", headers={**owner, "traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"},
                                data={"coach": coach_id}, files={"file": ("cam01.mp4", video, "video/mp4")})
    assert reply.status_code == 200, reply.text
    spans = exporter.get_finished_spans()
    edge = [s for s in spans if s.name == "POST /analyze"]
    assert len(edge) == 1 and edge[0].attributes["http.response.status_code"] == 200
    # The caller's traceparent is continued, and everything the request caused is in that trace.
    assert format(edge[0].context.trace_id, "032x") == caller_trace
    names = {s.name for s in spans if s.context.trace_id == edge[0].context.trace_id}
    assert "/kataforge.scoring.v1.ScoringService/AnalyzeUpload" in names
    assert "/kataforge.pose.v1.PoseService/ExtractPoses" in names
    assert any(n.startswith("/kataforge.coach.v1.CoachService/") for n in names)
    backend = [s for s in spans if s.name.startswith("/kataforge.") and s.name != "/kataforge.auth.v1.AuthService/"
               "IssueInternalToken"]
    assert backend and all(s.context.trace_id == edge[0].context.trace_id for s in backend)
