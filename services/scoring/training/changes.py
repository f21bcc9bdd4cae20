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

from services.kit.db_notifications import ChannelListener

log = logging.getLogger("kataforge.training")

CHANNEL = "kataforge_training"
SAFETY_S = 5.0  # a watcher re-reads at least this often, notified or not


class JobChanges:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._listener = ChannelListener(dsn, CHANNEL, self._notified, self._lost)
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def _notified(self, job_id: str) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

    def _lost(self) -> None:
        log.warning("training notifications lost; watchers re-read every %.0f s until they are back", SAFETY_S)
        for events in self._watchers.values():
            for event in events:
                event.set()  # re-read now: a change may have been missed

    async def _listen(self) -> None:
        if not await self._listener.open():
            log.warning("training watchers re-read every %.0f s", SAFETY_S)

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
        if not self._listener.listening:
            await self._listen()
        try:
            await asyncio.wait_for(event.wait(), SAFETY_S)
        except asyncio.TimeoutError:
            pass
        event.clear()

    async def close(self) -> None:
        await self._listener.close()
