"""The edge on uvicorn in this process, for tests that need one with their own settings."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

import uvicorn

from services.edge.app import create_app


@asynccontextmanager
async def serve_edge(settings) -> AsyncIterator[str]:
    """The edge on uvicorn with these settings, in front of whatever services they name; its base URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.api_port,
                                           log_config=None, lifespan="on",
                                           ws_max_size=settings.ws_max_message_bytes + 64 * 1024))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.api_port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
