"""A durable batch survives a scoring process killed (SIGKILL) in the middle of it: a second, real scoring
process shares the queue, dies while analysing, and its video is taken up again by the system's own
worker within 30 s; the batch completes with every video stored exactly once."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kit.paths import REPO, VIDEOS
from services.kit.service_identity import service_secret
from testkit.loopback import free_port
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
VIDEOS_IN_BATCH = 8


async def _serving(addr: str, deadline: float) -> None:
    async with grpc.aio.insecure_channel(addr) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"the second scoring process at {addr} did not become ready")


@pytest.fixture
async def second_scoring(system_settings, tmp_path):
    """Another scoring process on the same database, pose and coach services (as a second replica)."""
    addr = f"127.0.0.1:{free_port()}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOJO_")},
           "DOJO_DATABASE_URL": system_settings.database_url, "DOJO_POSE_ADDR": system_settings.pose_addr,
           "DOJO_COACH_ADDR": system_settings.coach_addr, "DOJO_AUTH_ADDR": system_settings.auth_addr,
           "DOJO_SCORING_ADDR": addr, "DOJO_MODEL_DIR": system_settings.model_dir, "DOJO_STATE_DIR": str(tmp_path),
           "DOJO_LOG_LEVEL": "WARNING", "DOJO_CONFIG_FILE": str(tmp_path / "absent.yaml"),
           # Its own credential, as `kataforge serve` or a Kubernetes Secret would give it.
           "DOJO_SERVICE_SECRET": service_secret(system_settings.internal_secret, "scoring")}
    proc = subprocess.Popen([sys.executable, "-m", "services.scoring.main"], env=env, cwd=REPO)
    try:
        await _serving(addr, time.monotonic() + 180)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


async def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice(http, system_settings,
                                                                                second_scoring):
    _, coach = await new_user(http, "coach")
    coach_id = f"kill_{uuid.uuid4().hex[:6]}"
    assert (await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Karate"},
                            headers=coach)).status_code == 201
    _, student = await new_user(http)
    video = base64.b64encode(CAM01.read_bytes()).decode()
    reply = await http.post("/batch/submit", headers=student,
                            json={"videos": [{"url": video, "coach": coach_id}] * VIDEOS_IN_BATCH})
    assert reply.status_code == 202, reply.text
    batch_id = reply.json()["batch_id"]

    db = await asyncpg.connect(system_settings.database_url, server_settings={"search_path": "scoring"})
    try:
        victim = f"{socket.gethostname()}:{second_scoring.pid}"
        deadline = time.monotonic() + 120
        while not (held := await db.fetch(
                "SELECT position FROM batch_items WHERE batch_id = $1 AND worker = $2 AND status = 'processing'",
                batch_id, victim)):
            if time.monotonic() > deadline:
                pytest.fail("the second scoring process never took a video of the batch up")
            await asyncio.sleep(0.1)
        second_scoring.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        lost = {r["position"] for r in held}  # all it held: it may have been analysing two at once

        taken_up_after = None
        for _ in range(1200):
            status = (await http.get(f"/batch/status/{batch_id}", headers=student)).json()
            if taken_up_after is None and any(status["videos"][i]["attempts"] >= 2 for i in lost):
                taken_up_after = time.monotonic() - killed_at
            if status["finished_at"] is not None:
                break
            await asyncio.sleep(0.25)
        assert status["status"] == "completed", status
        assert taken_up_after is not None and taken_up_after <= 30.0, taken_up_after
        assert [v["status"] for v in status["videos"]] == ["completed"] * VIDEOS_IN_BATCH
        assert [v["attempts"] for v in status["videos"]] == [2 if i in lost else 1 for i in range(VIDEOS_IN_BATCH)]

        ids = [v["analysis_id"] for v in status["videos"]]
        assert len(set(ids)) == VIDEOS_IN_BATCH
        owner = await db.fetchval("SELECT owner_id FROM batch_jobs WHERE id = $1", batch_id)
        stored = await db.fetch("SELECT id FROM analyses WHERE owner_id = $1", owner)
        assert sorted(r["id"] for r in stored) == sorted(ids)  # each exactly once, none extra
        assert await db.fetchval("SELECT count(*) FROM batch_items WHERE batch_id = $1 AND data IS NOT NULL",
                                 batch_id) == 0  # the inline videos are dropped once analysed
    finally:
        await db.close()
