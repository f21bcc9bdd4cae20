"""Tracing export (services/kit/telemetry.py): DOJO_OTEL_EXPORTER=otlp sends a service's spans over OTLP/gRPC
to the collector at DOJO_OTEL_ENDPOINT. The collector here is a gRPC server of the OTLP trace service that
records what it receives (no OpenTelemetry Collector binary installs from the project's own files); the
service side is the real exporter, configured as a service process configures it."""

from __future__ import annotations

import subprocess
import sys
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from services.kit.paths import REPO
from testkit.loopback import free_port

PROCESS = """
from opentelemetry import trace
from services.kit import telemetry
telemetry.configure("probe", "otlp", "http://127.0.0.1:{port}")
with telemetry.tracer("kataforge.test").start_as_current_span("exported span"):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.received: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request, context):
        self.received.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_go_to_the_otlp_collector_with_the_service_name():
    port, collector = free_port(), _Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        done = subprocess.run([sys.executable, "-c", PROCESS.format(port=port)], cwd=REPO, timeout=60,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    finally:
        server.stop(None)
    spans = [(resource, span) for request in collector.received for resource in request.resource_spans
             for scope in resource.scope_spans for span in scope.spans]
    assert [span.name for _, span in spans] == ["exported span"]
    service = {a.key: a.value.string_value for a in spans[0][0].resource.attributes}["service.name"]
    assert service == "kataforge-probe"


UNEXPORTED = """
from services.kit import telemetry
telemetry.configure("probe")  # no exporter
tracer = telemetry.tracer("kataforge.test")
with tracer.start_as_current_span("root") as root:
    ctx = root.get_span_context()
    print(root.is_recording(), ctx.is_valid, ctx.trace_flags.sampled)
carrier = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
with tracer.start_as_current_span("asked for", context=telemetry.extract(carrier.items())) as span:
    print(span.is_recording(), format(span.get_span_context().trace_id, "032x"))
"""


def test_without_an_exporter_spans_keep_their_ids_and_are_recorded_only_when_the_caller_asks():
    done = subprocess.run([sys.executable, "-c", UNEXPORTED], cwd=REPO, timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    root, asked = done.stdout.splitlines()
    assert root == "False True False"  # a trace id for the logs and the next hop, nothing recorded
    assert asked == "True 4bf92f3577b34da6a3ce929d0e0e4736"  # a sampled caller's trace is continued, recorded
