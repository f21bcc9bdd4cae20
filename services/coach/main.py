"""Coach service entry point: `python -m services.coach.main`."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc

from kataforge.coach.v1 import coach_pb2, coach_pb2_grpc
from services.coach.registry import CoachRegistry
from services.coach.servicer import CoachServicer
from services.coach.store import CoachStore
from services.kit import config
from services.kit.db import open_pool
from services.kit.server import ServiceSpec, port_of, serve

SCHEMA = "coach"
MIGRATIONS = "services.coach.migrations"


def build(settings: config.Settings) -> ServiceSpec:
    """The coach service: the pool (and migrations) open during warm-up, so health turns SERVING
    only once the database answers."""
    pool: asyncpg.Pool | None = None
    registry = CoachRegistry(CoachStore(None))  # the store gets its pool in warmup()

    def register(server: grpc.aio.Server) -> list[str]:
        coach_pb2_grpc.add_CoachServiceServicer_to_server(CoachServicer(registry), server)
        return [coach_pb2.DESCRIPTOR.services_by_name["CoachService"].full_name]

    async def warmup() -> None:
        nonlocal pool
        pool = await open_pool(settings, SCHEMA, MIGRATIONS)
        registry.store.pool = pool

    async def close() -> None:
        if pool is not None:
            await pool.close()

    return ServiceSpec(name="coach", port=port_of(settings.coach_addr), register=register,
                       warmup=warmup, close=close)


def main() -> None:
    s = config.settings()
    asyncio.run(serve(build(s), s))


if __name__ == "__main__":
    main()
