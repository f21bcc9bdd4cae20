"""Coach registry through REST: shapes, validation, 404 body, ownership."""

import uuid

import pytest

from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration


def coach_body(coach_id: str) -> dict:
    return {"id": coach_id, "name": "Nagato", "style": "Muay Thai", "rank": "Champion", "years_experience": 15,
            "teachers": ["Master Toddy"], "techniques": ["roundhouse", "teep", "elbow"],
            "teaching_philosophy": {"focus": "Precision and power", "sessions_per_week": 5}}


async def test_coach_crud_with_the_spec_shapes(http):
    _, coach = await new_user(http, "coach")
    coach_id = f"nagato_{uuid.uuid4().hex[:6]}"
    created = await http.post("/coaches", json=coach_body(coach_id), headers=coach)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == coach_id and body["techniques"] == ["roundhouse", "teep", "elbow"]
    assert body["teaching_philosophy"] == {"focus": "Precision and power", "sessions_per_week": 5}
    assert body["created_at"] == body["updated_at"]
    assert body["owner_id"] == (await http.get("/auth/profile", headers=coach)).json()["id"]  # told to its owner

    listed = (await http.get("/coaches", headers=coach)).json()
    assert listed["total"] >= 1 and coach_id in [c["id"] for c in listed["coaches"]]

    updated = await http.put(f"/coaches/{coach_id}", json={"name": "Nagato Updated", "years_experience": 16},
                             headers=coach)
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["name"] == "Nagato Updated" and after["years_experience"] == 16 and after["style"] == "Muay Thai"
    assert after["created_at"] == body["created_at"] and after["updated_at"] > body["updated_at"]

    fetched = await http.get(f"/v1/coaches/{coach_id}", headers=coach)
    assert fetched.json()["name"] == "Nagato Updated"
    # The object a GET answered, changed and sent back as it is (id and timestamps included).
    sent_back = {**fetched.json(), "rank": "Kru"}
    again = await http.put(f"/coaches/{coach_id}", json=sent_back, headers=coach)
    assert again.status_code == 200, again.text
    assert again.json()["rank"] == "Kru" and again.json()["created_at"] == body["created_at"]
    moved = await http.put(f"/coaches/{coach_id}", json={**sent_back, "id": "someone_else"}, headers=coach)
    assert moved.status_code == 400 and moved.json()["error"]["details"] == {"id": "This field cannot be changed"}
    unranked = coach_body(f"plain_{uuid.uuid4().hex[:6]}")
    del unranked["rank"], unranked["years_experience"]
    plain = (await http.post("/coaches", json=unranked, headers=coach)).json()
    assert "rank" not in plain and "years_experience" not in plain  # unset: absent, as proto3 JSON prints it

    deleted = await http.delete(f"/coaches/{coach_id}", headers=coach)
    assert deleted.json() == {"success": True, "message": f"Coach {coach_id} deleted successfully"}
    missing = await http.get(f"/coaches/{coach_id}", headers=coach)
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "not_found" and error["resource"] == "coach" and error["id"] == coach_id


async def test_validation_reports_each_field(http):
    _, coach = await new_user(http, "coach")
    reply = await http.post("/coaches", json={"id": "Bad Id!", "name": "", "years_experience": 400,
                                              "style": "Karate"}, headers=coach)
    assert reply.status_code == 400
    details = reply.json()["error"]["details"]
    assert {"id", "name", "years_experience"} <= set(details)

    wrong_type = await http.post("/coaches", json={"id": "abc", "name": "A", "style": "B", "years_experience": "ten"},
                                 headers=coach)
    assert wrong_type.status_code == 400 and "years_experience" in wrong_type.json()["error"]["details"]
    unknown = await http.post("/coaches", json={**coach_body("unknown_field"), "salary": 1}, headers=coach)
    assert unknown.status_code == 400 and unknown.json()["error"]["details"] == {"salary": "Unknown field"}
    missing = await http.post("/coaches", json={"name": "A"}, headers=coach)
    assert missing.json()["error"]["details"]["id"] == "This field is required"


async def test_roles_and_ownership(http, admin_headers):
    _, student = await new_user(http, "student")
    _, owner = await new_user(http, "coach")
    _, other = await new_user(http, "coach")
    coach_id = f"sagat_{uuid.uuid4().hex[:6]}"
    assert (await http.post("/coaches", json=coach_body(coach_id), headers=student)).status_code == 403
    assert (await http.post("/coaches", json=coach_body(coach_id), headers=owner)).status_code == 201
    assert (await http.put(f"/coaches/{coach_id}", json={"name": "X"}, headers=other)).status_code == 403
    assert (await http.delete(f"/coaches/{coach_id}", headers=other)).status_code == 403
    immutable = await http.put(f"/coaches/{coach_id}", json={"id": "renamed", "created_at": "2020-01-01"},
                               headers=owner)
    assert immutable.status_code == 400
    assert (await http.get("/coaches")).status_code == 401
    assert (await http.delete(f"/coaches/{coach_id}", headers=admin_headers)).status_code == 200


async def test_numbers_beyond_the_services_range_are_a_400_naming_the_field(http):
    """Schemathesis found these answering 500 (protobuf refuses an int32 out of range on assignment)."""
    _, coach = await new_user(http, "coach")
    huge = await http.get("/coaches", params={"offset": 67715199123352}, headers=coach)
    assert huge.status_code == 400 and "offset" in huge.json()["error"]["details"], huge.text
    body = {**coach_body(f"big_{uuid.uuid4().hex[:6]}"), "years_experience": -14533631568861614080}
    reply = await http.post("/coaches", json=body, headers=coach)
    assert reply.status_code == 400 and "years_experience" in reply.json()["error"]["details"], reply.text
    refs = await http.get("/coaches/anyone/references", params={"offset": 6412743478045}, headers=coach)
    assert refs.status_code == 400 and "offset" in refs.json()["error"]["details"], refs.text
    # The edge only guards the transport's range: within it, the coach service's own rule answers.
    inside = await http.post("/coaches", json={**body, "years_experience": 2**31 - 1}, headers=coach)
    assert inside.status_code == 400 and "between" in inside.json()["error"]["details"]["years_experience"]
