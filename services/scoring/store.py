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
        if row is None:
            return None
        return AnalysisRecord(id=row["id"], owner_id=row["owner_id"], coach=row["coach"], technique=row["technique"],
                              video=row["video"], status=row["status"], created_at=row["created_at"],
                              processing_time=row["processing_time"], result=json.loads(row["result"]))

    async def count(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM analyses"))
