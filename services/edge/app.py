"""The edge's FastAPI application: routers mounted at / and /v1, middleware, error envelope."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kataforge import __version__
from services.kit import logs, telemetry
from services.kit.config import Settings
from services.edge import errors as edge_errors
from services.edge import openapi
from services.edge.backends import Backends
from services.edge.middleware import EdgeMiddleware
from services.edge.rate_limit import RateLimiter, RateLimitMiddleware
from services.edge.routes import (analysis, auth, batch, coaches, models, references, system, web, ws_analysis,
                                  ws_live)
from services.edge.security import Authenticator
from services.edge.ws_limits import SocketLimits


# Every router of the public API (tests/edge/test_contract.py checks them against the protos' annotations).
ROUTERS = (system.router, auth.router, coaches.router, references.router, analysis.router, batch.router,
           models.router, ws_analysis.router, ws_live.router, web.router)
# The web page is not part of the versioned API: /app only, never /v1/app.
UNVERSIONED = (web.router,)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.backends = Backends(settings)
        app.state.authenticator = Authenticator(settings, app.state.backends)
        yield
        await app.state.backends.close()
        if app.state.rate_limiter is not None:
            await app.state.rate_limiter.counts.close()

    app = FastAPI(title="KataForge API", version=__version__, lifespan=lifespan,
                  description="Martial-arts technique analysis: pose, biomechanics, coach comparison.")
    app.state.settings = settings
    app.state.started_at = time.time()
    app.state.ws_limits = SocketLimits(settings)
    app.state.rate_limiter = RateLimiter.from_settings(settings) if settings.rate_limit_enabled else None
    for router in ROUTERS:
        app.include_router(router)
        if router not in UNVERSIONED:
            app.include_router(router, prefix="/v1", include_in_schema=False)
    edge_errors.install(app)
    openapi.install(app)
    if settings.rate_limit_enabled:
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Limit",
                                           "X-RateLimit-Remaining", "X-RateLimit-Reset"])
    app.add_middleware(EdgeMiddleware, max_body=settings.max_request_size)
    return app


def configure_process(settings: Settings) -> None:
    logs.configure("edge", settings.log_level)
    telemetry.configure("edge", settings.otel_exporter, settings.otel_endpoint)
