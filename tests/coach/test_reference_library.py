"""Reference performances over the real database: ownership, techniques, listing, poses, deletion, cascade."""

from __future__ import annotations

import pytest

from services.coach.references import NewReference
from services.kit.errors import Forbidden, InvalidRequest, NotFound, Unauthorized, ValidationFailed
from testkit.poses import jab_sequence


@pytest.fixture
async def coach(registry, make_principal, new_id):
    """A coach entry and its owner."""
    owner = make_principal("coach")
    created = await registry.create_coach(owner, {"id": new_id(), "name": "Nagato", "style": "Muay Thai",
                                                  "techniques": ["teep"]})
    return created, owner


def from_poses(coach_id: str, technique: str = "jab", **fields) -> NewReference:
    return NewReference(coach_id=coach_id, technique=technique, pose_sequence=jab_sequence(), **fields)


async def count(coach_pool, coach_id: str) -> int:
    return await coach_pool.fetchval("SELECT count(*) FROM reference_performances WHERE coach_id = $1", coach_id)


async def test_owner_adds_a_reference_and_its_technique_joins_the_coach(library, registry, coach):
    entry, owner = coach
    added = await library.add(owner, from_poses(entry["id"], " Front-Kick", name=" left side ", body_mass_kg=71.5))
    assert added["id"].startswith("ref_") and len(added["id"]) == 28
    assert {k: added[k] for k in ("coach_id", "technique", "name", "source", "fps", "frame_count", "detected_frames",
                                  "body_mass_kg", "created_by")} == {
        "coach_id": entry["id"], "technique": "front_kick", "name": "left side", "source": "pose_sequence",
        "fps": 30.0, "frame_count": 30, "detected_frames": 30, "body_mass_kg": 71.5, "created_by": owner.user_id}
    assert added["duration_ms"] == pytest.approx(1000.0)
    after = await registry.get_coach(owner, entry["id"])
    assert after["techniques"] == ["teep", "front_kick"] and after["updated_at"] > entry["updated_at"]

    again = await library.add(owner, from_poses(entry["id"], "teep"))
    assert again["name"] is None and again["body_mass_kg"] is None
    assert (await registry.get_coach(owner, entry["id"]))["techniques"] == ["teep", "front_kick"]


async def test_admin_may_add_and_strangers_may_not(library, coach, coach_pool, make_principal):
    entry, _ = coach
    assert (await library.add(make_principal("admin"), from_poses(entry["id"])))["source"] == "pose_sequence"
    for stranger in (make_principal("coach"), make_principal("student")):
        with pytest.raises(Forbidden, match="Only the coach's owner or an administrator"):
            await library.add(stranger, from_poses(entry["id"]))
    with pytest.raises(Unauthorized):
        await library.add(None, from_poses(entry["id"]))
    assert await count(coach_pool, entry["id"]) == 1


async def test_ownership_is_checked_before_the_input(library, coach, make_principal):
    entry, _ = coach
    with pytest.raises(Forbidden):
        await library.add(make_principal("coach"), NewReference(coach_id=entry["id"], technique="!!"))


async def test_unknown_coach_is_not_found(library, make_principal, new_id):
    missing = new_id("ghost")
    with pytest.raises(NotFound) as caught:
        await library.add(make_principal("admin"), from_poses(missing))
    assert caught.value.to_dict() == {"code": "not_found", "message": f"Coach '{missing}' not found",
                                      "resource": "coach", "id": missing}


@pytest.mark.parametrize(("sources", "details"), [
    ({}, {"video_url": "Give exactly one of video_url and pose_sequence",
          "pose_sequence": "Give exactly one of video_url and pose_sequence"}),
    ({"video_url": "https://example.com/kick.mp4", "pose_sequence": jab_sequence()},
     {"video_url": "Give exactly one of video_url and pose_sequence",
      "pose_sequence": "Give exactly one of video_url and pose_sequence"}),
])
async def test_exactly_one_source(library, coach, coach_pool, sources, details):
    entry, owner = coach
    with pytest.raises(InvalidRequest) as caught:
        await library.add(owner, NewReference(coach_id=entry["id"], technique="jab", **sources))
    assert caught.value.details == details
    assert await count(coach_pool, entry["id"]) == 0


async def test_bad_input_stores_nothing_and_adds_no_technique(library, registry, coach, coach_pool):
    entry, owner = coach
    malformed = jab_sequence()
    malformed.frames[3].landmarks[5].wx = 9.0
    with pytest.raises(InvalidRequest) as caught:
        await library.add(owner, NewReference(coach_id=entry["id"], technique="elbow", pose_sequence=malformed))
    assert list(caught.value.details) == ["pose_sequence.frames.3.landmarks.5"]
    with pytest.raises(ValidationFailed, match="Only 5 of 30 frames show a person"):
        await library.add(owner, NewReference(coach_id=entry["id"], technique="elbow",
                                              pose_sequence=jab_sequence(empty=tuple(range(25)))))
    with pytest.raises(InvalidRequest) as caught:
        await library.add(owner, NewReference(coach_id=entry["id"], technique="", body_mass_kg=500.0,
                                              pose_sequence=jab_sequence()))
    assert set(caught.value.details) == {"technique", "body_mass_kg"}
    assert await count(coach_pool, entry["id"]) == 0
    assert (await registry.get_coach(owner, entry["id"]))["techniques"] == ["teep"]


async def test_list_filters_by_technique_newest_first(library, coach, make_principal, new_id):
    entry, owner = coach
    first = await library.add(owner, from_poses(entry["id"], "roundhouse"))
    await library.add(owner, from_poses(entry["id"], "teep"))
    last = await library.add(owner, from_poses(entry["id"], "roundhouse", name="second take"))
    reader = make_principal("student")
    rows, total = await library.list(reader, entry["id"], "Roundhouse")
    assert [r["id"] for r in rows] == [last["id"], first["id"]] and total == 2
    assert "poses" not in rows[0]
    page, total = await library.list(reader, entry["id"], limit=1, offset=1)
    assert len(page) == 1 and total == 3
    assert await library.list(reader, entry["id"], "elbow") == ([], 0)
    with pytest.raises(InvalidRequest) as caught:
        await library.list(reader, entry["id"], "round house!")
    assert list(caught.value.details) == ["technique"]
    with pytest.raises(NotFound, match="Coach"):
        await library.list(reader, new_id("ghost"))


async def test_get_returns_the_stored_poses_only_for_that_coach(library, registry, coach, make_principal, new_id):
    entry, owner = coach
    added = await library.add(owner, from_poses(entry["id"]))
    reader = make_principal("student")
    row, poses = await library.get(reader, entry["id"], added["id"], include_poses=True)
    assert row == added
    assert len(poses.frames) == 30 and poses.frame_count == 30
    assert [f.landmarks for f in poses.frames] == [f.landmarks for f in jab_sequence().frames]
    assert await library.get(reader, entry["id"], added["id"]) == (added, None)

    other = await registry.create_coach(owner, {"id": new_id(), "name": "Sagat", "style": "Muay Thai"})
    with pytest.raises(NotFound) as caught:
        await library.get(reader, other["id"], added["id"])
    assert caught.value.to_dict()["resource"] == "reference" and caught.value.to_dict()["id"] == added["id"]
    with pytest.raises(NotFound, match="Coach"):
        await library.get(reader, new_id("ghost"), added["id"])


async def test_delete_by_owner_keeps_the_technique(library, registry, coach, make_principal):
    entry, owner = coach
    added = await library.add(owner, from_poses(entry["id"], "uppercut"))
    with pytest.raises(Forbidden):
        await library.delete(make_principal("coach"), entry["id"], added["id"])
    assert await library.delete(owner, entry["id"], added["id"]) == f"Reference {added['id']} deleted successfully"
    with pytest.raises(NotFound, match="Reference"):
        await library.delete(owner, entry["id"], added["id"])
    assert "uppercut" in (await registry.get_coach(owner, entry["id"]))["techniques"]


async def test_deleting_the_coach_deletes_its_references(library, registry, coach, coach_pool):
    entry, owner = coach
    await library.add(owner, from_poses(entry["id"]))
    await library.add(owner, from_poses(entry["id"], "teep"))
    assert await count(coach_pool, entry["id"]) == 2
    await registry.delete_coach(owner, entry["id"])
    assert await count(coach_pool, entry["id"]) == 0


async def test_a_video_needs_a_pose_service(library, coach):
    entry, owner = coach
    with pytest.raises(InvalidRequest, match="cannot analyse videos"):
        await library.add(owner, NewReference(coach_id=entry["id"], technique="jab",
                                              video_url="https://example.com/kick.mp4"))


async def test_a_coach_with_the_most_techniques_takes_references_of_those_only(library, registry, make_principal,
                                                                              new_id):
    owner = make_principal("coach")
    full = await registry.create_coach(owner, {"id": new_id(), "name": "Nagato", "style": "Muay Thai",
                                               "techniques": [f"technique_{i}" for i in range(200)]})
    with pytest.raises(InvalidRequest) as caught:
        await library.add(owner, from_poses(full["id"], "jab"))
    assert caught.value.details == {"technique": "remove a technique from the coach before adding another"}
    assert (await library.add(owner, from_poses(full["id"], "technique_7")))["technique"] == "technique_7"


async def test_a_listed_technique_is_not_listed_again_under_another_spelling(library, registry, make_principal,
                                                                             new_id):
    owner = make_principal("coach")
    entry = await registry.create_coach(owner, {"id": new_id(), "name": "Nagato", "style": "Muay Thai",
                                                "techniques": ["front-kick", "Spinning  Back Kick"]})
    assert entry["techniques"] == ["front_kick", "spinning_back_kick"]
    for spelling in ("Front Kick", "front__kick", "spinning-back-kick"):
        await library.add(owner, from_poses(entry["id"], spelling))
    assert (await registry.get_coach(owner, entry["id"]))["techniques"] == ["front_kick", "spinning_back_kick"]
    rows, total = await library.list(owner, entry["id"], "FRONT-KICK")
    assert total == 2 and {r["technique"] for r in rows} == {"front_kick"}
