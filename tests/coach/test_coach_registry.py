"""Coach registry rules over the real database: roles, ownership, update masks, not-found."""

from __future__ import annotations

import pytest

from services.kit.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthorized


def body(coach_id: str, **extra) -> dict:
    return {"id": coach_id, "name": "Sagat", "style": "Muay Thai", **extra}


async def test_reading_requires_a_principal(registry, new_id):
    with pytest.raises(Unauthorized):
        await registry.list_coaches(None)
    with pytest.raises(Unauthorized):
        await registry.get_coach(None, new_id())


async def test_get_unknown_is_not_found_with_resource_and_id(registry, make_principal, new_id):
    missing = new_id("missing")
    with pytest.raises(NotFound) as caught:
        await registry.get_coach(make_principal("student"), missing)
    assert caught.value.to_dict()["resource"] == "coach" and caught.value.to_dict()["id"] == missing


async def test_bad_page_is_invalid(registry, make_principal):
    with pytest.raises(InvalidRequest) as caught:
        await registry.list_coaches(make_principal("student"), limit=1000, offset=-1)
    assert set(caught.value.details) == {"limit", "offset"}


@pytest.mark.parametrize("role", ["admin", "coach"])
async def test_coach_and_admin_register_and_own(registry, make_principal, new_id, role):
    caller = make_principal(role)
    created = await registry.create_coach(caller, body(new_id(), owner_id="someone_else",
                                                       techniques=["Tiger Knee"]))
    assert created["owner_id"] == caller.user_id and created["techniques"] == ["tiger_knee"]
    assert await registry.get_coach(make_principal("student"), created["id"]) == created


async def test_student_and_anonymous_cannot_register(registry, make_principal, new_id):
    with pytest.raises(Forbidden, match="Only coaches and administrators can register a coach"):
        await registry.create_coach(make_principal("student"), body(new_id()))
    with pytest.raises(Unauthorized):
        await registry.create_coach(None, body(new_id()))


async def test_duplicate_registration_conflicts(registry, make_principal, new_id):
    coach_id = new_id()
    await registry.create_coach(make_principal("coach"), body(coach_id))
    with pytest.raises(Conflict):
        await registry.create_coach(make_principal("admin"), body(coach_id))


async def test_owner_updates_masked_fields_only(registry, make_principal, new_id):
    owner = make_principal("coach")
    created = await registry.create_coach(owner, body(new_id(), rank="Master", years_experience=25))
    updated = await registry.update_coach(owner, created["id"], ["years_experience", "rank"],
                                          {"name": "Ignored", "years_experience": 26})
    assert updated["years_experience"] == 26 and updated["rank"] is None  # in the mask, absent: cleared
    assert updated["name"] == "Sagat"


async def test_stranger_cannot_update_or_delete_but_admin_can(registry, make_principal, new_id):
    owner = make_principal("coach")
    created = await registry.create_coach(owner, body(new_id()))
    stranger = make_principal("coach")
    with pytest.raises(Forbidden, match="You can only change your own coach entry"):
        await registry.update_coach(stranger, created["id"], ["name"], {"name": "Mine now"})
    with pytest.raises(Forbidden):
        await registry.delete_coach(stranger, created["id"])
    admin = make_principal("admin")
    assert (await registry.update_coach(admin, created["id"], ["name"], {"name": "By admin"}))["name"] == "By admin"
    assert await registry.delete_coach(admin, created["id"]) == f"Coach {created['id']} deleted successfully"
    with pytest.raises(NotFound):
        await registry.delete_coach(admin, created["id"])
    with pytest.raises(NotFound):
        await registry.update_coach(admin, created["id"], ["name"], {"name": "Gone"})


async def test_update_rejects_immutable_and_unknown_paths_and_bad_values(registry, make_principal, new_id):
    owner = make_principal("coach")
    created = await registry.create_coach(owner, body(new_id()))
    with pytest.raises(InvalidRequest) as caught:
        await registry.update_coach(owner, created["id"], ["id", "colour"], {"id": "other"})
    assert caught.value.details == {"id": "This field cannot be changed", "colour": "Unknown field"}
    with pytest.raises(InvalidRequest) as caught:
        await registry.update_coach(owner, created["id"], ["name", "years_experience"],
                                    {"name": "", "years_experience": 101})
    assert set(caught.value.details) == {"name", "years_experience"}
    assert await registry.get_coach(owner, created["id"]) == created


async def test_count_follows_creations(registry, make_principal, new_id):
    before = await registry.count()
    await registry.create_coach(make_principal("coach"), body(new_id()))
    assert await registry.count() == before + 1
