"""Training-job changes pushed by PostgreSQL: one LISTEN connection per scoring process, fanned out to
every watcher of a job (WatchTraining).

The trigger of migration 005 NOTIFYs 'kataforge_training' with the job id at the commit of any change
to the job, whichever replica made it, so a watcher learns of an epoch within milliseconds instead of
polling. Notifications are hints, not data: a watcher re-reads the job and its new epochs, and also does
so every SAFETY_S seconds, so a lost LISTEN connection (database restart) delays it but loses nothing.
The connection is opened at the first watch and again after it is lost.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import asyncpg

log = logging.getLogger("kataforge.training")

CHANNEL = "kataforge_training"
SAFETY_S = 5.0  # a watcher re-reads at least this often, notified or not


class JobChanges:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._opening = asyncio.Lock()
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def _notified(self, _conn, _pid, _channel, job_id: str) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

    def _lost(self, _conn) -> None:
        log.warning("training notifications: the LISTEN connection was lost; watchers re-read every %.0f s "
                    "until it is opened again", SAFETY_S)
        self._conn = None
        for events in self._watchers.values():
            for event in events:
                event.set()  # re-read now: a change may have been missed

    async def _listen(self) -> None:
        async with self._opening:
            if self._conn is not None and not self._conn.is_closed():
                return
            try:
                conn = await asyncpg.connect(self.dsn, timeout=5)
                await conn.add_listener(CHANNEL, self._notified)
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                log.warning("training notifications unavailable (%s); watchers re-read every %.0f s", exc, SAFETY_S)
                return
            conn.add_termination_listener(self._lost)
            self._conn = conn

    @asynccontextmanager
    async def watching(self, job_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set at every change of the job (and at least every SAFETY_S by `wait`)."""
        await self._listen()
        event = asyncio.Event()
        self._watchers.setdefault(job_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._watchers.get(job_id, set())
            events.discard(event)
            if not events:
                self._watchers.pop(job_id, None)

    async def wait(self, event: asyncio.Event) -> None:
        """Until the job changed or SAFETY_S passed; then clear, so a change during the re-read sets it again."""
        if self._conn is None:
            await self._listen()
        try:
            await asyncio.wait_for(event.wait(), SAFETY_S)
        except asyncio.TimeoutError:
            pass
        event.clear()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.remove_termination_listener(self._lost)
            await conn.close()
