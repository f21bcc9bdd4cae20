"""The Python SDK (kataforge/client.py) against the real system: the asyncio client through every kind of
call, the blocking client's WebSocket analysis, and `kataforge analyze`'s progress bar."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid

import pytest

from kataforge.client import AsyncKataForgeClient, KataForgeClient, KataForgeError
from services.kit.paths import REPO, VIDEOS
from testkit.principals import ADMIN_PASSWORD

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"


async def test_the_async_client_covers_the_calls_of_a_session(system):
    name = f"sdk_{uuid.uuid4().hex[:8]}"
    async with AsyncKataForgeClient(system) as client:
        await client.register(name, f"{name}@example.com", "correct-horse-battery", role="coach")
        tokens = await client.login(name, "correct-horse-battery")
        assert client.token == tokens["access_token"] and (await client.profile())["username"] == name
        refreshed = await client.refresh()
        assert client.token == refreshed["access_token"]
        key = await client.create_api_key("ci")
        assert any(k["id"] == key["api_key"]["id"] for k in (await client.list_api_keys())["api_keys"])

        coach_id = f"sdk_{uuid.uuid4().hex[:6]}"
        await client.create_coach(id=coach_id, name="Sensei", style="Karate")
        assert any(c["id"] == coach_id for c in await client.list_coaches())
        assert (await client.update_coach(coach_id, name="Sensei Two"))["name"] == "Sensei Two"
        assert (await client.list_references(coach_id))["references"] == []

        analysis = await client.analyze_file(CAM01, coach=coach_id)
        assert (await client.get_analysis(analysis["id"]))["metrics"] == analysis["metrics"]
        listed = await client.list_analyses(limit=5)
        assert [a["id"] for a in listed["analyses"]] == [analysis["id"]] and listed["next_cursor"] is None

        job = await client.submit_batch([{"url": base64.b64encode(b"no video" * 40).decode(), "coach": coach_id}])
        results = await client.wait_for_batch(job["batch_id"], poll_s=0.25, timeout_s=120)
        assert results["status"] == "failed" and results["summary"]["failed"] == 1
        assert [b["batch_id"] for b in (await client.list_batches())["batches"]] == [job["batch_id"]]
        assert "models" in await client.list_models()

        with pytest.raises(KataForgeError) as missing:
            await client.get_coach("no_such_coach_here")
        assert missing.value.status == 404 and missing.value.code == "not_found"
        await client.delete_coach(coach_id)
        await client.logout()
        assert client.token is None


async def test_the_blocking_client_follows_an_analysis_over_the_websocket(system):
    def follow() -> tuple[dict, list[dict]]:
        seen: list[dict] = []
        with KataForgeClient(system) as client:
            client.login("root", ADMIN_PASSWORD)
            coach_id = f"sdkws_{uuid.uuid4().hex[:6]}"
            client.create_coach(id=coach_id, name="Sensei", style="Karate")
            return client.analyze_with_progress(CAM01, coach=coach_id, on_message=seen.append), seen

    analysis, seen = await asyncio.to_thread(follow)  # the client blocks; the system runs on this loop
    kinds = [m["type"] for m in seen]
    assert kinds[0] == "status" and kinds[-1] == "complete" and "biomechanics" in kinds
    assert seen[-1]["data"]["analysis_id"] == analysis["id"] and analysis["metrics"]["overall_score"] >= 0


async def test_kataforge_analyze_draws_a_progress_bar(system):
    async with AsyncKataForgeClient(system) as client:
        await client.login("root", ADMIN_PASSWORD)
        coach_id = f"cli_{uuid.uuid4().hex[:6]}"
        await client.create_coach(id=coach_id, name="Sensei", style="Karate")
        token = client.token
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kataforge.cli", "analyze", str(CAM01), "--coach", coach_id, "--url", system,
        "--token", token, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, err.decode()[-2000:]
    frames = err.decode().split("\r")
    assert any("Extracting poses from video" in f for f in frames) and "100.0%" not in frames[1]
    assert '"overall_score"' in out.decode()
