"""Start the pose service as its own process for a benchmark, and wait until it is SERVING."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_pose_service(port: int, timeout: float = 120.0) -> subprocess.Popen:
    """`python -m services.pose.main` on 127.0.0.1:port with the repository's model; SERVING on return."""
    env = dict(os.environ, DOJO_POSE_ADDR=f"127.0.0.1:{port}", DOJO_MODEL_DIR=str(REPO / "models"),
               DOJO_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "services.pose.main"], cwd=REPO, env=env)
    health = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the pose service exited with status {proc.returncode}")
        try:
            if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                    health_pb2.HealthCheckResponse.SERVING:
                return proc
        except grpc.RpcError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the pose service did not become SERVING within {timeout:g} s")
