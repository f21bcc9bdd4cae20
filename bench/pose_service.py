"""Start the pose service as its own process for a benchmark, beside the auth service it verifies callers
with (zero trust: services/kit/service_identity.py), and wait until it is SERVING.

The benchmark calls the pose service as the edge would: with an internal token for the pose service,
minted by the auth service for a benchmark caller (`PoseService.metadata()`, renewed before it expires).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import REPO  # noqa: E402
from testkit.loopback import free_port  # noqa: E402


def _wait_serving(proc: subprocess.Popen, addr: str, name: str, timeout: float) -> None:
    health = health_pb2_grpc.HealthStub(grpc.insecure_channel(addr))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the {name} service exited with status {proc.returncode}")
        try:
            if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                    health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the {name} service did not become SERVING within {timeout:g} s")


class PoseService:
    """The pose service on 127.0.0.1:port with the repository's model, and an auth service on an embedded
    PostgreSQL of its own; stop() ends both."""

    def __init__(self, port: int, timeout: float = 120.0) -> None:
        from services.kit import embedded_pg

        self.state = Path(tempfile.mkdtemp(prefix="kf-bench-pose-"))
        self.internal_secret = secrets.token_hex(32)
        self.auth_addr, self.pose_addr = f"127.0.0.1:{free_port()}", f"127.0.0.1:{port}"
        self._pg = embedded_pg.start(str(self.state))
        base = {**{k: v for k, v in os.environ.items() if not k.startswith("DOJO_")},
                "DOJO_AUTH_ADDR": self.auth_addr, "DOJO_POSE_ADDR": self.pose_addr, "DOJO_STATE_DIR": str(self.state),
                "DOJO_MODEL_DIR": str(REPO / "models"), "DOJO_LOG_LEVEL": "WARNING",
                "DOJO_CONFIG_FILE": str(self.state / "absent.yaml")}
        self.auth = subprocess.Popen([sys.executable, "-m", "services.auth.main"], cwd=REPO, env={
            **base, "DOJO_DATABASE_URL": self._pg.get_uri(), "DOJO_INTERNAL_SECRET": self.internal_secret})
        _wait_serving(self.auth, self.auth_addr, "auth", timeout)
        self.process = subprocess.Popen([sys.executable, "-m", "services.pose.main"], cwd=REPO, env=base)
        _wait_serving(self.process, self.pose_addr, "pose", timeout)
        self._token, self._expires = "", 0.0

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Call metadata with an internal token for the pose service (minted again a minute before expiry)."""
        from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
        from services.kit.service_identity import SECRET_HEADER, SERVICE_HEADER, service_secret

        if time.monotonic() > self._expires - 60:
            with grpc.insecure_channel(self.auth_addr) as channel:
                reply = auth_pb2_grpc.AuthServiceStub(channel).IssueInternalToken(
                    auth_pb2.IssueInternalTokenRequest(audience="pose", subject=auth_pb2.Principal(
                        user_id="bench", username="bench", role="admin", method="static_api_key")),
                    metadata=((SERVICE_HEADER, "edge"), (SECRET_HEADER, service_secret(self.internal_secret, "edge"))),
                    timeout=10)
            self._token, self._expires = reply.token, time.monotonic() + reply.expires_in
        return (("authorization", f"Bearer {self._token}"),)

    def stop(self) -> None:
        for proc in (self.process, self.auth):
            proc.terminate()
        for proc in (self.process, self.auth):
            proc.wait(timeout=60)
        self._pg.cleanup()


def start_pose_service(port: int, timeout: float = 120.0) -> PoseService:
    """The pose service (and its auth service) on 127.0.0.1:port, SERVING on return."""
    return PoseService(port, timeout)
