"""Coach service entry point: `python -m services.coach.main`."""

from __future__ import annotations

import asyncpg
import grpc

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.kit.pose_client import PoseClient
from services.coach.record_cache import CoachRecordCache
from services.coach.reference_store import ReferenceStore
from services.coach.references import ReferenceLibrary
from services.coach.registry import CoachRegistry
from services.coach.servicer import CoachServicer
from services.coach.store import CoachStore
from services.kit import config
from services.kit.channels import channel
from services.kit.db import database_url, open_pool
from services.kit.service_identity import ServiceCredentials
from services.kit.server import ServiceSpec, port_of, run

SCHEMA = "coach"
MIGRATIONS = "services.coach.migrations"


def build(settings: config.Settings) -> ServiceSpec:
    """The coach service: the pool (and migrations) open during warm-up, so health turns SERVING
    only once the database answers. Video references are analysed by the pose service (pose_addr)."""
    pool: asyncpg.Pool | None = None
    pose_channel: grpc.aio.Channel | None = None
    credentials = ServiceCredentials.from_settings(settings, "coach")  # calls pose for a video's poses
    coaches = CoachStore(None)  # the stores get their pool in warmup()
    registry = CoachRegistry(coaches)
    references = ReferenceLibrary(coaches, ReferenceStore(None), None, max_video_bytes=settings.max_request_size)

    def register(server: grpc.aio.Server) -> list[str]:
        coach_pb2_grpc.add_CoachServiceServicer_to_server(CoachServicer(registry, references), server)
        return [coach_pb2.DESCRIPTOR.services_by_name["CoachService"].full_name]

    async def warmup() -> None:
        nonlocal pool, pose_channel
        pool = await open_pool(settings, SCHEMA, MIGRATIONS)
        coaches.pool = references.store.pool = pool
        coaches.cache = CoachRecordCache(database_url(settings))  # after the migrations: its trigger exists
        await coaches.cache.open()
        # Channels belong to the running event loop, so it is made here rather than in build().
        pose_channel = channel(settings.pose_addr, audience="pose", credentials=credentials)
        references.pose = PoseClient(pose_channel)

    async def close() -> None:
        await credentials.close()
        if coaches.cache is not None:
            await coaches.cache.close()
        if pose_channel is not None:
            await pose_channel.close()
        if pool is not None:
            await pool.close()

    return ServiceSpec(name="coach", port=port_of(settings.coach_addr), register=register,
                       warmup=warmup, close=close)


def main() -> None:
    s = config.settings()
    run(build(s), s)


if __name__ == "__main__":
    main()
