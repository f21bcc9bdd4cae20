"""Internal gRPC clients: the same system called without the edge."""

import uuid

import grpc
import pytest

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit.channels import channel
from services.kit.context import Principal, principal_var
from services.kit.paths import VIDEOS

pytestmark = pytest.mark.integration


async def test_streamed_upload_analysis_over_grpc(system, system_settings, edge_credentials):
    principal_var.set(Principal(user_id=f"svc-{uuid.uuid4().hex[:6]}", username="svc", role="admin", method="jwt"))
    coach_ch = channel(system_settings.coach_addr, audience="coach", credentials=edge_credentials)
    scoring_ch = channel(system_settings.scoring_addr, audience="scoring", credentials=edge_credentials)
    try:
        coach_id = f"grpc_{uuid.uuid4().hex[:6]}"
        await coach_pb2_grpc.CoachServiceStub(coach_ch).CreateCoach(coach_pb2.CreateCoachRequest(
            coach=coach_pb2.Coach(id=coach_id, name="G", style="Karate")), timeout=10)
        data = (VIDEOS / "pose2sim-balancing-cam02.mp4").read_bytes()

        async def chunks():
            yield scoring_pb2.AnalyzeUploadChunk(request=scoring_pb2.AnalyzeRequest(coach=coach_id,
                                                                                    video_label="cam02.mp4"))
            for start in range(0, len(data), 64 * 1024):  # many small messages: no 4 MiB limit applies
                yield scoring_pb2.AnalyzeUploadChunk(data=data[start:start + 64 * 1024])

        stub = scoring_pb2_grpc.ScoringServiceStub(scoring_ch)
        analysis = await stub.AnalyzeUpload(chunks(), timeout=300)
        assert analysis.status == "completed" and analysis.metrics.biomechanics.max_speed > 1.0
        stored = await stub.GetAnalysis(scoring_pb2.GetAnalysisRequest(analysis_id=analysis.id), timeout=10)
        assert stored.metrics == analysis.metrics

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Analyze(scoring_pb2.AnalyzeRequest(video_url="gopher://x/", coach=coach_id), timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        principal_var.set(None)
        await coach_ch.close()
        await scoring_ch.close()
