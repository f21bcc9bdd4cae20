"""Idempotency-Key on POST /analyze through the real system (services/scoring/idempotency.py)."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
VIDEO = base64.b64encode(CAM01.read_bytes()).decode()


@pytest.fixture
async def coach_id(http):
    _, owner = await new_user(http, "coach")
    cid = f"idem_{uuid.uuid4().hex[:6]}"
    assert (await http.post("/coaches", json={"id": cid, "name": "N", "style": "Karate"}, headers=owner)).status_code == 201
    return cid


async def count(http, headers) -> int:
    return len((await http.get("/analyses", params={"limit": 100}, headers=headers)).json()["analyses"])


async def test_a_retried_request_answers_the_first_answer_with_no_new_work(http, coach_id):
    _, a = await new_user(http)
    key = {"Idempotency-Key": f"retry-{uuid.uuid4()}"}
    body = {"video_url": VIDEO, "coach": coach_id}
    first = await http.post("/analyze", json=body, headers={**a, **key})
    assert first.status_code == 200, first.text
    again = await http.post("/analyze", json=body, headers={**a, **key})
    assert again.status_code == 200 and again.json() == first.json()
    assert await count(http, a) == 1
    # The same key with another body is refused; another caller's same key is theirs.
    other_body = await http.post("/analyze", json={**body, "verbose": True}, headers={**a, **key})
    assert other_body.status_code == 422 and "Idempotency-Key" in other_body.json()["error"]["details"]
    _, b = await new_user(http)
    theirs = await http.post("/analyze", json=body, headers={**b, **key})
    assert theirs.status_code == 200 and theirs.json()["id"] != first.json()["id"]
    # Multipart uploads are fingerprinted by their fields and file.
    upload_key = {"Idempotency-Key": f"upload-{uuid.uuid4()}"}
    files = {"file": ("cam01.mp4", CAM01.read_bytes(), "video/mp4")}
    up1 = await http.post("/analyze", data={"coach": coach_id}, files=files, headers={**a, **upload_key})
    up2 = await http.post("/analyze", data={"coach": coach_id}, files=files, headers={**a, **upload_key})
    assert up1.status_code == up2.status_code == 200 and up1.json()["id"] == up2.json()["id"]
    assert await count(http, a) == 2


async def test_concurrent_retries_do_the_work_once(http, coach_id):
    _, a = await new_user(http)
    key = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    body = {"video_url": VIDEO, "coach": coach_id}
    replies = await asyncio.gather(*(http.post("/analyze", json=body, headers={**a, **key}) for _ in range(3)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 409}, statuses
    assert len({r.json()["id"] for r in replies if r.status_code == 200}) == 1
    assert await count(http, a) == 1


async def test_a_failed_request_releases_its_key_and_long_keys_are_refused(http, coach_id):
    _, a = await new_user(http)
    key = {"Idempotency-Key": f"fail-{uuid.uuid4()}"}
    bad = {"video_url": base64.b64encode(b"not a video at all " * 30).decode(), "coach": coach_id}
    first = await http.post("/analyze", json=bad, headers={**a, **key})
    again = await http.post("/analyze", json=bad, headers={**a, **key})
    assert first.status_code == again.status_code and first.status_code in (400, 422), (first.text, again.text)
    assert again.json()["error"]["code"] == first.json()["error"]["code"]  # redone, not "still processing"
    long = await http.post("/analyze", json={"video_url": VIDEO, "coach": coach_id},
                           headers={**a, "Idempotency-Key": "k" * 256})
    assert long.status_code == 400 and "Idempotency-Key" in long.json()["error"]["details"]
