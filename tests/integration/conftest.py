"""The whole system in this process: real gRPC servers on loopback, real PostgreSQL, real MediaPipe, and
the edge on uvicorn, exercised over HTTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid

import httpx
import pytest

from services.kit.config import replace
from services.kit.paths import VIDEOS
from testkit.edge_server import serve_edge
from testkit.principals import ADMIN_PASSWORD, STATIC_API_KEY
from testkit.rest_calls import login, new_user


@pytest.fixture(scope="session")
def system_settings(base_settings):
    return replace(base_settings, admin_username="root", admin_password=ADMIN_PASSWORD,
                   admin_email="root@example.com", api_keys=(STATIC_API_KEY,))


class RedisServer:
    """A real redis-server (Debian's package, installed by `make test`) on a free loopback port, without
    persistence; stop() and start() again on the same port, to take it away from a running edge."""

    def __init__(self, directory) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not shutil.which(self.binary):
            pytest.fail("redis-server not found: `make test` installs Debian's redis-server package")
        with socket.socket() as probe:  # a free port, kept for restarts on the same address
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory, self.process = directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
                                        stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            assert self.process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def system(system_settings, start_service, auth_service):
    """Start coach, pose, scoring and the edge beside the session's auth service; yield the edge's base URL."""
    from services.coach.main import build as coach
    from services.pose.main import build as pose
    from services.scoring.main import build as scoring

    running = []
    for build in (coach, pose, scoring):
        running.append(await start_service(build(system_settings), system_settings))
    async with serve_edge(system_settings) as url:
        yield url
    for service in reversed(running):
        await service.stop()


@pytest.fixture
async def http(system):
    async with httpx.AsyncClient(base_url=system, timeout=300) as client:
        yield client


@pytest.fixture
async def admin_headers(http):
    tokens = await login(http, "root", ADMIN_PASSWORD)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
async def coach_with_reference(http):
    """A coach whose lunge punch reference is the video pose2sim-balancing-cam01 (a student analysing cam01 is
    compared with their own performance, one analysing cam02 with the same trial from another side):
    (coach id, reference id)."""
    _, owner = await new_user(http, "coach")
    coach_id = f"nagato_{uuid.uuid4().hex[:6]}"
    reply = await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Karate"}, headers=owner)
    assert reply.status_code == 201, reply.text
    with (VIDEOS / "pose2sim-balancing-cam01.mp4").open("rb") as video:
        reply = await http.post(f"/coaches/{coach_id}/references", headers=owner, data={"technique": "lunge_punch"},
                                files={"file": ("cam01.mp4", video, "video/mp4")})
    assert reply.status_code == 201, reply.text
    return coach_id, reply.json()["id"]


