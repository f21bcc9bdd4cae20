"""OpenTelemetry tracing: one provider per process, W3C traceparent carried in gRPC metadata."""

from __future__ import annotations

from typing import Iterable, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

_configured = False


def configure(service: str, exporter: str = "") -> None:
    """Install the tracer provider. Spans are always created (trace ids reach the logs);
    exporting is opt-in (DOJO_OTEL_EXPORTER=console) so a laptop run stays quiet."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"kataforge-{service}"}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject(carrier: MutableMapping[str, str]) -> None:
    propagate.inject(carrier)


def extract(metadata: Iterable[tuple[str, str | bytes]] | None):
    carrier = {k: v for k, v in (metadata or ()) if isinstance(v, str)}
    return propagate.extract(carrier)
