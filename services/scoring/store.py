"""Persistence of analyses in the scoring schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg


@dataclass
class AnalysisRecord:
    id: str
    owner_id: str
    coach: str
    technique: str
    video: str
    status: str
    created_at: datetime
    processing_time: float
    # metrics, corrections, recommendations, details, model_timings: the JSON body of the analysis.
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisSummary:
    """What a list of analyses shows of each (the full record is GET /analyses/{id})."""

    id: str
    coach: str
    technique: str
    video: str
    status: str
    overall_score: float
    processing_time: float
    created_at: datetime


class AnalysisStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, record: AnalysisRecord) -> None:
        await self.pool.execute(
            """INSERT INTO analyses (id, owner_id, coach, technique, video, status, overall_score, result,
                                     processing_time, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)""",
            record.id, record.owner_id, record.coach, record.technique, record.video, record.status,
            float(record.result["metrics"]["overall_score"]), json.dumps(record.result), record.processing_time,
            record.created_at)

    async def get(self, analysis_id: str) -> AnalysisRecord | None:
        row = await self.pool.fetchrow("SELECT * FROM analyses WHERE id = $1", analysis_id)
        return None if row is None else self._record(row)

    async def page(self, *, owner_id: str | None, coach: str, technique: str, since: datetime | None,
                   until: datetime | None, after: tuple[datetime, str] | None, limit: int) -> list[AnalysisSummary]:
        """Analyses newest first matching the filters (owner_id None: anyone's), strictly after the
        (created_at, id) keyset `after`: pages stay stable while new analyses are stored."""
        rows = await self.pool.fetch(
            """SELECT id, coach, technique, video, status, overall_score, processing_time, created_at FROM analyses
               WHERE ($1::text IS NULL OR owner_id = $1) AND ($2 = '' OR coach = $2) AND ($3 = '' OR technique = $3)
                 AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)
                 AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7))
               ORDER BY created_at DESC, id DESC LIMIT $8""",
            owner_id, coach, technique, since, until, after[0] if after else None, after[1] if after else "", limit)
        return [AnalysisSummary(**dict(row)) for row in rows]

    async def progress(self, owner_id: str, technique: str, coach: str, limit: int) -> list[dict[str, Any]]:
        """The owner's newest `limit` analyses of a technique (optionally against one coach), oldest first:
        id, created_at, overall_score and the metrics JSON."""
        rows = await self.pool.fetch(
            """SELECT * FROM (SELECT id, created_at, overall_score, result->'metrics' AS metrics FROM analyses
                              WHERE owner_id = $1 AND technique = $2 AND ($3 = '' OR coach = $3)
                              ORDER BY created_at DESC, id DESC LIMIT $4) newest
               ORDER BY created_at, id""", owner_id, technique, coach, limit)
        return [{**dict(row), "metrics": json.loads(row["metrics"])} for row in rows]

    @staticmethod
    def _record(row) -> AnalysisRecord:
        return AnalysisRecord(id=row["id"], owner_id=row["owner_id"], coach=row["coach"], technique=row["technique"],
                              video=row["video"], status=row["status"], created_at=row["created_at"],
                              processing_time=row["processing_time"], result=json.loads(row["result"]))

    async def count(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM analyses"))
