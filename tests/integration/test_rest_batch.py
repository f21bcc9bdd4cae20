"""POST /batch_analyze through the real system: the spec's shape, one failing video failing only its row."""

from __future__ import annotations

import base64

import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_coach, new_user

pytestmark = pytest.mark.integration

CAM01, CAM02 = VIDEOS / "pose2sim-balancing-cam01.mp4", VIDEOS / "pose2sim-balancing-cam02.mp4"


@pytest.fixture
async def coach_id(http):
    return await new_coach(http, "batch")


def b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


async def test_a_batch_answers_every_row_and_a_bad_video_fails_only_its_own(http, coach_id):
    _, student = await new_user(http)
    not_a_video = base64.b64encode(b"this is a text file, not a video " * 40).decode()
    body = {"videos": [{"url": b64(CAM01), "coach": coach_id, "metadata": {"take": 1, "note": "front"}},
                       {"url": not_a_video, "coach": coach_id},
                       {"url": b64(CAM02), "coach": coach_id},
                       {"url": b64(CAM02), "coach": "no_such_coach"}],
            "parallel": True, "max_workers": 2}
    reply = await http.post("/batch_analyze", json=body, headers=student)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["batch_id"].startswith("batch_") and data["status"] == "completed_with_errors"
    rows = data["results"]
    assert [r["status"] for r in rows] == ["completed", "failed", "completed", "failed"]
    assert rows[0]["metadata"] == {"take": 1, "note": "front"}
    for row in (rows[0], rows[2]):
        assert row["analysis_id"].startswith("analysis_") and 0 <= row["score"] <= 10 and row["processing_time"] > 0
        assert row["video"].startswith("base64 video (")
        stored = await http.get(f"/analyses/{row['analysis_id']}", headers=student)  # stored as /analyze stores
        assert stored.status_code == 200 and stored.json()["metrics"]["overall_score"] == row["score"]
    assert rows[1]["error"]["code"] in ("invalid_request", "validation_error")
    assert rows[1]["score"] is None and rows[1]["analysis_id"] is None  # the spec's rows always carry both
    assert rows[3]["error"]["code"] == "not_found" and rows[3]["error"]["resource"] == "coach"
    summary = data["summary"]
    assert summary["total_videos"] == 4 and summary["completed"] == 2 and summary["failed"] == 2
    assert summary["avg_score"] == pytest.approx((rows[0]["score"] + rows[2]["score"]) / 2, abs=0.01)
    assert summary["total_time"] >= max(r["processing_time"] for r in rows)


@pytest.mark.parametrize("body, field", [
    ({"videos": []}, "videos"),
    ({"videos": [{"url": "https://example.com/a.mp4", "coach": "c"}] * 21}, "videos"),
    ({"videos": [{"url": "https://example.com/a.mp4", "coach": "c"}], "max_workers": 10**6}, "max_workers"),
    ({"videos": [{"url": "ftp://example.com/a.mp4", "coach": "c"}]}, "videos.0.url"),
    ({"videos": [{"coach": "c"}]}, "videos.0.url"),
])
async def test_bad_batches_are_refused_naming_the_field(http, body, field):
    _, student = await new_user(http)
    reply = await http.post("/batch_analyze", json=body, headers=student)
    assert reply.status_code == 400, reply.text
    assert field in reply.json()["error"]["details"], reply.text


async def test_a_batch_needs_credentials(http):
    reply = await http.post("/batch_analyze", json={"videos": [{"url": "https://example.com/a.mp4", "coach": "c"}]})
    assert reply.status_code == 401


async def test_the_python_client_sends_a_batch(system, system_settings):
    import asyncio

    from kataforge.client import KataForgeClient

    def call() -> dict:
        with KataForgeClient(system, api_key=system_settings.api_keys[0]) as client:
            return client.batch_analyze([{"url": base64.b64encode(b"not a video" * 50).decode(), "coach": "nobody",
                                          "metadata": {"take": 2}}], parallel=False)

    answer = await asyncio.to_thread(call)  # the client is synchronous; the system runs on this loop
    assert answer["status"] == "failed" and answer["summary"] == {**answer["summary"], "total_videos": 1, "failed": 1}
    assert answer["results"][0]["metadata"] == {"take": 2} and answer["results"][0]["error"]["code"]
