"""Docker HEALTHCHECK of a KataForge image: `healthcheck.py <service>` exits 0 when the service is healthy.

A backend is healthy when its gRPC health service answers SERVING (the kit sets it only after warm-up, and back
to NOT_SERVING while draining); the edge when GET /metrics answers 200 (served by the edge itself, without a key
and outside the rate limit). The port is read from the same settings the service reads (DOJO_<NAME>_ADDR,
DOJO_API_PORT). Kubernetes ignores HEALTHCHECK and probes the same endpoints itself (deploy/k8s).
"""

from __future__ import annotations

import sys
import urllib.request

BACKENDS = ("auth", "coach", "pose", "scoring")
TIMEOUT_S = 5.0


def healthy(service: str) -> bool:
    from services.kit.config import load_settings

    settings = load_settings()
    if service == "edge":
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{settings.api_port}/metrics", timeout=TIMEOUT_S) as reply:
                return reply.status == 200
        except OSError:
            return False
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = getattr(settings, f"{service}_addr").rsplit(":", 1)[1]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in (*BACKENDS, "edge"):
        print(f"usage: healthcheck.py {{{','.join((*BACKENDS, 'edge'))}}}", file=sys.stderr)
        return 2
    return 0 if healthy(argv[1]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
