"""Run the edge on uvicorn (DOJO_API_HOST:DOJO_API_PORT, DOJO_API_WORKERS, DOJO_API_RELOAD)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from services.kit.config import settings as load
from services.edge.app import configure_process, create_app


def build_app() -> FastAPI:
    """Factory for uvicorn: each worker process builds its app from the environment."""
    settings = load()
    configure_process(settings)
    return create_app(settings)


def main() -> None:
    settings = load()
    configure_process(settings)
    # uvicorn handles SIGTERM/SIGINT: stops accepting, drains in-flight requests, then runs lifespan shutdown.
    uvicorn.run("services.edge.main:build_app", factory=True, host=settings.api_host, port=settings.api_port,
                workers=settings.api_workers if not settings.api_reload else None, reload=settings.api_reload,
                log_config=None, timeout_graceful_shutdown=20, proxy_headers=False,
                # Frames a little over our own cap reach the route, which answers them with its error message.
                ws_max_size=settings.ws_max_message_bytes + 64 * 1024)


if __name__ == "__main__":
    main()
