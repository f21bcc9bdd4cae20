"""WS /ws/analyze against the whole system: a real analysis followed by its streamed progress, the spec's
messages in order, bad messages answered on an open socket, and the socket limits."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.kit.config import replace
from services.kit.paths import VIDEOS
from testkit.edge_server import serve_edge
from testkit.loopback import free_port
from testkit.rest_calls import messages, new_coach, new_user, ws_url

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"


async def until(socket, kinds: tuple[str, ...]) -> list[dict]:
    """Messages up to and including the first whose type is one of `kinds`."""
    out = []
    while True:
        out.append(json.loads(await asyncio.wait_for(socket.recv(), 120)))
        if out[-1]["type"] in kinds:
            return out


@pytest.fixture
async def coach_id(http):
    return await new_coach(http, "ws")


async def test_an_analysis_streams_real_progress_then_the_spec_messages(http, system, coach_id):
    _, student = await new_user(http)
    video = base64.b64encode(CAM01.read_bytes()).decode()
    async with connect(ws_url(system, "/ws/analyze"), additional_headers=student, max_size=None) as socket:
        await socket.send(json.dumps({"action": "start_analysis", "video_url": video, "coach": coach_id}))
        got = await until(socket, ("complete", "error"))
        statuses = [m for m in got if m["type"] == "status"]
        frames = [m for m in statuses if m["message"].startswith("Extracting poses")]
        # The pose service's frames, reported as they are analysed: several steps, rising, to the last one.
        assert len(frames) >= 5, statuses
        progress = [m["progress"] for m in statuses]
        assert progress == sorted(progress) and 0 <= progress[0] < 0.1 and progress[-1] >= 0.95
        done, total = (int(n) for n in frames[-1]["message"].split("(")[1].split(" frames")[0].split(" of "))
        assert 0 < done <= total
        kinds = [m["type"] for m in got if m["type"] != "status"]
        corrections = kinds.count("correction")
        assert kinds == ["biomechanics", "score"] + ["correction"] * corrections + ["complete"]
        complete = got[-1]["data"]
        stored = (await http.get(f"/analyses/{complete['analysis_id']}", headers=student)).json()
        assert complete["score"] == stored["metrics"]["overall_score"]
        assert got[[m["type"] for m in got].index("biomechanics")]["data"] == stored["metrics"]["biomechanics"]
        assert [m["data"]["text"] for m in got if m["type"] == "correction"] == stored["corrections"]
        assert complete["processing_time"] > 0

        # The socket stays open: bad messages are answered, and a second analysis may follow.
        await socket.send("this is not json")
        assert (await until(socket, ("error",)))[-1]["error"]["code"] == "invalid_request"
        await socket.send(json.dumps({"action": "dance"}))
        error = (await until(socket, ("error",)))[-1]["error"]
        assert "start_analysis" in error["details"]["action"]
        await socket.send(json.dumps({"action": "start_analysis", "coach": coach_id}))
        assert "video_url" in (await until(socket, ("error",)))[-1]["error"]["details"]
        await socket.send(json.dumps({"action": "start_analysis", "video_url": video, "coach": "no_such_coach"}))
        error = (await until(socket, ("error",)))[-1]["error"]
        assert error["code"] == "not_found" and error["resource"] == "coach"


async def test_a_running_analysis_can_be_cancelled_and_one_at_a_time(http, system, coach_id):
    _, student = await new_user(http)
    video = base64.b64encode(CAM01.read_bytes()).decode()
    start = json.dumps({"action": "start_analysis", "video_url": video, "coach": coach_id})
    async with connect(ws_url(system, "/ws/analyze"), additional_headers=student, max_size=None) as socket:
        await socket.send(start)
        await until(socket, ("status",))
        await socket.send(start)
        assert (await until(socket, ("error",)))[-1]["error"]["code"] == "conflict"
        await socket.send(json.dumps({"action": "cancel_analysis"}))
        assert (await _until_cancelled(socket))["status"] == "cancelled"
    listed = (await http.get("/analyses", headers=student)).json()["analyses"]
    assert listed == []  # a cancelled analysis stores nothing


async def _until_cancelled(socket) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 60))
        assert message["type"] == "status", message
        if message["status"] == "cancelled":
            return message


async def test_the_handshake_refuses_strangers_and_foreign_pages(system):
    async with connect(ws_url(system, "/ws/analyze")) as socket:
        got = await messages(socket)
    assert got[0]["error"]["code"] == "unauthorized" and socket.close_code == 4401
    with pytest.raises(Exception) as refused:
        async with connect(ws_url(system, "/ws/analyze"), origin="https://evil.example"):
            pass
    assert "403" in str(refused.value)


@pytest.fixture
async def tight_edge(system_settings, system):
    """An edge in front of the running services with small socket limits."""
    settings = replace(system_settings, api_port=free_port(), ws_max_message_bytes=64 * 1024, ws_max_connections=2,
                       ws_messages_per_minute=5, ws_idle_seconds=1.0)
    async with serve_edge(settings) as url:
        yield url


async def test_socket_limits_are_told_then_enforced(http, tight_edge):
    _, student = await new_user(http)
    url = ws_url(tight_edge, "/ws/analyze")
    async with connect(url, additional_headers=student) as socket:      # silent: closed after the idle time
        got = await messages(socket)
    assert got[0]["error"]["code"] == "timeout_error" and socket.close_code == 1001
    async with connect(url, additional_headers=student) as socket:      # a message over the size cap
        await socket.send(json.dumps({"action": "start_analysis", "video_url": "A" * 70_000, "coach": "c"}))
        got = await messages(socket)
    assert got[-1]["error"]["code"] == "payload_too_large" and socket.close_code == 1009
    async with connect(url, additional_headers=student) as socket:      # a flood
        for _ in range(6):
            try:
                await socket.send(json.dumps({"action": "dance"}))
            except ConnectionClosed:
                break
        got = await messages(socket)
    assert got[-1]["error"]["code"] == "rate_limit_exceeded" and socket.close_code == 1008
    assert [m["error"]["code"] for m in got[:-1]] == ["invalid_request"] * 5
    async with connect(url, additional_headers=student) as one, connect(url, additional_headers=student) as two:
        async with connect(url, additional_headers=student) as third:  # over 2 per user
            got = await messages(third)
        assert got[0]["error"]["code"] == "rate_limit_exceeded" and third.close_code == 1008
        assert one.state.name == two.state.name == "OPEN"
