"""GET /analyses through the real system: who sees which, filters, cursor pagination."""

from __future__ import annotations

import base64
import uuid

import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = base64.b64encode((VIDEOS / "pose2sim-balancing-cam01.mp4").read_bytes()).decode()


async def coach_of(http) -> tuple[str, dict]:
    _, owner = await new_user(http, "coach")
    cid = f"hist_{uuid.uuid4().hex[:6]}"
    assert (await http.post("/coaches", json={"id": cid, "name": "N", "style": "Karate"}, headers=owner)).status_code == 201
    return cid, owner


async def analyses(http, headers, **params) -> dict:
    reply = await http.get("/analyses", params=params, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_each_caller_sees_their_own_and_a_coach_owner_sees_those_against_their_coach(http, admin_headers):
    x, x_owner = await coach_of(http)
    y, _ = await coach_of(http)
    _, a = await new_user(http)
    _, b = await new_user(http)
    batch = {"videos": [{"url": CAM01, "coach": x}, {"url": CAM01, "coach": x, "technique": "front_kick"},
                        {"url": CAM01, "coach": y}], "parallel": True, "max_workers": 2}
    made = (await http.post("/batch_analyze", json=batch, headers=a)).json()
    assert made["summary"]["completed"] == 3, made
    b_made = (await http.post("/analyze", json={"video_url": CAM01, "coach": x}, headers=b)).json()

    mine = await analyses(http, a)
    ids = [r["analysis_id"] for r in made["results"]]
    assert sorted(r["id"] for r in mine["analyses"]) == sorted(ids) and mine["next_cursor"] is None
    stamps = [r["timestamp"] for r in mine["analyses"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    first = mine["analyses"][0]
    assert set(first) >= {"id", "coach", "technique", "video", "status", "overall_score", "timestamp", "processing_time"}
    assert "details" not in first and 0 <= first["overall_score"] <= 10

    # Filters.
    assert [r["id"] for r in (await analyses(http, a, coach=y))["analyses"]] == [ids[2]]
    assert [r["id"] for r in (await analyses(http, a, technique="front_kick"))["analyses"]] == [ids[1]]
    assert (await analyses(http, a, **{"from": "2999-01-01T00:00:00Z"}))["analyses"] == []
    assert len((await analyses(http, a, to="2999-01-01T00:00:00Z"))["analyses"]) == 3

    # Pages: 2 then 1, no overlap.
    page1 = await analyses(http, a, limit=2)
    page2 = await analyses(http, a, limit=2, cursor=page1["next_cursor"])
    assert len(page1["analyses"]) == 2 and page1["next_cursor"] and page2["next_cursor"] is None
    assert [r["id"] for r in page1["analyses"] + page2["analyses"]] == [r["id"] for r in mine["analyses"]]

    # Others: B sees only theirs; X's owner sees all three made against X; an admin sees everyone's.
    assert [r["id"] for r in (await analyses(http, b))["analyses"]] == [b_made["id"]]
    against_x = {r["id"] for r in (await analyses(http, x_owner, coach=x, limit=100))["analyses"]}
    assert against_x == {ids[0], ids[1], b_made["id"]}
    assert (await analyses(http, x_owner))["analyses"] == []  # without the filter: the owner's own
    everyone = {r["id"] for r in (await analyses(http, admin_headers, coach=x, limit=100))["analyses"]}
    assert everyone == against_x
    assert (await http.get(f"/analyses/{ids[0]}", headers=b)).status_code == 404  # not 403


@pytest.mark.parametrize("params, field", [({"from": "yesterday"}, "from"), ({"to": "2026-12-03T10:00:00"}, "to"),
                                           ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"), ({"limit": 0}, "limit"),
                                           ({"limit": 101}, "limit")])
async def test_bad_queries_are_400s_naming_the_parameter(http, params, field):
    _, a = await new_user(http)
    reply = await http.get("/analyses", params=params, headers=a)
    assert reply.status_code == 400 and field in reply.json()["error"]["details"], reply.text


async def test_listing_needs_credentials(http):
    assert (await http.get("/analyses")).status_code == 401


async def test_progress_of_a_technique_over_time(http):
    x, _ = await coach_of(http)
    _, a = await new_user(http)
    cam02 = base64.b64encode((VIDEOS / "pose2sim-balancing-cam02.mp4").read_bytes()).decode()
    batch = {"videos": [{"url": CAM01, "coach": x, "technique": "front_kick"},
                        {"url": cam02, "coach": x, "technique": "front_kick"},
                        {"url": CAM01, "coach": x, "technique": "side_kick"}], "parallel": False}
    made = (await http.post("/batch_analyze", json=batch, headers=a)).json()
    assert made["summary"]["completed"] == 3, made
    reply = await http.get("/analyses/progress", params={"technique": " Front-Kick "}, headers=a)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["technique"] == "front_kick"
    points = data["points"]
    assert [p["analysis_id"] for p in points] == [r["analysis_id"] for r in made["results"][:2]]  # oldest first
    assert [p["overall_score"] for p in points] == [r["score"] for r in made["results"][:2]]
    assert data["overall_change"] == pytest.approx(points[1]["overall_score"] - points[0]["overall_score"], abs=0.01)
    for p in points:
        assert set(p["aspect_scores"]) == {"speed", "force", "timing", "balance", "coordination"}
        assert 1.0 < p["max_speed"] < 15.0 and p["peak_force"] > 0
    _, other = await new_user(http)
    theirs = (await http.get("/analyses/progress", params={"technique": "front_kick"}, headers=other)).json()
    assert theirs["points"] == [] and theirs["overall_change"] is None
    missing = await http.get("/analyses/progress", headers=a)
    assert missing.status_code == 400 and "technique" in missing.json()["error"]["details"]
