"""`kataforge serve`: embedded PostgreSQL plus the five services as supervised child processes."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from services.kit.config import ConfigError, Settings
from services.kit.server import port_of
from services.kit.service_identity import service_secret

log = logging.getLogger("kataforge.supervisor")

# Start order: backends before their callers (gRPC clients reconnect anyway, this just avoids noise).
SERVICES = ("auth", "coach", "pose", "scoring", "edge")
STOP_GRACE_SECONDS = 25.0
MAX_BACKOFF_SECONDS = 30.0
# Each backend's Prometheus endpoint is its gRPC port + this (auth 51051 ... scoring 51054 with the default
# addresses; deploy/observability/prometheus.yml scrapes those). Derived even when DOJO_METRICS_PORT is set:
# the children cannot share one port. The edge serves /metrics on its API port instead.
METRICS_PORT_OFFSET = 1000


@dataclass
class Child:
    name: str
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


def metrics_port(settings: Settings, name: str) -> int | None:
    """The metrics port `kataforge serve` gives a backend; None for the edge."""
    if name == "edge":
        return None
    addr = getattr(settings, f"{name}_addr")
    port = port_of(addr) + METRICS_PORT_OFFSET
    if port >= 65536:
        raise ConfigError(f"DOJO_{name.upper()}_ADDR: {addr} leaves no metrics port (its port + "
                          f"{METRICS_PORT_OFFSET} is above 65535)")
    return port


def child_env(name: str, env: dict[str, str], settings: Settings) -> dict[str, str]:
    """A child's environment: its credential (_credentials) and, for a backend, its metrics port."""
    child = _credentials(name, env)
    port = metrics_port(settings, name)
    if port is None:
        child.pop("DOJO_METRICS_PORT", None)
    else:
        child["DOJO_METRICS_PORT"] = str(port)
    return child


def _spawn(name: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"services.{name}.main"], env=env)


def _credentials(name: str, env: dict[str, str]) -> dict[str, str]:
    """A child's environment with its own service credential; the internal secret only for the auth service
    (services/kit/service_identity.py), so no other process can obtain tokens as another service."""
    child = {k: v for k, v in env.items() if k != "DOJO_INTERNAL_SECRET"}
    if name == "auth":
        child["DOJO_INTERNAL_SECRET"] = env["DOJO_INTERNAL_SECRET"]
    child["DOJO_SERVICE_SECRET"] = service_secret(env["DOJO_INTERNAL_SECRET"], name)
    return child


def run(settings: Settings, names: tuple[str, ...] = SERVICES) -> int:
    """Start everything, restart a child that dies (with backoff), stop all on SIGINT/SIGTERM."""
    env = dict(os.environ)
    # One per run unless the deployment gives one: tokens live 5 minutes, nothing signed with it outlives the run.
    env.setdefault("DOJO_INTERNAL_SECRET", secrets.token_hex(32))
    env.pop("DOJO_SERVICE_SECRET", None)  # each child gets its own
    for name in names:
        metrics_port(settings, name)  # an address without room for its metrics port fails before anything starts
    pg = None
    if not settings.database_url:
        from services.kit import embedded_pg
        pg = embedded_pg.start(settings.state_dir)
        env["DOJO_DATABASE_URL"] = pg.get_uri()
        log.info("embedded PostgreSQL: %s", env["DOJO_DATABASE_URL"])
    child_envs = {name: child_env(name, env, settings) for name in names}
    stopping = False

    def _stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    children = [Child(name) for name in names]
    try:
        while not stopping:
            now = time.monotonic()
            for child in children:
                if child.process is not None and child.process.poll() is not None:
                    code = child.process.returncode
                    # A child that ran for a minute has recovered: reset its backoff.
                    if now - child.started_at > 60:
                        child.restarts = 0
                    delay = min(MAX_BACKOFF_SECONDS, 2.0 ** child.restarts)
                    log.warning("%s exited with %s; restarting in %.0fs", child.name, code, delay)
                    child.process, child.next_start = None, now + delay
                    child.restarts += 1
                if child.process is None and now >= child.next_start:
                    child.process, child.started_at = _spawn(child.name, child_envs[child.name]), now
                    log.info("started %s (pid %d)", child.name, child.process.pid)
            time.sleep(0.2)
    finally:
        log.info("stopping services")
        for child in reversed(children):
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", child.name)
                child.process.kill()
                child.process.wait()
        if pg is not None:
            pg.cleanup()
        log.info("all services stopped")
    return 0
