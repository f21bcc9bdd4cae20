"""WS /ws/live through the whole system (edge -> scoring LiveAnalyze -> pose StreamPoses): a shared clip's
frames as a camera would send them, landmarks for the frames answered, and a repetition's feedback."""

from __future__ import annotations

import asyncio
import json
import struct

import cv2
import pytest
from websockets.asyncio.client import connect

from services.kit.paths import VIDEOS
from testkit.rest_calls import messages, new_user, ws_url

pytestmark = pytest.mark.integration


def jpeg_frames(path, seconds: float) -> list[tuple[float, bytes]]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    out = []
    while len(out) < seconds * fps:
        ok, image = capture.read()
        if not ok:
            break
        out.append((len(out) * 1000.0 / fps, cv2.imencode(".jpg", cv2.resize(image, None, fx=0.5, fy=0.5))[1].tobytes()))
    capture.release()
    return out


async def test_a_camera_stream_gets_landmarks_and_a_repetitions_feedback(http, system):
    """Sports2D's first 4 s (a kick-like leg swing at 0.3-0.8 s, then more), at the clip's own 30 fps. On a
    busy machine the pose service drops stale frames and the searches come further apart: the strike is
    still told (tests/scoring/test_live.py has the searches' side)."""
    _, student = await new_user(http)
    frames = jpeg_frames(VIDEOS / "sports2d-demo.mp4", 4.0)
    async with connect(ws_url(system, "/ws/live"), additional_headers=student) as socket:
        await socket.send(json.dumps({"action": "start_live"}))
        for timestamp_ms, jpeg in frames:  # capture times in the frames: the speeds do not depend on the network
            await socket.send(struct.pack(">d", timestamp_ms) + jpeg)
            await asyncio.sleep(1 / 30)
        await socket.send(json.dumps({"action": "stop"}))
        got = await messages(socket)
        assert socket.close_code == 1000, got[-1:]
    poses = [m for m in got if m["type"] == "landmarks"]
    reps = [m["data"] for m in got if m["type"] == "repetition"]
    assert len(poses) >= len(frames) // 3 and poses[-1]["dropped_frames"] + len(poses) <= len(frames)
    seen = [p for p in poses if p["detected"]]
    assert len(seen) >= 0.8 * len(poses) and all(len(p["landmarks"]) == 33 for p in seen)
    assert [p["sequence"] for p in poses] == sorted(p["sequence"] for p in poses)
    assert all(0 <= x <= 1.2 for p in seen for x, *_ in p["landmarks"]) and seen[0]["width"] > 0
    assert reps, "no repetition feedback"
    first = reps[0]
    assert first["repetition"] == 1 and 0.3 <= first["peak_speed_m_s"] <= 12.0
    assert first["speed_verdict"] in ("reliable", "uncertain", "unreliable") and first["end_ms"] > first["start_ms"]


async def test_bad_frames_are_told_and_the_stream_goes_on(http, system):
    _, student = await new_user(http)
    frames = jpeg_frames(VIDEOS / "pose2sim-balancing-cam01.mp4", 0.5)
    async with connect(ws_url(system, "/ws/live"), additional_headers=student) as socket:
        await socket.send(frames[0][1])  # a bare JPEG first: defaults, stamped on arrival
        await socket.send(b"GIF89a not a jpeg")
        await socket.send("{not json")
        for _, jpeg in frames[1:]:
            await socket.send(jpeg)
        await socket.send(json.dumps({"action": "stop"}))
        got = await messages(socket)
    errors = [m["error"]["code"] for m in got if m["type"] == "error"]
    assert errors == ["invalid_request", "invalid_request"]
    answered = [m["sequence"] for m in got if m["type"] == "landmarks"]
    # Sent far faster than the pose service runs: stale frames are dropped, the newest is always answered.
    assert answered and answered[-1] == len(frames) - 1


async def test_an_unknown_coach_ends_the_stream_with_its_error(http, system):
    _, student = await new_user(http)
    async with connect(ws_url(system, "/ws/live"), additional_headers=student) as socket:
        await socket.send(json.dumps({"action": "start_live", "coach": "no_such_coach"}))
        got = await messages(socket)
    assert got[-1]["error"]["code"] == "not_found" and socket.close_code == 1008
