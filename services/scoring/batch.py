"""Immediate batch analysis (POST /batch_analyze): several videos, each its own stored analysis.

Each video goes through Analyzer.analyze exactly as POST /analyze would take it (the same command, the
same ownership, the same store), so a batch row and a single analysis of the same video are the same
record. A video that fails (unreachable URL, no person, unknown coach) fails its row only: the row
carries the error as the REST envelope's "error" object, the others go on. `parallel` runs up to
`max_workers` analyses at once, within MAX_WORKERS: the pose service has its own bounded pool of decoder
processes, so more concurrent analyses would only wait there holding memory. The batch is bounded by
MAX_VIDEOS: an immediate batch holds the HTTP request open for all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from services.kit import errors
from services.kit.context import Principal

from .analysis import AnalyzeCommand, Analyzer

log = logging.getLogger(__name__)

MAX_VIDEOS = 20
MAX_WORKERS = 4


@dataclass(frozen=True)
class BatchVideo:
    command: AnalyzeCommand          # built by the caller from the video's URL or data (video_source)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchRow:
    video: str
    status: str                      # "completed" or "failed"
    processing_time: float           # s
    analysis_id: str = ""
    score: float | None = None
    error: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    status: str
    rows: list[BatchRow]
    total_time: float                # s

    @property
    def completed(self) -> int:
        return sum(r.status == "completed" for r in self.rows)

    @property
    def avg_score(self) -> float | None:
        scores = [r.score for r in self.rows if r.score is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


def check_request(count: int, parallel: bool, max_workers: int) -> int:
    """The number of analyses to run at once; InvalidRequest naming the cap when a bound is exceeded."""
    if count == 0:
        raise errors.InvalidRequest("A batch needs at least one video", details={"videos": "must not be empty"})
    if count > MAX_VIDEOS:
        raise errors.InvalidRequest(f"A batch holds at most {MAX_VIDEOS} videos (got {count})",
                                    details={"videos": f"at most {MAX_VIDEOS} items"})
    if not 0 <= max_workers <= MAX_WORKERS:
        raise errors.InvalidRequest(f"max_workers must be between 1 and {MAX_WORKERS} (got {max_workers})",
                                    details={"max_workers": f"between 1 and {MAX_WORKERS}"})
    return (max_workers or MAX_WORKERS) if parallel else 1


async def run_batch(analyzer: Analyzer, videos: list[BatchVideo], principal: Principal | None, *, parallel: bool,
                    max_workers: int, clock: Callable[[], float] = time.perf_counter) -> BatchResult:
    """Analyse every video (in request order in the answer); never raises for one video's failure."""
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    workers = check_request(len(videos), parallel, max_workers)
    started = clock()
    gate = asyncio.Semaphore(workers)

    async def one(video: BatchVideo) -> BatchRow:
        async with gate:
            begun = clock()
            try:
                record = await analyzer.analyze(video.command, principal)
            except Exception as exc:  # noqa: BLE001 - one video's failure, whatever it is, is its row's
                if not isinstance(exc, errors.DomainError):
                    log.exception("batch video failed: %s", video.command.video_label)
                    exc = errors.DomainError("Internal server error")
                return BatchRow(video=video.command.video_label, status="failed", error=exc.to_dict(),
                                processing_time=round(clock() - begun, 3), metadata=video.metadata)
            return BatchRow(video=video.command.video_label, status="completed", analysis_id=record.id,
                            score=float(record.result["metrics"]["overall_score"]),
                            processing_time=round(record.processing_time, 3), metadata=video.metadata)

    rows = list(await asyncio.gather(*(one(v) for v in videos)))
    done = sum(r.status == "completed" for r in rows)
    status = "completed" if done == len(rows) else ("failed" if done == 0 else "completed_with_errors")
    return BatchResult(batch_id=f"batch_{uuid.uuid4().hex[:12]}", status=status, rows=rows,
                       total_time=round(clock() - started, 3))
