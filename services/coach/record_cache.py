"""Coach records kept in memory between reads, dropped the moment any replica changes one.

Why: GET /coaches/{id} through Envoy is one coach-service call, and its database read was ~0.18 of the
0.61 ms of CPU that call cost the service's one Python process, the limit of the REST path
(bench/api_path.py --profile-via envoy --profile-service coach, 2026-12-07: with records kept 0.43 ms, and
0.70-0.82x of the bare echo's requests/s against 0.60-0.66x without). The scoring service reads the coach
of every analysis made against one too.

Never stale past a commit it could know of:
- migration 003's trigger NOTIFYs 'kataforge_coach_changed' with the id at the commit of any insert,
  update or delete of a coach, whoever made it; every replica listens (kit.db_notifications) and drops it;
- the replica that writes drops the id itself before it answers (read-your-writes with no wait for the
  notification);
- a read that was under way when any change arrived is not kept (the generation count), as it may have
  read the row before that commit;
- nothing is kept while the LISTEN connection is down, and everything kept is dropped when it is lost: a
  change missed in the gap cannot be served. Another replica may answer from before a commit for as long
  as its notification takes (milliseconds on one database).
KEPT_SECONDS bounds the rest: should notifications not arrive while the connection stays open (a DSN that
points at a pooler in transaction mode, where LISTEN does not hold), a record is at most that old.
"""

from __future__ import annotations

import time
from typing import Any

from cachetools import TTLCache

from services.kit.db_notifications import ChannelListener

CHANNEL = "kataforge_coach_changed"
KEPT_SECONDS = 10.0  # the oldest a record answered can be, should a notification never arrive
KEPT = 10_000  # records, a few hundred bytes each
REOPEN_S = 5.0  # while the LISTEN connection is down, a read tries to open it again at most this often


class CoachRecordCache:
    def __init__(self, dsn: str) -> None:
        self._kept: TTLCache[str, dict[str, Any]] = TTLCache(KEPT, KEPT_SECONDS)
        self._generation = 0
        self._listener = ChannelListener(dsn, CHANNEL, self.changed, self._lost)
        self._tried_at = -REOPEN_S

    async def open(self) -> bool:
        """Start listening (False when the database cannot be reached now: nothing is kept until it can)."""
        self._tried_at = time.monotonic()
        return await self._listener.open()

    @property
    def listening(self) -> bool:
        """Records are kept and answered only while this holds."""
        return self._listener.listening

    async def ensure_listening(self) -> None:
        """Before a read: if the connection was lost, try again (at most every REOPEN_S)."""
        if not self.listening and time.monotonic() - self._tried_at >= REOPEN_S:
            await self.open()

    async def close(self) -> None:
        await self._listener.close()
        self._lost()

    @property
    def generation(self) -> int:
        """Taken before a read and handed to keep(): a change in between means the read may be stale."""
        return self._generation

    def get(self, coach_id: str) -> dict[str, Any] | None:
        """A copy of the kept record (its top level: the lists and the philosophy inside are shared, and
        nothing here changes them), or None."""
        if not self.listening:
            return None
        found = self._kept.get(coach_id)
        return None if found is None else dict(found)

    def keep(self, coach_id: str, record: dict[str, Any], generation: int) -> None:
        if self.listening and generation == self._generation:
            self._kept[coach_id] = dict(record)

    def changed(self, coach_id: str) -> None:
        """The coach changed (a notification, or this replica's own write): forget it."""
        self._generation += 1
        self._kept.pop(coach_id, None)

    def _lost(self) -> None:
        self._generation += 1
        self._kept.clear()
