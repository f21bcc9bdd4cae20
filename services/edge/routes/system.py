"""GET /, /system/health, /system/info and /metrics: each reports the real state of the backends."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kataforge import __version__
from kataforge.coach.v1 import coach_pb2
from kataforge.pose.v1 import pose_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.kit import errors
from services.kit.context import Principal
from services.kit.topology import BACKENDS
from services.edge.errors import now_iso
from services.edge.metrics import REGISTRY
from services.edge.security import require_principal

router = APIRouter(tags=["system"])


async def _pose_info(request: Request) -> pose_pb2.PoseInfo | None:
    b = request.app.state.backends
    try:
        return await b.call(b.pose.GetInfo, pose_pb2.GetInfoRequest(), timeout=3.0)
    except errors.DomainError:
        return None


async def _scoring_models(request: Request) -> list[str]:
    """The learned models the scoring service loaded (graphsage, form_assessor, style_encoder)."""
    b = request.app.state.backends
    try:
        return list((await b.call(b.scoring.GetStats, scoring_pb2.GetStatsRequest(), timeout=3.0)).models_loaded)
    except errors.DomainError:
        return []


def _models(info: pose_pb2.PoseInfo | None) -> list[str]:
    return [info.model] if info is not None and info.model_loaded else []


@router.get("/")
async def root(request: Request):
    info, learned = await asyncio.gather(_pose_info(request), _scoring_models(request))
    states = await asyncio.gather(*(request.app.state.backends.health(n) for n in BACKENDS))
    return {
        "status": "healthy" if all(s == "healthy" for s in states) else "degraded",
        "version": __version__,
        "timestamp": now_iso(),
        "gpu_available": bool(info and info.gpu_available),
        "models_loaded": _models(info) + learned,
    }


def _storage_state(state_dir: str) -> str:
    try:
        os.makedirs(state_dir, exist_ok=True)
        return "healthy" if os.access(state_dir, os.W_OK) else "unhealthy"
    except OSError:
        return "unhealthy"


@router.get("/system/health")
async def health(request: Request, _: Principal = Depends(require_principal)):
    b, limiter = request.app.state.backends, request.app.state.rate_limiter
    states = dict(zip(BACKENDS, await asyncio.gather(*(b.health(n) for n in BACKENDS))))
    info = await _pose_info(request)
    db_services = [states[n] for n in ("auth", "coach", "scoring")]
    components = {
        # auth, coach and scoring only report SERVING once their PostgreSQL pools are open.
        "database": "healthy" if all(s == "healthy" for s in db_services) else "unhealthy",
        "gpu": "healthy" if info and info.gpu_available else "unavailable",
        "models": "healthy" if _models(info) else "unhealthy",
        "llm_backend": "not_configured",
        "storage": _storage_state(request.app.state.settings.state_dir),
        "redis": await limiter.counts.state() if limiter else "not_configured",
        **{f"{name}_service": state for name, state in states.items()},
    }
    errors_ = [f"{name} service is {state}" for name, state in states.items() if state != "healthy"]
    if components["models"] != "healthy":
        errors_.append("pose model is not loaded")
    warnings = []
    if components["gpu"] != "healthy":
        warnings.append("no GPU available: inference runs on the CPU")
    warnings.append("no LLM backend configured: feedback is rule-based")
    if components["redis"] == "unavailable":
        # The edge keeps serving (services/edge/rate_limit.py); the limits are then per edge process.
        warnings.append(f"Redis (DOJO_REDIS_URL) is unreachable ({limiter.counts.failure}): rate limits are "
                        "counted per edge process until it answers")
    return {"status": "healthy" if not errors_ else "unhealthy", "timestamp": now_iso(),
            "components": components, "warnings": warnings, "errors": errors_}


def _uptime(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h {rest // 60}m"


@router.get("/system/info")
async def info(request: Request, principal: Principal = Depends(require_principal)):
    b = request.app.state.backends
    settings = request.app.state.settings
    pose_info = await _pose_info(request)
    coaches = await b.call(b.coach.ListCoaches, coach_pb2.ListCoachesRequest(limit=1), principal=principal)
    stats = await b.call(b.scoring.GetStats, scoring_pb2.GetStatsRequest(), principal=principal)
    gpu = bool(pose_info and pose_info.gpu_available)
    return {
        "app_name": "kataforge",
        "version": __version__,
        "environment": settings.environment,
        "debug": settings.debug,
        # Memory figures are only known when a GPU is present; null otherwise (never invented).
        "gpu": {"available": gpu, "device": "cuda" if gpu else "cpu", "memory_total": None,
                "memory_used": None, "memory_free": None, "utilization": None},
        "models": [{"name": pose_info.model if pose_info else "blazepose_full",
                    "loaded": bool(pose_info and pose_info.model_loaded), "version": "0.10.21"}]
        + [{"name": name, "loaded": True, "version": __version__} for name in stats.models_loaded],
        "coaches": coaches.total,
        "analyses": stats.analyses_total,
        "uptime": _uptime(time.time() - request.app.state.started_at),
        "started_at": datetime.fromtimestamp(request.app.state.started_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@router.get("/metrics", response_class=PlainTextResponse)  # documented as text/plain (Prometheus' format)
async def metrics():
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
