"""Auth service entry point: `build(settings)` for the kit's server, `main()` for the process."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth import admin, throttle
from services.auth.core import AuthCore
from services.auth.mailer import Mailer, OutboxMailer
from services.auth.servicer import AuthServicer
from services.kit import db
from services.kit.config import Settings, settings as load_process_settings
from services.kit.server import ServiceSpec, port_of, serve

SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name


class _Holder:
    """The pool exists only after warm-up; the servicer is registered before, so it looks it up lazily."""

    def __init__(self, settings: Settings, mailer: Mailer) -> None:
        self.settings, self.mailer = settings, mailer
        self.pool: asyncpg.Pool | None = None
        self.core: AuthCore | None = None


class _LazyServicer(AuthServicer):
    def __init__(self, holder: _Holder) -> None:
        self._holder = holder

    @property
    def core(self) -> AuthCore:  # type: ignore[override]
        assert self._holder.core is not None, "called before warm-up (health is NOT_SERVING then)"
        return self._holder.core


def build(settings: Settings, *, mailer: Mailer | None = None) -> ServiceSpec:
    holder = _Holder(settings, mailer or OutboxMailer(settings.outbox_dir))

    def register(server: grpc.aio.Server) -> list[str]:
        auth_pb2_grpc.add_AuthServiceServicer_to_server(_LazyServicer(holder), server)
        return [SERVICE_NAME]

    async def warmup() -> None:
        holder.pool = await db.open_pool(settings, "auth", admin.MIGRATIONS)
        core = AuthCore.create(holder.pool, settings, holder.mailer)
        await core.keyring.active()  # creates the shared signing key on the very first start
        await admin.bootstrap(holder.pool, settings)
        await throttle.prune(holder.pool, settings)
        holder.core = core

    async def close() -> None:
        if holder.pool is not None:
            await holder.pool.close()
            holder.pool = None

    return ServiceSpec(name="auth", port=port_of(settings.auth_addr), register=register, warmup=warmup, close=close)


def main() -> None:
    s = load_process_settings()
    asyncio.run(serve(build(s), s))


if __name__ == "__main__":
    main()
