"""PostgreSQL storage of coaches (schema `coach`): one statement or one transaction per operation."""

from __future__ import annotations

import json
from typing import Any, Callable

import asyncpg

from services.coach.record_cache import CoachRecordCache
from services.coach.validation import EDITABLE_FIELDS
from services.kit.db import PoolStore
from services.kit.readiness import SetAtWarmUp
from services.kit.errors import Conflict

_COLUMNS = ("id, name, style, rank, years_experience, teachers, techniques, teaching_philosophy, "
            "owner_id, created_at, updated_at")


def _row(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record)
    row["teachers"] = list(row["teachers"])
    row["techniques"] = list(row["techniques"])
    if row["teaching_philosophy"] is not None:  # asyncpg hands jsonb over as text
        row["teaching_philosophy"] = json.loads(row["teaching_philosophy"])
    return row


def _jsonb(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class CoachStore(PoolStore):
    """Coach rows as plain dicts (keys as in the contract, timestamps as aware datetimes). With a `cache`
    (record_cache.py) a read is answered from the records kept, and every write here drops its id."""

    pool = SetAtWarmUp("The coach registry is starting; try again shortly")

    def __init__(self, pool: asyncpg.Pool | None = None, cache: CoachRecordCache | None = None) -> None:
        super().__init__(pool)
        self.cache = cache

    def _changed(self, coach_id: str) -> None:
        if self.cache is not None:
            self.cache.changed(coach_id)

    async def insert(self, coach: dict[str, Any], owner_id: str) -> dict[str, Any]:
        """Insert a validated coach; created_at = updated_at = the database's now(). Conflict if the id exists."""
        try:
            record = await self.pool.fetchrow(
                f"""INSERT INTO coaches (id, name, style, rank, years_experience, teachers, techniques,
                                         teaching_philosophy, owner_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING {_COLUMNS}""",
                coach["id"], coach["name"], coach["style"], coach.get("rank"), coach.get("years_experience"),
                coach.get("teachers") or [], coach.get("techniques") or [],
                _jsonb(coach.get("teaching_philosophy")), owner_id)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"Coach '{coach['id']}' already exists", details={"id": "Already taken"}) from None
        self._changed(coach["id"])
        return _row(record)

    async def get(self, coach_id: str) -> dict[str, Any] | None:
        cache = self.cache
        if cache is not None:
            await cache.ensure_listening()
            if (kept := cache.get(coach_id)) is not None:
                return kept
            generation = cache.generation  # taken before the read: a change during it is not kept
        record = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM coaches WHERE id = $1", coach_id)
        if record is None:
            return None
        row = _row(record)
        if cache is not None:
            cache.keep(coach_id, row, generation)
        return row

    async def list(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page ordered by id, and the count of all coaches, read from one snapshot."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            records = await conn.fetch(f"SELECT {_COLUMNS} FROM coaches ORDER BY id LIMIT $1 OFFSET $2",
                                       limit, offset)
            total = await conn.fetchval("SELECT count(*) FROM coaches")
        return [_row(r) for r in records], total

    async def count(self) -> int:
        return await self.pool.fetchval("SELECT count(*) FROM coaches")

    async def update(self, coach_id: str,
                     prepare: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any] | None:
        """Lock the row, let `prepare(current)` check it and return the changes, apply them with
        updated_at = now(), and return the new row; None if there is no such coach.

        `prepare` may raise (forbidden, invalid); the transaction is then rolled back untouched."""
        async with self.pool.acquire() as conn, conn.transaction():
            record = await conn.fetchrow(f"SELECT {_COLUMNS} FROM coaches WHERE id = $1 FOR UPDATE", coach_id)
            if record is None:
                return None
            changes = prepare(_row(record))
            assignments, args = [], [coach_id]
            for field, value in changes.items():
                if field not in EDITABLE_FIELDS:  # column names come from this fixed list only
                    raise ValueError(f"not an editable coach field: {field}")
                args.append(_jsonb(value) if field == "teaching_philosophy" else value)
                cast = "::jsonb" if field == "teaching_philosophy" else ""
                assignments.append(f"{field} = ${len(args)}{cast}")
            assignments.append("updated_at = now()")
            record = await conn.fetchrow(
                f"UPDATE coaches SET {', '.join(assignments)} WHERE id = $1 RETURNING {_COLUMNS}", *args)
        self._changed(coach_id)  # committed: this replica answers the new row from now on
        return _row(record)

    async def delete(self, coach_id: str, authorize: Callable[[dict[str, Any]], None]) -> bool:
        """Lock the row, let `authorize(current)` check it (it may raise), delete it. False if absent."""
        async with self.pool.acquire() as conn, conn.transaction():
            record = await conn.fetchrow(f"SELECT {_COLUMNS} FROM coaches WHERE id = $1 FOR UPDATE", coach_id)
            if record is None:
                return False
            authorize(_row(record))
            await conn.execute("DELETE FROM coaches WHERE id = $1", coach_id)
        self._changed(coach_id)
        return True
