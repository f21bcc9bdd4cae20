"""CPU time each process of a benchmark run spends during one load, per request (bench/api_path.py).

The machines are 2 cores shared by the servers and the load client, so requests/s alone does not say which
process is the limit; the CPU each one spends per request does. Counted from the kernel's per-process times
(psutil), so nothing samples the processes meanwhile; the load client's own (wrk, a child of this process)
comes from the rusage of reaped children.
"""

from __future__ import annotations

import resource

import psutil

from services.kit.topology import SERVICES


def run_processes(state_dir: str, extra: dict[int, str] | None = None) -> dict[psutil.Process, str]:
    """This run's processes by role: the services started with DOJO_STATE_DIR=state_dir (each replica
    counted under its service), their PostgreSQL and Envoy, and `extra` (pid -> name, e.g. the echo's)."""
    found: dict[psutil.Process, str] = {}
    for p in psutil.process_iter(["cmdline", "name"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
            name = p.info["name"] or ""
            if extra and p.pid in extra:
                found[p] = extra[p.pid]
            elif p.environ().get("DOJO_STATE_DIR") == state_dir:
                role = next((s for s in SERVICES if f"services.{s}.main" in cmd), None)
                if role:
                    found[p] = role
            elif "postgres" in name and state_dir in cmd:  # the postmaster (-D under state_dir) and its
                found[p] = "postgres"                        # backends, one per pooled connection
                found.update({c: "postgres" for c in p.children(recursive=True)})
            elif "envoy" in name and state_dir in cmd:
                found[p] = "envoy"
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _times(procs: dict[psutil.Process, str]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for p, name in procs.items():
        try:
            t = p.cpu_times()
            seconds[name] = seconds.get(name, 0.0) + t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds["wrk"] = child.ru_utime + child.ru_stime
    return seconds


class CpuMeter:
    """`with CpuMeter(procs) as m: <load>`; then m.ms_per_request(n) -> {name: CPU ms per request}."""

    def __init__(self, procs: dict[psutil.Process, str]):
        self.procs = procs
        self.spent: dict[str, float] = {}

    def __enter__(self) -> "CpuMeter":
        self._before = _times(self.procs)
        return self

    def __exit__(self, *exc) -> None:
        after = _times(self.procs)
        self.spent = {name: after[name] - self._before.get(name, 0.0) for name in after}

    def ms_per_request(self, requests: float) -> dict[str, float]:
        return {name: 1000 * s / requests for name, s in self.spent.items()} if requests > 0 else {}
