"""ScoringService servicer: protobuf <-> the analysis core."""

from __future__ import annotations

from typing import AsyncIterator

from google.protobuf import struct_pb2
from google.protobuf.json_format import ParseDict

from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit import errors
from services.kit.context import principal_var
from services.kit.video_source import parse_video_url
from services.scoring.analysis import AnalyzeCommand, Analyzer
from services.scoring.store import AnalysisRecord
from services.scoring.training import messages
from services.scoring.training.jobs import TrainingJobs


def _command(req: scoring_pb2.AnalyzeRequest, **source) -> AnalyzeCommand:
    return AnalyzeCommand(coach=req.coach, technique=req.technique, verbose=req.verbose, device=req.device,
                          llm_backend=req.llm_backend, body_mass_kg=req.body_mass_kg,
                          video_label=req.video_label or req.video_url[:200], **source)


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
    return analysis


class ScoringServicer(scoring_pb2_grpc.ScoringServiceServicer):
    def __init__(self, analyzer: Analyzer | None, max_bytes: int, training: TrainingJobs | None = None) -> None:
        self._analyzer = analyzer
        self.max_bytes = max_bytes
        self._training = training

    # The server listens before warm-up ends (health says NOT_SERVING meanwhile): a call that arrives
    # then gets UNAVAILABLE, which clients retry, rather than an internal error.
    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            raise errors.Unavailable("The scoring service is starting up; retry in a few seconds")
        return self._analyzer

    @analyzer.setter
    def analyzer(self, value: Analyzer) -> None:
        self._analyzer = value

    @property
    def training(self) -> TrainingJobs:
        if self._training is None:
            raise errors.Unavailable("The scoring service is starting up; retry in a few seconds")
        return self._training

    @training.setter
    def training(self, value: TrainingJobs) -> None:
        self._training = value

    async def Analyze(self, request, context):
        source = parse_video_url(request.video_url, self.max_bytes)
        if source.url:
            cmd = _command(request, url=source.url)
        else:
            async def one_chunk() -> AsyncIterator[bytes]:
                yield source.data
            cmd = _command(request, chunks=one_chunk())
            if not request.video_label:
                cmd.video_label = f"base64 video ({len(source.data)} bytes)"
        return to_proto(await self.analyzer.analyze(cmd, principal_var.get()))

    async def AnalyzeUpload(self, request_iterator, context):
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("part") != "request":
            raise errors.InvalidRequest("The first message of an upload must carry the analysis request")
        if first.request.video_url:
            raise errors.InvalidRequest("An upload carries the video as data; leave video_url empty",
                                        details={"video_url": "must be empty for an upload"})

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.WhichOneof("part") != "data":
                    raise errors.InvalidRequest("Only data chunks may follow the analysis request")
                yield message.data

        return to_proto(await self.analyzer.analyze(_command(first.request, chunks=chunks()), principal_var.get()))

    async def GetAnalysis(self, request, context):
        return to_proto(await self.analyzer.get(request.analysis_id, principal_var.get()))

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

    async def CancelTraining(self, request, context):
        return messages.job_message(await self.training.cancel(request.training_id, principal_var.get()))
