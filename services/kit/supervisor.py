"""`kataforge serve`: embedded PostgreSQL plus the five services as supervised child processes."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field

from services.kit.config import Settings
from services.kit.topology import SERVICES, Process, plan

log = logging.getLogger("kataforge.supervisor")

STOP_GRACE_SECONDS = 25.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


def _spawn(process: Process) -> subprocess.Popen:
    # Each child in a session of its own, as each runs in a container of its own when deployed: where Linux
    # groups CPU time by session (autogroup, on by default), Envoy shared one group with the services behind
    # it and spent 0.39 ms a request where the same config started beside it spent 0.24 (perf stat; in
    # bench/api_path.py, 0.73-0.75x -> 1.25-1.35x the echo). The supervisor stops its children itself.
    return subprocess.Popen(list(process.argv), env=process.env, start_new_session=True)


def run(settings: Settings, names: tuple[str, ...] = SERVICES, replicas: dict[str, int] | None = None,
        envoy_port: int = 0) -> int:
    """Start everything (services/kit/topology.py: replicas, Envoy), restart a child that dies (with backoff),
    stop all on SIGINT/SIGTERM."""
    env = dict(os.environ)
    # One per run unless the deployment gives one: tokens live 5 minutes, nothing signed with it outlives the run.
    env.setdefault("DOJO_INTERNAL_SECRET", secrets.token_hex(32))
    env.pop("DOJO_SERVICE_SECRET", None)  # each child gets its own
    plan(settings, env, names, replicas, 0)  # a bad address or replica count fails before anything starts
    pg = None
    if not settings.database_url:
        from services.kit import embedded_pg
        pg = embedded_pg.start(settings.state_dir)
        env["DOJO_DATABASE_URL"] = pg.get_uri()
        log.info("embedded PostgreSQL: %s", env["DOJO_DATABASE_URL"])
    processes = {p.label: p for p in plan(settings, env, names, replicas, envoy_port)}
    stopping = False

    def _stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    children = [Child(label) for label in processes]
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
                    child.process, child.started_at = _spawn(processes[child.name]), now
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
