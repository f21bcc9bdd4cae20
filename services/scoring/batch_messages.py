"""Protobuf messages of batches, immediate (batch.py) and durable (batch_jobs.py): one shape of a row for
both, so that GET /batch/results/{id} answers what POST /batch_analyze does."""

from __future__ import annotations

from datetime import datetime, timezone

from kataforge.scoring.v1 import scoring_pb2

from . import batch
from .batch_store import ENDED, BatchJob


def batch_proto(result: batch.BatchResult) -> scoring_pb2.BatchAnalyzeResponse:
    out = scoring_pb2.BatchAnalyzeResponse(batch_id=result.batch_id, status=result.status)
    for row in result.rows:
        msg = out.results.add(video=row.video, analysis_id=row.analysis_id, status=row.status,
                              processing_time=row.processing_time)
        if row.score is not None:
            msg.score = row.score
        if row.error is not None:
            msg.error.update(row.error)
        if row.metadata:
            msg.metadata.update(row.metadata)
    out.summary.total_videos = len(result.rows)
    out.summary.completed = result.completed
    out.summary.failed = sum(r.status == "failed" for r in result.rows)
    out.summary.total_time = result.total_time
    if result.avg_score is not None:
        out.summary.avg_score = result.avg_score
    return out


def results_proto(job: BatchJob) -> scoring_pb2.BatchAnalyzeResponse:
    """A durable batch's rows as /batch_analyze's; total_time runs from submission to the end (or now)."""
    end = job.finished_at or datetime.now(timezone.utc)
    rows = [batch.BatchRow(video=i.video, status=i.status, processing_time=round(i.processing_time, 3),
                           analysis_id=i.analysis_id if i.status == "completed" else "", score=i.score,
                           error=i.error, metadata=i.metadata) for i in job.items]
    return batch_proto(batch.BatchResult(batch_id=job.id, status=job.status, rows=rows,
                                         total_time=round((end - job.created_at).total_seconds(), 3)))


def job_proto(job: BatchJob) -> scoring_pb2.BatchJob:
    counts = {s: job.counts.get(s, 0) for s in ("queued", "processing", "completed", "failed", "cancelled")}
    ended = sum(counts[s] for s in ENDED)
    out = scoring_pb2.BatchJob(batch_id=job.id, status=job.status, progress=scoring_pb2.BatchProgress(
        total=job.total, fraction=round(ended / job.total, 4) if job.total else 0.0, **counts))
    out.created_at.FromDatetime(job.created_at)
    if job.finished_at is not None:
        out.finished_at.FromDatetime(job.finished_at)
    for item in job.items:
        msg = out.videos.add(position=item.position, video=item.video, coach=item.coach, technique=item.technique,
                             status=item.status, analysis_id=item.analysis_id,
                             processing_time=round(item.processing_time, 3), attempts=item.attempts)
        if item.score is not None:
            msg.score = item.score
        if item.error:
            msg.error.update(item.error)
        if item.metadata:
            msg.metadata.update(item.metadata)
    return out
