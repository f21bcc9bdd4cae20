"""OpenTelemetry tracing: one provider per process, W3C traceparent carried in gRPC metadata."""

from __future__ import annotations

import functools
from typing import Iterable, Mapping, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

_configured = False


def configure(service: str, exporter: str = "", endpoint: str = "") -> None:
    """Install the tracer provider. Every request has a trace id (it reaches the logs and the next hop);
    exporting is opt-in so a laptop run stays quiet: DOJO_OTEL_EXPORTER=console prints spans, =otlp sends
    them in batches to an OpenTelemetry collector over OTLP/gRPC at DOJO_OTEL_ENDPOINT (else the exporter's
    own OTEL_EXPORTER_OTLP_ENDPOINT, else localhost:4317). Without an exporter, spans are recorded only for
    a caller whose traceparent asks for it (sampled flag): recording spans nobody reads was a tenth of the
    edge's time on a small call (bench/api_path.py)."""
    global _configured
    if _configured:
        return
    sampler = ParentBased(ALWAYS_ON if exporter else ALWAYS_OFF)
    provider = TracerProvider(resource=Resource.create({"service.name": f"kataforge-{service}"}), sampler=sampler)
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint or None)))
    trace.set_tracer_provider(provider)
    _configured = True


@functools.cache
def tracer(name: str) -> trace.Tracer:
    # One per name: looking it up again costs a deprecation check and a new object on every call. Made before
    # configure(), it is OpenTelemetry's proxy, which follows the provider set later.
    return trace.get_tracer(name)


def inject(carrier: MutableMapping[str, str]) -> None:
    propagate.inject(carrier)


# What the propagators read (W3C trace context and baggage); a call carrying none of it starts a fresh context
# without running them.
_PROPAGATED = frozenset({"traceparent", "tracestate", "baggage"})


def extract(metadata: Iterable[tuple[str, str | bytes]] | Mapping[str, str] | None):
    """The trace context a call's metadata carries: pairs, or a mapping of its text entries."""
    carrier = metadata if isinstance(metadata, Mapping) else {
        k: v for k, v in (metadata or ()) if isinstance(v, str)}
    if _PROPAGATED.isdisjoint(carrier):
        return Context()
    return propagate.extract(carrier)
