"""Scoring service process: analysis orchestration and storage on gRPC."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kataforge.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.kit.channels import channel
from services.kit.config import Settings, settings as load
from services.kit.db import open_pool
from services.kit.service_identity import ServiceCredentials
from services.kit.server import ServiceSpec, port_of, run
from services.scoring.analysis import Analyzer
from services.scoring.batch_jobs import BatchJobs, BatchLimits, install_queue
from services.scoring.clients import GrpcCoaches, GrpcPose
from services.scoring.learning.lifting import DepthLifter
from services.scoring.servicer import ScoringServicer
from services.scoring.store import AnalysisStore
from services.scoring.technique_models import TechniqueModels
from services.scoring.training.service import start_training


SERVICE_NAME = scoring_pb2.DESCRIPTOR.services_by_name["ScoringService"].full_name


def build(settings: Settings) -> ServiceSpec:
    state: dict = {}
    credentials = ServiceCredentials.from_settings(settings, "scoring")  # calls coach and pose as its callers
    servicer = ScoringServicer(None, settings.max_request_size)  # analyzer set once the pool is open

    def register(server) -> list[str]:
        scoring_pb2_grpc.add_ScoringServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    async def warmup() -> None:
        # Channels belong to the running event loop, so they are made here rather than in build().
        state["channels"] = (channel(settings.pose_addr, audience="pose", credentials=credentials),
                             channel(settings.coach_addr, audience="coach", credentials=credentials))
        pose_channel, coach_channel = state["channels"]
        # The depth lifter (learning/lifting.py) measures every video and every coach reference alike.
        lifter = await asyncio.to_thread(DepthLifter.from_dir, Path(settings.model_dir) / "scoring")
        pose = GrpcPose(pose_channel, lifter)
        state["pool"] = await open_pool(settings, "scoring", "services.scoring.migrations")
        servicer.training, state["runner"] = await start_training(settings, state["pool"], coach_channel)
        # Loading the default models (onnxruntime sessions) is part of warm-up: SERVING means they are ready.
        models = await asyncio.to_thread(TechniqueModels, Path(settings.model_dir) / "scoring",
                                         servicer.training.registry)
        servicer.analyzer = Analyzer(pose, GrpcCoaches(coach_channel, lifter), AnalysisStore(state["pool"]),
                                     default_body_mass_kg=settings.default_body_mass_kg,
                                     gpu_available=await pose.gpu_available(), models=models)
        await install_queue(state["pool"])
        servicer.batches = BatchJobs(state["pool"], servicer.analyzer, BatchLimits(
            max_videos=settings.batch_max_videos, jobs_per_hour=settings.batch_jobs_per_hour,
            concurrency=settings.batch_concurrency))
        servicer.batches.start_worker()  # this process takes its share of every batch in the queue

    async def close() -> None:
        if "runner" in state:  # before the pool: it records that its jobs were interrupted
            await state["runner"].stop()
        if ScoringServicer.training.is_set(servicer) and servicer.training.changes is not None:
            await servicer.training.changes.close()
        if ScoringServicer.batches.is_set(servicer):
            await servicer.batches.stop_worker()
        if "pool" in state:
            await state["pool"].close()
        for ch in state.get("channels", ()):
            await ch.close()
        await credentials.close()

    # GetStats (counts and the models loaded: no one's data) answers without a token, for the public health page.
    return ServiceSpec(name="scoring", port=port_of(settings.scoring_addr), register=register,
                       warmup=warmup, close=close, public=frozenset({f"/{SERVICE_NAME}/GetStats"}))


def main() -> None:
    settings = load()
    run(build(settings), settings)


if __name__ == "__main__":
    main()
