"""Coach reference performances through REST: from a real video and from a pose sequence, listing, reading,
deleting, and every bad input with its status and error envelope."""

import base64
import uuid

import cv2
import numpy as np
import pytest

from services.kit.paths import VIDEOS
from testkit.poses import compact, jab_sequence
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
REFERENCE_KEYS = {"id", "coach_id", "technique", "source", "fps", "frame_count", "detected_frames", "duration_ms",
                  "created_by", "created_at"}


@pytest.fixture
async def coach(http):
    """A coach entry: (coach id, owner's headers)."""
    _, owner = await new_user(http, "coach")
    coach_id = f"nagato_{uuid.uuid4().hex[:6]}"
    reply = await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Muay Thai",
                                              "techniques": ["teep"]}, headers=owner)
    assert reply.status_code == 201, reply.text
    return coach_id, owner


def error_of(reply, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["timestamp"].endswith("Z")
    return body["error"]


async def references(http, coach_id: str, headers: dict, **params) -> dict:
    reply = await http.get(f"/coaches/{coach_id}/references", params=params, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_video_reference_round_trip(http, coach):
    coach_id, owner = coach
    with CAM01.open("rb") as video:
        reply = await http.post(f"/coaches/{coach_id}/references", headers=owner,
                                data={"technique": "Balance", "name": "cam01", "body_mass_kg": "68.5"},
                                files={"file": ("cam01.mp4", video, "video/mp4")})
    assert reply.status_code == 201, reply.text
    added = reply.json()
    assert set(added) == REFERENCE_KEYS | {"name", "body_mass_kg"}
    assert (added["coach_id"], added["technique"], added["name"], added["source"], added["body_mass_kg"]) == (
        coach_id, "balance", "cam01", "video", 68.5)
    assert added["fps"] == pytest.approx(60, abs=0.5) and added["frame_count"] == 100
    assert added["detected_frames"] >= 90 and added["created_at"].endswith("Z")

    _, student = await new_user(http)
    fetched = await http.get(f"/coaches/{coach_id}/references/{added['id']}", headers=student)
    assert fetched.status_code == 200 and fetched.json() == added
    full = (await http.get(f"/coaches/{coach_id}/references/{added['id']}", params={"include_poses": "true"},
                           headers=student)).json()
    poses = full.pop("pose_sequence")
    assert full == added and set(poses) == {"fps", "frames"} and len(poses["frames"]) == 100
    person = [f for f in poses["frames"] if f["landmarks"]]
    assert len(person) == added["detected_frames"]
    assert all(len(f["landmarks"]) == 33 and all(len(lm) == 4 for lm in f["landmarks"]) for f in person)

    # What was read back is accepted as a pose sequence (same technique under another spelling).
    again = await http.post(f"/coaches/{coach_id}/references", headers=owner,
                            json={"technique": "balance", "pose_sequence": poses})
    assert again.status_code == 201, again.text
    assert again.json()["source"] == "pose_sequence" and again.json()["detected_frames"] == added["detected_frames"]
    assert "name" not in again.json() and "body_mass_kg" not in again.json()
    coach_after = (await http.get(f"/coaches/{coach_id}", headers=student)).json()
    assert coach_after["techniques"] == ["teep", "balance"]
    listed = await references(http, coach_id, student, technique="balance")
    assert listed["total"] == 2 and [r["id"] for r in listed["references"]] == [again.json()["id"], added["id"]]


async def test_pose_sequence_reference_add_list_get_delete(http, coach):
    coach_id, owner = coach
    reply = await http.post(f"/v1/coaches/{coach_id}/references", headers=owner,
                            json={"technique": "Jab", "name": "orthodox", "pose_sequence": compact(jab_sequence())})
    assert reply.status_code == 201, reply.text
    jab = reply.json()
    assert (jab["technique"], jab["source"], jab["frame_count"], jab["detected_frames"]) == ("jab", "pose_sequence",
                                                                                           30, 30)
    assert jab["duration_ms"] == pytest.approx(1000.0)
    teep = (await http.post(f"/coaches/{coach_id}/references", headers=owner,
                            json={"technique": "teep", "pose_sequence": compact(jab_sequence(fps=60.0))})).json()

    assert (await references(http, coach_id, owner))["total"] == 2
    only_jab = await references(http, coach_id, owner, technique="JAB")
    assert [r["id"] for r in only_jab["references"]] == [jab["id"]] and only_jab["total"] == 1
    assert (await references(http, coach_id, owner, limit=1, offset=1))["references"][0]["id"] == jab["id"]

    got = (await http.get(f"/coaches/{coach_id}/references/{jab['id']}", params={"include_poses": True},
                          headers=owner)).json()
    sent = compact(jab_sequence())
    assert got["pose_sequence"]["fps"] == sent["fps"] and len(got["pose_sequence"]["frames"]) == 30
    assert np.allclose(got["pose_sequence"]["frames"][7]["landmarks"], sent["frames"][7]["landmarks"], atol=1e-6)

    deleted = await http.delete(f"/coaches/{coach_id}/references/{jab['id']}", headers=owner)
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True, "message": f"Reference {jab['id']} deleted successfully"}
    error = error_of(await http.get(f"/coaches/{coach_id}/references/{jab['id']}", headers=owner), 404, "not_found")
    assert (error["resource"], error["id"]) == ("reference", jab["id"])
    assert [r["id"] for r in (await references(http, coach_id, owner))["references"]] == [teep["id"]]
    # The coach keeps the techniques its references brought.
    assert (await http.get(f"/coaches/{coach_id}", headers=owner)).json()["techniques"] == ["teep", "jab"]


async def test_unknown_coach_and_reference_are_not_found(http, coach, admin_headers):
    coach_id, owner = coach
    ghost = f"ghost_{uuid.uuid4().hex[:6]}"
    body = {"technique": "jab", "pose_sequence": compact(jab_sequence())}
    for reply in (await http.post(f"/coaches/{ghost}/references", json=body, headers=admin_headers),
                  await http.get(f"/coaches/{ghost}/references", headers=owner),
                  await http.get(f"/coaches/{ghost}/references/ref_000000000000000000000000", headers=owner)):
        error = error_of(reply, 404, "not_found")
        assert (error["resource"], error["id"], error["message"]) == ("coach", ghost, f"Coach '{ghost}' not found")

    mine = (await http.post(f"/coaches/{coach_id}/references", json=body, headers=owner)).json()
    other_id = f"sagat_{uuid.uuid4().hex[:6]}"
    assert (await http.post("/coaches", json={"id": other_id, "name": "Sagat", "style": "Muay Thai"},
                            headers=owner)).status_code == 201
    for reply in (await http.get(f"/coaches/{other_id}/references/{mine['id']}", headers=owner),
                  await http.delete(f"/coaches/{other_id}/references/{mine['id']}", headers=owner)):
        error = error_of(reply, 404, "not_found")
        assert (error["resource"], error["id"]) == ("reference", mine["id"])


async def test_only_the_owner_or_an_admin_adds_and_deletes(http, coach, admin_headers):
    coach_id, owner = coach
    _, other_coach = await new_user(http, "coach")
    _, student = await new_user(http, "student")
    body = {"technique": "jab", "pose_sequence": compact(jab_sequence())}
    for headers in (other_coach, student):
        error = error_of(await http.post(f"/coaches/{coach_id}/references", json=body, headers=headers),
                         403, "forbidden")
        assert error["message"] == "Only the coach's owner or an administrator can add or delete its references"
    assert (await references(http, coach_id, owner))["total"] == 0
    error_of(await http.post(f"/coaches/{coach_id}/references", json=body), 401, "unauthorized")
    error_of(await http.get(f"/coaches/{coach_id}/references"), 401, "unauthorized")

    by_admin = await http.post(f"/coaches/{coach_id}/references", json=body, headers=admin_headers)
    assert by_admin.status_code == 201
    ref_id = by_admin.json()["id"]
    assert (await http.get(f"/coaches/{coach_id}/references/{ref_id}", headers=student)).status_code == 200
    error_of(await http.delete(f"/coaches/{coach_id}/references/{ref_id}", headers=other_coach), 403, "forbidden")
    assert (await http.delete(f"/coaches/{coach_id}/references/{ref_id}", headers=owner)).status_code == 200


async def test_malformed_sequences_are_refused_field_by_field(http, coach):
    coach_id, owner = coach
    url = f"/coaches/{coach_id}/references"
    seq = compact(jab_sequence())
    seq["frames"][4]["landmarks"][11][0] = 4.2
    seq["frames"][6]["timestamp_ms"] = 0.0
    error = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": seq}, headers=owner),
                     400, "invalid_request")
    assert error["message"] == "Invalid pose sequence: 2 problems"
    assert set(error["details"]) == {"pose_sequence.frames.4.landmarks.11", "pose_sequence.frames.6.timestamp_ms"}

    # Shapes are the edge's to check: the body is refused before it is converted and sent on.
    shapes = compact(jab_sequence())
    shapes["frames"][1]["landmarks"][0] = [0.1, 0.2, 0.3]
    shapes["frames"][2]["landmarks"] = shapes["frames"][2]["landmarks"][:30]
    shapes["frames"][3]["landmarks"][5][2] = "0.5"
    error = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": shapes}, headers=owner),
                     400, "invalid_request")
    assert error["message"] == "Invalid request parameters"
    assert set(error["details"]) == {"pose_sequence.frames.1.landmarks.0", "pose_sequence.frames.2.landmarks",
                                     "pose_sequence.frames.3.landmarks.5.2"}
    assert error["details"]["pose_sequence.frames.2.landmarks"] == (
        "Must hold 33 landmarks (BlazePose order), or none when no person is in the frame (got 30)")

    few = compact(jab_sequence(frames=12, empty=(0, 1, 2, 3)))
    error = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": few}, headers=owner),
                     422, "validation_error")
    assert error["details"] == {"pose_sequence.frames": "8 frames with a person, at least 10 needed"}
    assert (await references(http, coach_id, owner))["total"] == 0
    assert (await http.get(f"/coaches/{coach_id}", headers=owner)).json()["techniques"] == ["teep"]


async def test_oversized_sequences_are_refused_by_the_edge(http, coach):
    coach_id, owner = coach
    url = f"/coaches/{coach_id}/references"
    too_long = {"fps": 60.0, "frames": [{"timestamp_ms": i * 10.0, "landmarks": []} for i in range(7201)]}
    error = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": too_long}, headers=owner),
                     400, "invalid_request")
    assert error["details"] == {"pose_sequence.frames": "List should have at most 7200 items after validation, "
                                                        "not 7201"}

    crowded = compact(jab_sequence())
    crowded["frames"][5]["landmarks"] *= 2
    crowded["frames"][9]["landmarks"].append([0.0, 0.0, 0.0, 1.0])
    error = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": crowded}, headers=owner),
                     400, "invalid_request")
    assert error["details"] == {"pose_sequence.frames.5.landmarks": "List should have at most 33 items after "
                                                                    "validation, not 66",
                                "pose_sequence.frames.9.landmarks": "List should have at most 33 items after "
                                                                    "validation, not 34"}

    # The limits themselves are accepted: 7200 frames, and frames with 33 landmarks or none.
    longest = compact(jab_sequence(frames=7200, fps=60.0, empty=tuple(range(10, 7200))))
    added = await http.post(url, json={"technique": "jab", "pose_sequence": longest}, headers=owner)
    assert added.status_code == 201, added.text
    assert (added.json()["frame_count"], added.json()["detected_frames"]) == (7200, 10)
    assert (await references(http, coach_id, owner))["total"] == 1


async def test_spellings_of_a_listed_technique_do_not_list_it_again(http):
    _, owner = await new_user(http, "coach")
    coach_id = f"nagato_{uuid.uuid4().hex[:6]}"
    created = await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Muay Thai",
                                                "techniques": ["front-kick", "Spinning  Back Kick"]}, headers=owner)
    assert created.status_code == 201, created.text
    assert created.json()["techniques"] == ["front_kick", "spinning_back_kick"]
    for spelling in ("Front Kick", "front__kick", "Spinning-Back-Kick"):
        reply = await http.post(f"/coaches/{coach_id}/references", headers=owner,
                                json={"technique": spelling, "pose_sequence": compact(jab_sequence())})
        assert reply.status_code == 201, reply.text
    assert (await http.get(f"/coaches/{coach_id}", headers=owner)).json()["techniques"] == [
        "front_kick", "spinning_back_kick"]
    assert (await references(http, coach_id, owner, technique="front-kick"))["total"] == 2
    bad = error_of(await http.put(f"/coaches/{coach_id}", json={"techniques": ["teep", "kick!"]}, headers=owner),
                   400, "invalid_request")
    assert bad["details"]["techniques"].startswith("Item 1 must be a short name")


async def test_exactly_one_source_and_valid_fields(http, coach):
    coach_id, owner = coach
    url = f"/coaches/{coach_id}/references"
    seq = compact(jab_sequence())
    neither = error_of(await http.post(url, json={"technique": "jab"}, headers=owner), 400, "invalid_request")
    assert set(neither["details"]) == {"video_url", "pose_sequence"}
    both = error_of(await http.post(url, json={"technique": "jab", "pose_sequence": seq,
                                               "video_url": "https://example.com/jab.mp4"}, headers=owner),
                    400, "invalid_request")
    assert both["message"] == "Give exactly one source for the reference, not video_url and pose_sequence"
    fields = error_of(await http.post(url, json={"technique": "jab!", "body_mass_kg": 5, "pose_sequence": seq},
                                      headers=owner), 400, "invalid_request")
    assert set(fields["details"]) == {"technique", "body_mass_kg"}
    missing = error_of(await http.post(url, json={"pose_sequence": seq, "coach": "x"}, headers=owner),
                       400, "invalid_request")
    assert missing["details"] == {"technique": "This field is required", "coach": "Unknown field"}
    no_file = error_of(await http.post(url, data={"technique": "jab"}, files={"video": ("a.mp4", b"x")},
                                       headers=owner), 400, "invalid_request")
    assert no_file["details"] == {"video": "Unknown field", "file": "This field is required"}
    bad_filter = error_of(await http.get(url, params={"technique": "two words!"}, headers=owner), 400,
                          "invalid_request")
    assert list(bad_filter["details"]) == ["technique"]
    assert (await references(http, coach_id, owner))["total"] == 0


async def test_videos_without_enough_of_a_person_are_unprocessable(http, coach, tmp_path):
    from testkit.bad_videos import one_frame

    coach_id, owner = coach
    url = f"/coaches/{coach_id}/references"
    room = tmp_path / "room.mp4"
    writer = cv2.VideoWriter(str(room), cv2.VideoWriter_fourcc(*"mp4v"), 25, (320, 240))
    for i in range(12):
        writer.write(np.full((240, 320, 3), 40 + 10 * i, dtype=np.uint8))
    writer.release()
    nobody = error_of(await http.post(url, json={"technique": "jab", "video_url": base64.b64encode(
        room.read_bytes()).decode()}, headers=owner), 422, "validation_error")
    assert nobody["message"] == "No person was detected in the video"

    with one_frame(tmp_path).open("rb") as video:
        short = error_of(await http.post(url, data={"technique": "jab"}, files={"file": ("one.mp4", video)},
                                         headers=owner), 422, "validation_error")
    assert short["message"].startswith("Only 1 of 1 frames show a person; a reference needs at least 10")
    not_video = error_of(await http.post(url, json={"technique": "jab", "video_url": base64.b64encode(
        b"just some text, not a video\n" * 10).decode()}, headers=owner), 400, "invalid_request")
    assert "not a video" in not_video["message"]
    assert (await references(http, coach_id, owner))["total"] == 0


async def test_deleting_the_coach_deletes_its_references(http, coach):
    coach_id, owner = coach
    added = (await http.post(f"/coaches/{coach_id}/references", headers=owner,
                             json={"technique": "jab", "pose_sequence": compact(jab_sequence())})).json()
    assert (await http.delete(f"/coaches/{coach_id}", headers=owner)).status_code == 200
    assert (await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Muay Thai"},
                            headers=owner)).status_code == 201
    assert (await references(http, coach_id, owner))["total"] == 0
    error = error_of(await http.get(f"/coaches/{coach_id}/references/{added['id']}", headers=owner), 404,
                     "not_found")
    assert error["resource"] == "reference"
