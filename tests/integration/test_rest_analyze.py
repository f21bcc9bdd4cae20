"""POST /analyze end to end on real footage, and the bad inputs it must refuse cleanly."""

import base64
import uuid

import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"


@pytest.fixture
async def coach_id(http):
    _, coach = await new_user(http, "coach")
    cid = f"nagato_{uuid.uuid4().hex[:6]}"
    reply = await http.post("/coaches", json={"id": cid, "name": "Nagato", "style": "Karate",
                                              "techniques": ["lunge"]}, headers=coach)
    assert reply.status_code == 201
    return cid


def assert_analysis_shape(body: dict, coach: str) -> None:
    assert body["id"].startswith("analysis_") and body["status"] == "completed" and body["coach"] == coach
    metrics = body["metrics"]
    assert set(metrics["aspect_scores"]) == {"speed", "force", "timing", "balance", "coordination"}
    assert all(0 <= v <= 10 for v in metrics["aspect_scores"].values())
    assert 0 <= metrics["overall_score"] <= 10
    bio = metrics["biomechanics"]
    # A fast lunge of an adult: hands/feet peak between 1 and 15 m/s; efficiency is a percentage.
    assert 1.0 < bio["max_speed"] < 15.0
    assert bio["peak_force"] > 0 and bio["mean_power"] > 0
    assert 0 <= bio["kinetic_chain_efficiency"] <= 100
    assert isinstance(body["corrections"], list) and isinstance(body["recommendations"], list)
    assert body["recommendations"]
    assert body["processing_time"] > 0 and body["timestamp"].endswith("Z")


async def test_analyze_base64_then_fetch_it_back(http, coach_id):
    _, student = await new_user(http)
    video = base64.b64encode(CAM01.read_bytes()).decode()
    reply = await http.post("/analyze", json={"video_url": video, "coach": coach_id, "verbose": True},
                            headers=student)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert_analysis_shape(body, coach_id)
    assert body["details"]["video"]["fps"] == pytest.approx(60, abs=1)
    stored = await http.get(f"/analyses/{body['id']}", headers=student)
    assert stored.status_code == 200 and stored.json()["metrics"] == body["metrics"]
    _, other = await new_user(http)
    assert (await http.get(f"/analyses/{body['id']}", headers=other)).status_code == 404

    metrics = (await http.get("/metrics")).text
    assert f'kataforge_analyses_total{{coach="{coach_id}"}} 1.0' in metrics
    assert 'kataforge_model_inference_time_count{model="blazepose_full"}' in metrics


async def test_analyze_multipart_upload_gives_the_same_numbers(http, coach_id):
    _, student = await new_user(http)
    with CAM01.open("rb") as handle:
        reply = await http.post("/analyze", data={"coach": coach_id, "technique": "lunge"},
                                files={"file": (CAM01.name, handle, "video/mp4")}, headers=student)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert_analysis_shape(body, coach_id)
    assert body["video"] == CAM01.name and body["technique"] == "lunge"
    again = await http.post("/analyze", json={"video_url": base64.b64encode(CAM01.read_bytes()).decode(),
                                              "coach": coach_id, "technique": "lunge"}, headers=student)
    assert again.json()["metrics"] == body["metrics"]  # deterministic


@pytest.mark.parametrize("video_url", [
    "file:///etc/passwd", "ftp://example.com/a.mp4", "gopher://example.com:70/_x", "technique.mp4",
    "http://127.1/v.mp4", "http://0177.0.0.1/v.mp4", "http://2130706433/v.mp4", "http://[::ffff:127.0.0.1]/v.mp4",
    "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/v.mp4", "http://localhost/v.mp4",
])
async def test_refused_video_urls(http, coach_id, video_url):
    _, student = await new_user(http)
    reply = await http.post("/analyze", json={"video_url": video_url, "coach": coach_id}, headers=student)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "invalid_request" and reply.json()["error"]["message"]


@pytest.mark.parametrize("name,payload", [
    ("empty.mp4", b""),
    ("notes.mp4", b"these are my training notes, not a video\n" * 50),
    ("image.mp4", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000),
    ("truncated.mp4", CAM01.read_bytes()[:40_000]),
])
async def test_bad_uploads_are_refused_and_nothing_is_stored(http, coach_id, admin_headers, name, payload):
    _, student = await new_user(http)
    before = (await http.get("/system/info", headers=admin_headers)).json()["analyses"]
    reply = await http.post("/analyze", data={"coach": coach_id}, files={"file": (name, payload, "video/mp4")},
                            headers=student)
    assert reply.status_code in (400, 422), reply.text
    assert reply.json()["error"]["message"]
    after = (await http.get("/system/info", headers=admin_headers)).json()["analyses"]
    assert after == before
    assert (await http.get("/")).json()["status"] == "healthy"  # every service keeps serving


async def test_unknown_coach_and_missing_fields(http):
    _, student = await new_user(http)
    reply = await http.post("/analyze", json={"video_url": base64.b64encode(b"x" * 30).decode(),
                                              "coach": "no_such_coach"}, headers=student)
    assert reply.status_code == 404 and reply.json()["error"]["resource"] == "coach"
    missing = await http.post("/analyze", json={}, headers=student)
    assert missing.status_code == 400
    assert missing.json()["error"]["details"] == {"video_url": "This field is required",
                                                  "coach": "This field is required"}
    wrong = await http.post("/analyze", json={"video_url": 5, "coach": "x", "verbose": "yes"}, headers=student)
    assert {"video_url", "verbose"} <= set(wrong.json()["error"]["details"])
    assert (await http.post("/analyze", json={"video_url": "aGk=", "coach": "x"})).status_code == 401
