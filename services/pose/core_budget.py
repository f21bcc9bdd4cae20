"""The cores shared by concurrent pose extractions, and how a caller that stops waiting is told apart."""

from __future__ import annotations

import threading
from typing import Callable


class Cancelled(Exception):
    """The caller stopped waiting (polled `cancelled` turned true); the workers are being retired."""


class CoreBudget:
    """The cores shared by concurrent extractions: each takes one per worker process, so requests run in
    parallel on a many-core machine and queue instead of oversubscribing a small one."""

    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self._free = threading.Semaphore(self.total)
        self._taking = threading.Lock()  # one request gathers its cores at a time: no deadlock

    def acquire(self, n: int, cancelled: Callable[[], bool] | None = None) -> int:
        n, held = max(1, min(n, self.total)), 0
        with self._taking:
            while held < n:
                if self._free.acquire(timeout=0.1):
                    held += 1
                elif cancelled is not None and cancelled():
                    self.release(held)
                    raise Cancelled()
        return n

    def release(self, n: int) -> None:
        for _ in range(n):
            self._free.release()
