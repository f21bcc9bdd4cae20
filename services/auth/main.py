"""Auth service entry point: `build(settings)` for the kit's server, `main()` for the process."""

from __future__ import annotations

import asyncpg
import grpc

from kataforge.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth import admin, throttle
from services.auth import envoy_authz
from services.auth.core import AuthCore
from services.auth.mailer import Mailer, OutboxMailer
from services.auth.servicer import AuthServicer
from services.kit import db
from services.kit.config import ConfigError, Settings, settings as load_process_settings
from services.kit.server import ServiceSpec, port_of, run

SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name
# Callable without a token: signing in and out, password reset, the JWKS, and what services call to learn
# who a caller is (VerifyApiKey; IssueInternalToken checks the calling service's own credential).
PUBLIC = frozenset(f"/{SERVICE_NAME}/{m}" for m in (
    "Register", "Login", "Refresh", "Logout", "ForgotPassword", "ResetPassword", "GetJwks", "VerifyApiKey",
    "IssueInternalToken")) | {f"/{envoy_authz.SERVICE}/Check"}  # Envoy asking about an API key


def build(settings: Settings, *, mailer: Mailer | None = None) -> ServiceSpec:
    if not settings.internal_secret:
        raise ConfigError("The auth service needs DOJO_INTERNAL_SECRET to check the other services' credentials "
                          "(services/kit/service_identity.py); `kataforge serve` sets one itself")
    mailer = mailer or OutboxMailer(settings.outbox_dir)
    servicer = AuthServicer()  # registered before warm-up; its core is set there (UNAVAILABLE until then)
    pool: asyncpg.Pool | None = None

    def register(server: grpc.aio.Server) -> list[str]:
        auth_pb2_grpc.add_AuthServiceServicer_to_server(servicer, server)
        server.add_generic_rpc_handlers((envoy_authz.EnvoyAuthorization(lambda: servicer.core).handler(),))
        return [SERVICE_NAME]

    async def warmup() -> None:
        nonlocal pool
        pool = await db.open_pool(settings, "auth", admin.MIGRATIONS)
        core = AuthCore.create(pool, settings, mailer)
        await core.keyring.active()  # creates the shared signing key on the very first start
        await admin.bootstrap(pool, settings)
        await throttle.prune(pool, settings)
        servicer.core = core

    async def close() -> None:
        nonlocal pool
        if pool is not None:
            await pool.close()
            pool = None

    async def own_jwks() -> list[dict[str, str]]:
        return await servicer.core.jwks()  # UNAVAILABLE until warm-up, as every call

    return ServiceSpec(name="auth", port=port_of(settings.auth_addr), register=register, warmup=warmup, close=close,
                       public=PUBLIC, jwks=own_jwks)


def main() -> None:
    s = load_process_settings()
    run(build(s), s)


if __name__ == "__main__":
    main()
