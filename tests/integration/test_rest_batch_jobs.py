"""Durable batch jobs through the real system (edge, scoring with its PgQueuer worker, pose, PostgreSQL):
submission, progress, results, ownership, cancellation, idempotency and the hourly quota."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_coach, new_user

pytestmark = pytest.mark.integration

CAM01, CAM02 = VIDEOS / "pose2sim-balancing-cam01.mp4", VIDEOS / "pose2sim-balancing-cam02.mp4"
NOT_A_VIDEO = base64.b64encode(b"this is a text file, not a video " * 40).decode()


def b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture
async def coach_id(http):
    return await new_coach(http, "durable")


async def ended(http, batch_id: str, headers: dict, timeout_s: float = 240.0) -> dict:
    for _ in range(int(timeout_s / 0.25)):
        status = (await http.get(f"/batch/status/{batch_id}", headers=headers)).json()
        if status["finished_at"] is not None:
            return status
        await asyncio.sleep(0.25)
    raise AssertionError(f"batch {batch_id} still {status['status']} after {timeout_s:.0f} s: {status['progress']}")


async def test_a_submitted_batch_runs_in_the_background_and_answers_like_batch_analyze(http, coach_id):
    _, student = await new_user(http)
    body = {"videos": [{"url": b64(CAM01), "coach": coach_id, "metadata": {"take": 1}},
                       {"url": NOT_A_VIDEO, "coach": coach_id},
                       {"url": b64(CAM02), "coach": "no_such_coach"}]}
    reply = await http.post("/batch/submit", json=body, headers=student)
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert job["batch_id"].startswith("batch_") and job["status"] in ("queued", "processing")
    assert job["progress"]["total"] == 3 and job["finished_at"] is None
    assert len(job["videos"]) == 3 and job["videos"][0]["video"].startswith("base64 video (")

    status = await ended(http, job["batch_id"], student)
    assert status["status"] == "completed_with_errors"
    p = status["progress"]
    assert (p["completed"], p["failed"], p["queued"], p["processing"], p["fraction"]) == (1, 2, 0, 0, 1.0)
    assert [v["attempts"] for v in status["videos"]] == [1, 1, 1]  # no worker died: each taken up once

    results = (await http.get(f"/batch/results/{job['batch_id']}", headers=student)).json()
    rows = results["results"]
    assert [r["status"] for r in rows] == ["completed", "failed", "failed"]
    assert rows[0]["metadata"] == {"take": 1} and 0 <= rows[0]["score"] <= 10
    stored = await http.get(f"/analyses/{rows[0]['analysis_id']}", headers=student)
    assert stored.status_code == 200 and stored.json()["metrics"]["overall_score"] == rows[0]["score"]
    assert rows[1]["error"]["code"] in ("invalid_request", "validation_error")
    assert rows[1]["analysis_id"] is None and rows[1]["score"] is None
    assert rows[2]["error"]["code"] == "not_found" and rows[2]["error"]["resource"] == "coach"
    assert results["summary"]["completed"] == 1 and results["summary"]["failed"] == 2
    assert results["summary"]["avg_score"] == rows[0]["score"]
    assert results["summary"]["total_time"] >= rows[0]["processing_time"]

    listed = (await http.get("/batch/list", headers=student)).json()
    assert [b["batch_id"] for b in listed["batches"]] == [job["batch_id"]]
    assert listed["batches"][0]["progress"]["completed"] == 1 and "videos" not in listed["batches"][0]


async def test_another_users_batch_is_missing_to_them(http, coach_id):
    _, owner = await new_user(http)
    _, other = await new_user(http)
    reply = await http.post("/batch/submit", json={"videos": [{"url": NOT_A_VIDEO, "coach": coach_id}]}, headers=owner)
    batch_id = reply.json()["batch_id"]
    for method, path in (("GET", f"/batch/status/{batch_id}"), ("GET", f"/batch/results/{batch_id}"),
                         ("DELETE", f"/batch/cancel/{batch_id}")):
        answer = await http.request(method, path, headers=other)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"]["resource"] == "batch"
    assert (await http.get("/batch/list", headers=other)).json()["batches"] == []
    assert (await http.get("/batch/status/batch_nonexistent", headers=owner)).status_code == 404


async def test_cancelling_stops_the_videos_not_yet_started(http, coach_id):
    _, student = await new_user(http)
    videos = [{"url": b64(CAM01), "coach": coach_id} for _ in range(8)]
    batch_id = (await http.post("/batch/submit", json={"videos": videos}, headers=student)).json()["batch_id"]
    reply = await http.delete(f"/batch/cancel/{batch_id}", headers=student)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"
    status = await ended(http, batch_id, student)
    counts = status["progress"]
    assert status["status"] == "cancelled" and counts["processing"] == 0 and counts["queued"] == 0
    # Workers take up at most two videos each before the cancel lands; the rest never run.
    assert counts["cancelled"] >= 4 and counts["cancelled"] + counts["completed"] == 8
    assert (await http.delete(f"/batch/cancel/{batch_id}", headers=student)).status_code == 200  # idempotent

    done = (await http.post("/batch/submit", json={"videos": [{"url": NOT_A_VIDEO, "coach": coach_id}]},
                            headers=student)).json()["batch_id"]
    await ended(http, done, student)
    late = await http.delete(f"/batch/cancel/{done}", headers=student)
    assert late.status_code == 409 and "already ended" in late.json()["error"]["message"]


async def test_an_idempotency_key_answers_the_first_batch_again(http, coach_id):
    _, student = await new_user(http)
    key = {"Idempotency-Key": f"nightly-{uuid.uuid4().hex}", **student}
    body = {"videos": [{"url": NOT_A_VIDEO, "coach": coach_id}]}
    first = await http.post("/batch/submit", json=body, headers=key)
    again = await http.post("/batch/submit", json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert len((await http.get("/batch/list", headers=student)).json()["batches"]) == 1
    other = await http.post("/batch/submit", json={"videos": body["videos"] * 2}, headers=key)
    assert other.status_code == 422 and other.json()["error"]["details"]["Idempotency-Key"]
    too_long = await http.post("/batch/submit", json=body, headers={**student, "Idempotency-Key": "k" * 256})
    assert too_long.status_code == 400


@pytest.mark.parametrize("body, field", [
    ({"videos": []}, "videos"),
    ({"videos": [{"url": "x", "coach": "c"}] * 10_000}, "videos"),
    ({"videos": [{"url": "ftp://example.com/a.mp4", "coach": "c"}]}, "videos.0.url"),
    ({"videos": [{"url": "http://example.com/a.mp4"}]}, "videos.0.coach"),
    ({"videos": [{"url": "http://example.com/a.mp4", "coach": "c"}], "device": "tpu"}, "device"),
])
async def test_a_bad_submission_is_refused_naming_the_field(http, body, field):
    _, student = await new_user(http)
    reply = await http.post("/batch/submit", json=body, headers=student)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert field in error["details"], error
    if len(body["videos"]) == 10_000:
        assert "at most 100 videos" in error["message"]
    assert (await http.get("/batch/list", headers=student)).json()["batches"] == []  # nothing half-stored


async def test_the_hourly_quota_refuses_the_eleventh_batch(http, coach_id):
    _, student = await new_user(http)
    body = {"videos": [{"url": NOT_A_VIDEO, "coach": coach_id}]}
    for _ in range(10):
        assert (await http.post("/batch/submit", json=body, headers=student)).status_code == 202
    refused = await http.post("/batch/submit", json=body, headers=student)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["limit"] == 10 and error["window"] == 3600 and 3500 <= error["retry_after"] <= 3600
    assert len((await http.get("/batch/list?limit=100", headers=student)).json()["batches"]) == 10
    _, someone_else = await new_user(http)  # a quota per user
    assert (await http.post("/batch/submit", json=body, headers=someone_else)).status_code == 202
