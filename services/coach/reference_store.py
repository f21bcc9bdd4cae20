"""PostgreSQL storage of reference performances (schema `coach`, table reference_performances)."""

from __future__ import annotations

from typing import Any, Callable

from services.kit.db import PoolStore
from services.kit.readiness import SetAtWarmUp

_COLUMNS = ("id, coach_id, technique, name, source, fps, frame_count, detected_frames, duration_ms, "
            "body_mass_kg, created_by, created_at")


class ReferenceStore(PoolStore):
    """Reference rows as plain dicts (keys as in the contract); the poses are the serialized PoseSequence."""

    pool = SetAtWarmUp("The coach registry is starting; try again shortly")

    async def insert(self, reference: dict[str, Any], poses: bytes,
                     authorize: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """In one transaction: lock the coach row, let `authorize(coach)` check it (it may raise), append
        the technique to the coach's techniques when missing, and insert the reference.

        Returns the new row, or None when the coach does not exist (any more)."""
        async with self.pool.acquire() as conn, conn.transaction():
            coach = await conn.fetchrow("SELECT id, owner_id, techniques FROM coaches WHERE id = $1 FOR UPDATE",
                                        reference["coach_id"])
            if coach is None:
                return None
            coach = dict(coach)
            coach["techniques"] = list(coach["techniques"])
            authorize(coach)
            if reference["technique"] not in coach["techniques"]:
                await conn.execute("UPDATE coaches SET techniques = array_append(techniques, $2), updated_at = now() "
                                   "WHERE id = $1", reference["coach_id"], reference["technique"])
            record = await conn.fetchrow(
                f"""INSERT INTO reference_performances (id, coach_id, technique, name, source, fps, frame_count,
                                                        detected_frames, duration_ms, body_mass_kg, created_by, poses)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {_COLUMNS}""",
                reference["id"], reference["coach_id"], reference["technique"], reference["name"],
                reference["source"], reference["fps"], reference["frame_count"], reference["detected_frames"],
                reference["duration_ms"], reference["body_mass_kg"], reference["created_by"], poses)
            return dict(record)

    async def list(self, coach_id: str, technique: str | None, limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page, newest first, and the count of all matching references, read from one snapshot."""
        where = "coach_id = $1 AND ($2::text IS NULL OR technique = $2)"
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            records = await conn.fetch(
                f"SELECT {_COLUMNS} FROM reference_performances WHERE {where} "
                "ORDER BY created_at DESC, id LIMIT $3 OFFSET $4", coach_id, technique, limit, offset)
            total = await conn.fetchval(f"SELECT count(*) FROM reference_performances WHERE {where}",
                                        coach_id, technique)
        return [dict(r) for r in records], total

    async def get(self, coach_id: str, reference_id: str, *, with_poses: bool) -> dict[str, Any] | None:
        """The reference (with a "poses" key holding the serialized sequence when asked); None if it is
        not one of this coach's references."""
        columns = f"{_COLUMNS}, poses" if with_poses else _COLUMNS
        record = await self.pool.fetchrow(
            f"SELECT {columns} FROM reference_performances WHERE id = $1 AND coach_id = $2", reference_id, coach_id)
        return None if record is None else dict(record)

    async def delete(self, coach_id: str, reference_id: str,
                     authorize: Callable[[dict[str, Any]], None]) -> bool | None:
        """Lock the coach row, let `authorize(coach)` check it (it may raise), delete one of its references.

        None when the coach does not exist, False when it has no such reference."""
        async with self.pool.acquire() as conn, conn.transaction():
            coach = await conn.fetchrow("SELECT id, owner_id FROM coaches WHERE id = $1 FOR SHARE", coach_id)
            if coach is None:
                return None
            authorize(dict(coach))
            status = await conn.execute("DELETE FROM reference_performances WHERE id = $1 AND coach_id = $2",
                                        reference_id, coach_id)
            return status == "DELETE 1"
