"""The Prometheus endpoint of a gRPC service process: GET /metrics on DOJO_METRICS_PORT.

It serves the process's default registry: the kit's RPC counters (services/kit/interceptors.py) and what the
service defines beside itself (services/pose/metrics.py, services/scoring/metrics.py). prometheus_client's own
HTTP server runs on a daemon thread, so a scrape never waits on the service's event loop. The edge is not a
gRPC process: it serves its own registry at /metrics on its API port (services/edge/metrics.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server


@dataclass
class MetricsEndpoint:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def start(host: str, port: int, service: str) -> MetricsEndpoint:
    """Serve the default registry on host:port; RuntimeError naming the port if it cannot be bound
    (as for the gRPC port: a service that cannot be scraped should not pass for a healthy one)."""
    try:
        server, thread = start_http_server(port, addr=host)
    except OSError as exc:
        raise RuntimeError(f"{service}: cannot bind the metrics port {host}:{port} "
                           f"(DOJO_METRICS_PORT): {exc.strerror}") from None
    return MetricsEndpoint(server, thread)
