"""What `kataforge serve` runs: which processes, on which ports, with which environment.

One process per service by default. With replicas (`--replicas pose=2,scoring=2,edge=2`) a backend's
replica k listens on its service's port + 100 x (k - 1) and the edge's on the API port + (k - 1); every
caller gets all replicas of a backend as one gRPC target (`ipv4:a,b`), which the kit's channels balance
round-robin over the replicas that gRPC health calls SERVING (services/kit/channels.py), so a dead replica
gets no more calls. With an Envoy port, Envoy (deploy/envoy, services/kit/gateway.py) is one more process,
in front of every edge and of the backends it transcodes to.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from services.kit.config import ConfigError, Settings
from services.kit.service_identity import service_secret

# Start order: backends before their callers (gRPC clients wait for them anyway, this just avoids noise).
SERVICES = ("auth", "coach", "pose", "scoring", "edge")
BACKENDS = SERVICES[:-1]
# Each backend's Prometheus endpoint is its gRPC port + this (auth 51051 ... scoring 51054 with the default
# addresses; deploy/observability/prometheus.yml scrapes those). Derived even when DOJO_METRICS_PORT is set:
# the children cannot share one port. The edge serves /metrics on its API port instead.
METRICS_PORT_OFFSET = 1000
REPLICA_PORT_STEP = 100


@dataclass(frozen=True)
class Process:
    label: str  # "pose", "pose#2", "envoy"
    argv: tuple[str, ...]
    env: dict[str, str]


def _split(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


def metrics_port(addr: str, name: str = "") -> int:
    """The metrics port of the backend listening on addr: its gRPC port + METRICS_PORT_OFFSET."""
    port = _split(addr)[1] + METRICS_PORT_OFFSET
    if port >= 65536:
        raise ConfigError(f"DOJO_{name.upper() or 'X'}_ADDR: {addr} leaves no metrics port (its port + "
                          f"{METRICS_PORT_OFFSET} is above 65535)")
    return port


def credentials(name: str, env: dict[str, str]) -> dict[str, str]:
    """A child's environment with its own service credential; the internal secret only for the auth service
    (services/kit/service_identity.py), so no other process can obtain tokens as another service."""
    child = {k: v for k, v in env.items() if k != "DOJO_INTERNAL_SECRET"}
    if name == "auth":
        child["DOJO_INTERNAL_SECRET"] = env["DOJO_INTERNAL_SECRET"]
    child["DOJO_SERVICE_SECRET"] = service_secret(env["DOJO_INTERNAL_SECRET"], name)
    return child


def parse_replicas(text: str) -> dict[str, int]:
    """"pose=2,scoring=2" -> {"pose": 2, "scoring": 2}; a ConfigError naming what is wrong."""
    out: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition("=")
        if name not in SERVICES or not count.isdigit() or not 1 <= int(count) <= 8:
            raise ConfigError(f"--replicas: expected service=count (services {', '.join(SERVICES)}; "
                              f"1 to 8 each), got {item!r}")
        out[name] = int(count)
    if out.get("auth", 1) > 1:
        raise ConfigError("--replicas: the auth service runs once here (its signing key lives in the state "
                          "directory of this machine)")
    return out


def addresses(settings: Settings, replicas: dict[str, int]) -> dict[str, list[str]]:
    """host:port of every replica of every service."""
    out = {}
    for name in BACKENDS:
        host, port = _split(getattr(settings, f"{name}_addr"))
        out[name] = [f"{host}:{port + REPLICA_PORT_STEP * k}" for k in range(replicas.get(name, 1))]
    out["edge"] = [f"{settings.api_host}:{settings.api_port + k}" for k in range(replicas.get("edge", 1))]
    for name, found in out.items():
        if max(_split(a)[1] for a in found) >= 65536:
            raise ConfigError(f"--replicas: {name}'s replicas run out of ports above {found[0]}")
    return out


def target(name: str, replicas: list[str]) -> str:
    """One gRPC target for all replicas of a backend (gRPC's ipv4:/ipv6: schemes take address lists)."""
    if len(replicas) == 1:
        return replicas[0]
    hosts = [_split(a)[0].strip("[]") for a in replicas]
    try:
        versions = {ipaddress.ip_address(h).version for h in hosts}
    except ValueError:
        raise ConfigError(f"replicas of {name} need IP addresses in DOJO_{name.upper()}_ADDR "
                          f"(got {replicas[0]})") from None
    if len(versions) != 1:
        raise ConfigError(f"replicas of {name} mix IPv4 and IPv6 addresses")
    return f"ipv{versions.pop()}:" + ",".join(replicas)


def plan(settings: Settings, env: dict[str, str], names: tuple[str, ...] = SERVICES,
         replicas: dict[str, int] | None = None, envoy_port: int = 0) -> list[Process]:
    """The processes to run, in start order; env: the supervisor's (with DOJO_INTERNAL_SECRET)."""
    where = addresses(settings, replicas or {})
    shared = {f"DOJO_{name.upper()}_ADDR": target(name, where[name]) for name in BACKENDS}
    out = []
    for name in names:
        for k, addr in enumerate(where[name], start=1):
            child = {**credentials(name, env), **shared}
            child.pop("DOJO_METRICS_PORT", None)
            if name == "edge":
                child["DOJO_API_PORT"] = str(_split(addr)[1])
            else:
                child[f"DOJO_{name.upper()}_ADDR"] = addr  # where this replica listens
                child["DOJO_METRICS_PORT"] = str(metrics_port(addr, name))
            out.append(Process(name if k == 1 else f"{name}#{k}", (sys.executable, "-m", f"services.{name}.main"),
                               child))
    if envoy_port:
        out.append(_envoy(settings, env, where, envoy_port))
    return out


def _envoy(settings: Settings, env: dict[str, str], where: dict[str, list[str]], port: int) -> Process:
    from services.kit import gateway

    upstreams = gateway.Upstreams(edge=where["edge"], auth=where["auth"], coach=where["coach"],
                                  scoring=where["scoring"])
    # Its admin port, like a backend's metrics port, is its port + 1000: Envoy's metrics are at /stats/prometheus.
    config = gateway.render(settings, upstreams, port=port, admin_port=port + METRICS_PORT_OFFSET)
    path = Path(settings.state_dir) / "envoy.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    argv = tuple(gateway.command(path, base_id=port, workers=settings.envoy_workers))
    return Process("envoy", argv, {k: v for k, v in env.items() if not k.startswith("DOJO_")})
