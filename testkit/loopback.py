"""Free ports on the loopback interface, for the processes that tests and benchmarks start."""

from __future__ import annotations

import socket

from services.kit.topology import METRICS_PORT_OFFSET


def free_port() -> int:
    """A port nobody listens on now (the kernel's pick; another process may take it before it is used)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int = 1, step: int = 1, offsets: tuple[int, ...] = (0, METRICS_PORT_OFFSET)) -> int:
    """A free port p with every p + k*step + offset free too (k < count): the ports `kataforge serve` gives
    replicas (step REPLICA_PORT_STEP) and their metrics endpoints (+METRICS_PORT_OFFSET), services/kit/topology.py."""
    while True:
        p = free_port()
        wanted = [p + k * step + extra for k in range(count) for extra in offsets]
        if max(wanted) < 65536 and all(_is_free(q) for q in wanted):
            return p
