"""Shared fixtures: a real PostgreSQL (embedded, or DOJO_DATABASE_URL), free ports, in-process services."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Awaitable, Callable

import pytest

from services.kit.config import Settings, load_settings, replace
from services.kit.paths import REPO
from services.kit.server import ServiceSpec, serve
from testkit.loopback import free_port
from testkit.principals import ADMIN_PASSWORD, STATIC_API_KEY, TEST_CALLER

@pytest.fixture(scope="session")
def state_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def pg_url(state_dir) -> str:
    """A real PostgreSQL: the one in DOJO_DATABASE_URL, else an embedded server for this session."""
    if os.environ.get("DOJO_DATABASE_URL"):
        return os.environ["DOJO_DATABASE_URL"]
    from services.kit import embedded_pg
    server = embedded_pg.start(state_dir)
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(scope="session")
def base_settings(state_dir, pg_url) -> Settings:
    """Settings for in-process services: real database, fresh loopback ports, test state dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOJO_")}
    settings = load_settings(env, config_file=str(state_dir / "absent.yaml"))
    return replace(
        settings, state_dir=str(state_dir), database_url=pg_url, model_dir=str(REPO / "models"),
        auth_addr=f"127.0.0.1:{free_port()}", coach_addr=f"127.0.0.1:{free_port()}",
        pose_addr=f"127.0.0.1:{free_port()}", scoring_addr=f"127.0.0.1:{free_port()}",
        api_port=free_port(), log_level="WARNING",
        # The services started in this process derive their own credentials from it (service_identity.py).
        internal_secret="tests-internal-secret-" + uuid.uuid4().hex,
        # The suite makes far more than the spec's 100 requests a minute from one address and a few users;
        # the rate limit itself is tested with its own edge (tests/integration/test_rest_rate_limit.py).
        rate_limit_requests=1_000_000,
    )


class RunningService:
    def __init__(self, task: asyncio.Task, stop: asyncio.Event) -> None:
        self.task, self._stop = task, stop

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.wait_for(self.task, 30)


@pytest.fixture(scope="session")
def start_service() -> Callable[[ServiceSpec, Settings], Awaitable[RunningService]]:
    """Start a ServiceSpec in this process (real grpc.aio server on loopback) and wait until SERVING."""

    async def _start(spec: ServiceSpec, settings: Settings) -> RunningService:
        ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(spec, settings, ready=ready, stop=stop))
        done, _ = await asyncio.wait({task, asyncio.create_task(ready.wait())}, timeout=120,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises the start-up error
        if not ready.is_set():
            raise TimeoutError(f"{spec.name} did not become ready")
        return RunningService(task, stop)

    return _start


# The session's auth service: the JWKS every service under test verifies tokens with, and the internal tokens
# test clients call them with. Its first admin and static key are the integration suite's (testkit.principals).


@pytest.fixture(scope="session")
async def auth_service(base_settings, start_service):
    from services.auth.main import build

    settings = replace(base_settings, admin_username="root", admin_password=ADMIN_PASSWORD,
                       admin_email="root@example.com", api_keys=(STATIC_API_KEY,))
    running = await start_service(build(settings), settings)
    yield settings
    await running.stop()


@pytest.fixture(scope="session")
async def edge_credentials(base_settings, auth_service):
    """Calls made by tests go as the edge makes them: a channel given these (services.kit.channels.channel)
    sends, for the principal set in principal_var, an internal token the auth service minted for its audience."""
    from services.kit.service_identity import ServiceCredentials

    credentials = ServiceCredentials.from_settings(base_settings, "edge")
    yield credentials
    await credentials.close()


@pytest.fixture(scope="session")
def backend_channel(edge_credentials):
    """A channel to one backend, calling as TEST_CALLER with internal tokens (health readable on it)."""
    from services.kit.channels import channel

    def open_channel(addr: str, audience: str):
        return channel(addr, audience=audience, credentials=edge_credentials, caller=TEST_CALLER,
                       health_checked=False)
    return open_channel
