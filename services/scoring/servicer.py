"""ScoringService servicer: protobuf <-> the analysis core."""

from __future__ import annotations

from contextlib import contextmanager
from typing import AsyncIterator

from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict

from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit import errors
from services.kit.context import principal_var
from services.kit.progress_stream import with_progress
from services.kit.readiness import SetAtWarmUp
from services.kit.video_source import parse_video_url
from services.scoring import batch, history, idempotency, live_relay
from services.scoring.analysis import AnalyzeCommand, Analyzer
from services.scoring.batch_jobs import BatchJobs
from services.scoring.batch_messages import batch_proto, job_proto, results_proto
from services.scoring.batch_store import NewVideo
from services.scoring.store import AnalysisRecord
from services.scoring.timeline import timeline_message
from services.scoring.training import messages
from services.scoring.training.jobs import TrainingJobs


def _command(req: scoring_pb2.AnalyzeRequest, **source) -> AnalyzeCommand:
    return AnalyzeCommand(coach=req.coach, technique=req.technique, verbose=req.verbose, device=req.device,
                          llm_backend=req.llm_backend, body_mass_kg=req.body_mass_kg,
                          video_label=req.video_label or req.video_url[:200], **source)


def _source_command(req: scoring_pb2.AnalyzeRequest, max_bytes: int) -> AnalyzeCommand:
    """The command for a request whose video_url is a URL or base64 data (services.kit.video_source)."""
    source = parse_video_url(req.video_url, max_bytes)
    if source.url:
        return _command(req, url=source.url)
    cmd = _command(req, chunks=source.chunks())
    cmd.video_label = req.video_label or source.label
    return cmd


def _batch_videos(request: scoring_pb2.BatchAnalyzeRequest, max_bytes: int) -> list[batch.BatchVideo]:
    videos = []
    for i, v in enumerate(request.videos):
        req = scoring_pb2.AnalyzeRequest(video_url=v.url, coach=v.coach, technique=v.technique,
                                         device=request.device, body_mass_kg=request.body_mass_kg)
        with _naming_video(i):
            command = _source_command(req, max_bytes)
        videos.append(batch.BatchVideo(command=command, metadata=MessageToDict(v.metadata)))
    return videos


def _new_videos(request: scoring_pb2.SubmitBatchRequest, max_bytes: int) -> list[NewVideo]:
    """A durable batch's videos: URLs as given, base64 decoded now (a malformed one refuses the batch)."""
    videos = []
    for i, v in enumerate(request.videos):
        with _naming_video(i):
            source = parse_video_url(v.url, max_bytes)
        label = source.url[:200] if source.url else f"base64 video ({len(source.data)} bytes)"
        videos.append(NewVideo(video=label, coach=v.coach, technique=v.technique, url=source.url,
                               data=source.data or None, metadata=MessageToDict(v.metadata)))
    return videos


@contextmanager
def _naming_video(i: int):
    """Malformed input is the request's fault: the error says which video."""
    try:
        yield
    except errors.DomainError as exc:
        if not isinstance(exc, (errors.InvalidRequest, errors.PayloadTooLarge)):
            raise
        raise type(exc)(f"videos[{i}].url: {exc.message}", details={f"videos.{i}.url": exc.message}) from None


def to_proto(record: AnalysisRecord) -> scoring_pb2.Analysis:
    result = record.result
    analysis = scoring_pb2.Analysis(
        id=record.id, status=record.status, video=record.video, coach=record.coach, technique=record.technique,
        corrections=result["corrections"], recommendations=result["recommendations"],
        processing_time=record.processing_time, owner_id=record.owner_id,
        model_timings=[scoring_pb2.ModelTiming(**t) for t in result.get("model_timings", [])])
    analysis.timestamp.FromDatetime(record.created_at)
    ParseDict(result["metrics"], analysis.metrics)
    if result.get("recognition"):
        ParseDict(result["recognition"], analysis.recognition)
    if result.get("details"):
        details = struct_pb2.Struct()
        details.update(result["details"])
        analysis.details.CopyFrom(details)
    if result.get("timeline"):
        timeline_message(result["timeline"], analysis.timeline)
    return analysis


class ScoringServicer(scoring_pb2_grpc.ScoringServiceServicer):
    def __init__(self, analyzer: Analyzer | None, max_bytes: int, training: TrainingJobs | None = None,
                 batches: BatchJobs | None = None) -> None:
        self._analyzer, self._training, self._batches = analyzer, training, batches
        self.max_bytes = max_bytes

    # Set by the service's warm-up; a call arriving earlier is told to retry (services/kit/readiness.py).
    analyzer = SetAtWarmUp("The scoring service is starting up; retry in a few seconds")
    training = SetAtWarmUp("The scoring service is starting up; retry in a few seconds")
    batches = SetAtWarmUp("The scoring service is starting up; retry in a few seconds")

    async def _analyze(self, request: scoring_pb2.AnalyzeRequest, command: AnalyzeCommand,
                       progress=None) -> scoring_pb2.Analysis:
        principal = principal_var.get()
        if not request.idempotency_key:
            return to_proto(await self.analyzer.analyze(command, principal, progress))
        if principal is None:
            raise errors.Unauthorized("Authentication required")
        store = self.analyzer.store
        return to_proto(await idempotency.once(store.pool, principal.user_id, request.idempotency_key,
                                               request.request_hash,
                                               lambda: self.analyzer.analyze(command, principal, progress), store.get))

    async def Analyze(self, request, context):
        return await self._analyze(request, _source_command(request, self.max_bytes))

    async def BatchAnalyze(self, request, context):
        batch.check_request(len(request.videos), request.parallel, request.max_workers)  # before any parsing
        result = await batch.run_batch(self.analyzer, _batch_videos(request, self.max_bytes), principal_var.get(),
                                       parallel=request.parallel, max_workers=request.max_workers)
        return batch_proto(result)

    # ---- durable batch jobs (services.scoring.batch_jobs) ----------------------------------------------
    async def SubmitBatch(self, request, context):
        self.batches.check_size(len(request.videos))  # before decoding any of them
        job = await self.batches.submit(_new_videos(request, self.max_bytes), principal_var.get(), device=request.device,
                                        body_mass_kg=request.body_mass_kg, key=request.idempotency_key,
                                        request_hash=request.request_hash)
        return job_proto(job)

    async def GetBatchStatus(self, request, context):
        return job_proto(await self.batches.status(request.batch_id, principal_var.get()))

    async def GetBatchResults(self, request, context):
        return results_proto(await self.batches.status(request.batch_id, principal_var.get()))

    async def CancelBatch(self, request, context):
        return job_proto(await self.batches.cancel(request.batch_id, principal_var.get()))

    async def ListBatches(self, request, context):
        jobs, cursor = await self.batches.page(principal_var.get(), request.limit, request.cursor)
        return scoring_pb2.ListBatchesResponse(batches=[job_proto(j) for j in jobs], next_cursor=cursor)

    async def _upload_command(self, request_iterator, *, url_allowed: bool) -> tuple[scoring_pb2.AnalyzeRequest,
                                                                                     AnalyzeCommand]:
        """The request of an upload stream (its first message) and its command: the data chunks that follow,
        or, where allowed, the request's own video_url (a URL or base64)."""
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("part") != "request":
            raise errors.InvalidRequest("The first message of an upload must carry the analysis request")
        if first.request.video_url:
            if not url_allowed:
                raise errors.InvalidRequest("An upload carries the video as data; leave video_url empty",
                                            details={"video_url": "must be empty for an upload"})
            return first.request, _source_command(first.request, self.max_bytes)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.WhichOneof("part") != "data":
                    raise errors.InvalidRequest("Only data chunks may follow the analysis request")
                yield message.data

        return first.request, _command(first.request, chunks=chunks())

    async def AnalyzeUpload(self, request_iterator, context):
        return await self._analyze(*await self._upload_command(request_iterator, url_allowed=False))

    async def AnalyzeWithProgress(self, request_iterator, context):
        request, command = await self._upload_command(request_iterator, url_allowed=True)

        def analysis(report):
            async def progress(fraction: float, message: str) -> None:
                report(scoring_pb2.AnalysisStatus(progress=fraction, message=message))
            return self._analyze(request, command, progress)

        async for finished, item in with_progress(analysis):
            yield scoring_pb2.AnalysisEvent(analysis=item) if finished else scoring_pb2.AnalysisEvent(status=item)

    def LiveAnalyze(self, request_iterator, context):
        return live_relay.relay(self.analyzer, request_iterator, principal_var.get())

    async def GetAnalysis(self, request, context):
        return to_proto(await self.analyzer.get(request.analysis_id, principal_var.get()))

    async def ListAnalyses(self, request, context):
        query = history.AnalysisQuery(coach=request.coach, technique=request.technique,
                                      since=getattr(request, "from"), until=request.to, limit=request.limit,
                                      cursor=request.cursor)
        rows, cursor = await history.list_analyses(self.analyzer.store, self.analyzer.coaches, query,
                                                   principal_var.get())
        out = scoring_pb2.ListAnalysesResponse(next_cursor=cursor)
        for row in rows:
            item = out.analyses.add(id=row.id, coach=row.coach, technique=row.technique, video=row.video,
                                    status=row.status, overall_score=row.overall_score,
                                    processing_time=row.processing_time)
            item.timestamp.FromDatetime(row.created_at)
        return out

    async def GetProgress(self, request, context):
        technique, rows = await history.progress(self.analyzer.store, request.technique, request.coach,
                                                 principal_var.get())
        out = scoring_pb2.Progress(technique=technique)
        for row in rows:
            bio = row["metrics"].get("biomechanics", {})
            point = out.points.add(analysis_id=row["id"], overall_score=row["overall_score"],
                                   max_speed=float(bio.get("max_speed", 0.0)),
                                   peak_force=float(bio.get("peak_force", 0.0)))
            point.aspect_scores.update({k: float(v) for k, v in row["metrics"].get("aspect_scores", {}).items()})
            point.timestamp.FromDatetime(row["created_at"])
        if len(rows) >= 2:
            out.overall_change = round(rows[-1]["overall_score"] - rows[0]["overall_score"], 2)
        return out

    async def GetStats(self, request, context):
        models = self.analyzer.models.loaded() if self.analyzer.models is not None else []
        return scoring_pb2.ScoringStats(analyses_total=await self.analyzer.store.count(), models_loaded=models)

    # ---- models and training (services.scoring.training) ----------------------------------------------
    async def ListModels(self, request, context):
        entries = await self.training.models(principal_var.get(), request.coach)
        return scoring_pb2.ListModelsResponse(models=[messages.model_message(e) for e in entries], total=len(entries))

    async def StartTraining(self, request, context):
        return messages.job_message(await self.training.start(messages.start_command(request), principal_var.get()))

    async def GetTraining(self, request, context):
        return messages.job_message(await self.training.get(request.training_id, principal_var.get()))

    async def WatchTraining(self, request, context):
        async for item in self.training.watch(request.training_id, principal_var.get()):
            if isinstance(item, dict):
                yield scoring_pb2.TrainingEvent(epoch=messages.progress_message(item, 0))
            else:
                yield scoring_pb2.TrainingEvent(job=messages.job_message(item))

    async def CancelTraining(self, request, context):
        return messages.job_message(await self.training.cancel(request.training_id, principal_var.get()))
