"""PostgreSQL notifications on one channel, on a connection of their own (never a pool's: LISTEN is session
state, services.kit.db.keep_session). A trigger NOTIFYs at commit; every replica that listens hears it
within milliseconds, whichever replica or tool made the change.

Notifications are hints: one can be missed while the connection is down (a database restart). So the
owner is told when the connection is lost (`lost`) and must then fall back on reading the database
(the training watchers re-read on a timer; the coach record cache keeps nothing) until `open()` succeeds
again; `listening` says which state it is in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import asyncpg

log = logging.getLogger("kataforge.db")

CONNECT_TIMEOUT_S = 5.0


class ChannelListener:
    """`notified(payload)` for every notification on `channel`; `lost()` once when the connection drops."""

    def __init__(self, dsn: str, channel: str, notified: Callable[[str], None], lost: Callable[[], None]) -> None:
        self.dsn, self.channel = dsn, channel
        self._notified, self._on_lost = notified, lost
        self._conn: asyncpg.Connection | None = None
        self._opening = asyncio.Lock()

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def _deliver(self, _conn, _pid, _channel, payload: str) -> None:
        self._notified(payload)

    def _lost(self, _conn) -> None:
        log.warning("notifications on %s: the LISTEN connection was lost", self.channel)
        self._conn = None
        self._on_lost()

    async def open(self) -> bool:
        """Listen, if not already; False (logged) when the database cannot be reached now."""
        async with self._opening:
            if self.listening:
                return True
            try:
                conn = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT_S)
                await conn.add_listener(self.channel, self._deliver)
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                log.warning("notifications on %s unavailable (%s)", self.channel, exc)
                return False
            conn.add_termination_listener(self._lost)
            self._conn = conn
            return True

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.remove_termination_listener(self._lost)
            await conn.close()
