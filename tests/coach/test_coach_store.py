"""Coach storage against the real PostgreSQL: round trip, paging, conflicts, atomic update and delete."""

from __future__ import annotations

import asyncpg
import pytest

from services.coach.validation import validate_new
from services.kit.errors import Conflict, Forbidden


def coach(coach_id: str, **extra) -> dict:
    return validate_new({"id": coach_id, "name": "Nagato", "style": "Muay Thai", **extra})


async def test_insert_and_get_round_trip_every_field(store, new_id):
    coach_id = new_id()
    philosophy = {"focus": "Precision", "drills": [1, 2.5, "pads"], "nested": {"ok": True, "none": None}}
    created = await store.insert(coach(coach_id, rank="Champion", years_experience=15, teachers=["Master Toddy"],
                                       techniques=["roundhouse", "teep"], teaching_philosophy=philosophy),
                                 owner_id="u_owner")
    assert created["owner_id"] == "u_owner"
    assert created["created_at"] == created["updated_at"] and created["created_at"].tzinfo is not None
    assert await store.get(coach_id) == created
    assert created["teaching_philosophy"] == philosophy
    assert created["teachers"] == ["Master Toddy"] and created["techniques"] == ["roundhouse", "teep"]
    assert (created["rank"], created["years_experience"]) == ("Champion", 15)


async def test_unset_optionals_are_stored_as_null(store, new_id):
    created = await store.insert(coach(new_id()), owner_id="u")
    assert (created["rank"], created["years_experience"], created["teaching_philosophy"]) == (None, None, None)
    assert created["teachers"] == [] and created["techniques"] == []


async def test_duplicate_id_is_a_conflict(store, new_id):
    coach_id = new_id()
    await store.insert(coach(coach_id), owner_id="u")
    with pytest.raises(Conflict, match=f"Coach '{coach_id}' already exists"):
        await store.insert(coach(coach_id, name="Other"), owner_id="v")
    assert (await store.get(coach_id))["name"] == "Nagato"


async def test_list_is_ordered_by_id_with_a_total_of_all(store, new_id):
    prefix = new_id("p")
    for suffix in ("c", "a", "b"):
        await store.insert(coach(f"{prefix}_{suffix}"), owner_id="u")
    everything, total = await store.list(500, 0)
    ids = [c["id"] for c in everything]
    assert ids == sorted(ids) and total == len(ids) == await store.count()
    mine = [i for i in ids if i.startswith(prefix)]
    assert mine == [f"{prefix}_a", f"{prefix}_b", f"{prefix}_c"]
    start = ids.index(mine[0])
    page, page_total = await store.list(2, start + 1)
    assert [c["id"] for c in page] == mine[1:] and page_total == total
    assert await store.list(5, total + 10) == ([], total)


async def test_update_changes_only_given_fields_and_bumps_updated_at(store, new_id):
    coach_id = new_id()
    created = await store.insert(coach(coach_id, rank="Kru", teaching_philosophy={"a": 1}), owner_id="u")
    updated = await store.update(coach_id, lambda current: {"name": "Renamed", "rank": None,
                                                            "teaching_philosophy": {"b": [2]}})
    assert updated["name"] == "Renamed" and updated["rank"] is None and updated["teaching_philosophy"] == {"b": [2]}
    assert updated["style"] == created["style"] and updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    assert await store.get(coach_id) == updated


async def test_update_that_is_refused_leaves_the_row_untouched(store, new_id):
    coach_id = new_id()
    created = await store.insert(coach(coach_id), owner_id="u")

    def refuse(current):
        assert current["owner_id"] == "u"
        raise Forbidden("no")

    with pytest.raises(Forbidden):
        await store.update(coach_id, refuse)
    assert await store.get(coach_id) == created
    assert await store.update(new_id("missing"), refuse) is None


async def test_delete(store, new_id):
    coach_id = new_id()
    await store.insert(coach(coach_id), owner_id="u")

    def refuse(current):
        raise Forbidden("no")

    with pytest.raises(Forbidden):
        await store.delete(coach_id, refuse)
    assert await store.get(coach_id) is not None
    assert await store.delete(coach_id, lambda current: None) is True
    assert await store.get(coach_id) is None
    assert await store.delete(coach_id, lambda current: None) is False


async def test_database_rejects_rows_that_bypass_validation(coach_pool, new_id):
    """The CHECK constraints are the last line: nothing invalid lands even if the code is bypassed."""
    with pytest.raises(asyncpg.CheckViolationError):
        await coach_pool.execute("INSERT INTO coaches (id, name, style, owner_id) VALUES ($1, 'n', 's', 'u')",
                                 "Bad Id")
