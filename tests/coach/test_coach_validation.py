"""Coach field rules: each rule, normalisation, and every bad field reported in one error."""

from __future__ import annotations

import pytest

from services.coach import validation
from services.kit.errors import InvalidRequest


def valid(**overrides):
    data = {"id": "nagato", "name": "Nagato", "style": "Muay Thai"}
    data.update(overrides)
    return data


def details_of(call, *args) -> dict:
    with pytest.raises(InvalidRequest) as caught:
        call(*args)
    return caught.value.details


def test_minimal_coach_is_normalised_with_defaults():
    clean = validation.validate_new(valid(name="  Nagato  "))
    assert clean == {"id": "nagato", "name": "Nagato", "style": "Muay Thai", "rank": None,
                     "years_experience": None, "teachers": [], "techniques": [], "teaching_philosophy": None}


def test_service_set_fields_are_ignored_on_create():
    clean = validation.validate_new(valid(owner_id="intruder", created_at="2000-01-01T00:00:00Z"))
    assert "owner_id" not in clean and "created_at" not in clean


def test_unknown_field_on_create_is_reported():
    assert details_of(validation.validate_new, valid(colour="red")) == {"colour": "Unknown field"}


@pytest.mark.parametrize("coach_id, fragment", [
    ("", "required"), (None, "required"), ("a", "2-64"), ("a" * 65, "2-64"), ("Nagato", "lower-case"),
    ("1abc", "start with"), ("na gato", "lower-case"), ("naga.to", "lower-case"), (7, "string"),
])
def test_bad_ids(coach_id, fragment):
    assert fragment in details_of(validation.validate_new, valid(id=coach_id))["id"]


@pytest.mark.parametrize("coach_id", ["ab", "nagato", "sagat_2", "old-school", "a" * 64])
def test_good_ids(coach_id):
    assert validation.validate_new(valid(id=coach_id))["id"] == coach_id


@pytest.mark.parametrize("field, limit", [("name", 200), ("style", 100)])
def test_required_texts(field, limit):
    assert details_of(validation.validate_new, valid(**{field: "   "})) == {field: validation.REQUIRED}
    assert "at most" in details_of(validation.validate_new, valid(**{field: "x" * (limit + 1)}))[field]
    assert validation.validate_new(valid(**{field: "x" * limit}))[field] == "x" * limit


def test_rank_is_optional_and_bounded():
    assert validation.validate_new(valid(rank=""))["rank"] is None
    assert validation.validate_new(valid(rank=" Kru "))["rank"] == "Kru"
    assert "at most 100" in details_of(validation.validate_new, valid(rank="r" * 101))["rank"]


@pytest.mark.parametrize("years", [-1, 101, True, 3.5, "5"])
def test_bad_years_experience(years):
    assert "years_experience" in details_of(validation.validate_new, valid(years_experience=years))


@pytest.mark.parametrize("years", [0, 100, None])
def test_good_years_experience(years):
    assert validation.validate_new(valid(years_experience=years))["years_experience"] == years


def test_techniques_are_normalised_and_deduplicated_in_order():
    clean = validation.validate_new(valid(techniques=["Roundhouse", " teep", "Spinning  Back Kick",
                                                      "roundhouse ", "TEEP"]))
    assert clean["techniques"] == ["roundhouse", "teep", "spinning_back_kick"]


def test_techniques_take_the_form_references_and_analyses_use():
    # Hyphens, underscores and runs of spaces are one separator, so 'front-kick' is the reference 'Front Kick'.
    clean = validation.validate_new(valid(techniques=["front-kick", "Front Kick", "front__kick", "Spinning  Back-Kick",
                                                      "-teep-"]))
    assert clean["techniques"] == ["front_kick", "spinning_back_kick", "teep"]
    assert clean["techniques"][0] == validation.validate_reference({"technique": "Front Kick"})["technique"]


@pytest.mark.parametrize(("techniques", "detail"), [
    (["teep", "kick!"], "Item 1 must be a short name of letters, digits and '_' starting with a letter"),
    (["2nd kick"], "Item 0 must be a short name"), (["-"], "Item 0 must be a short name"),
    (["k" * 65], "Item 0 must be a short name"),
])
def test_techniques_outside_the_form_are_refused(techniques, detail):
    assert detail in details_of(validation.validate_new, valid(techniques=techniques))["techniques"]
    assert detail in details_of(validation.validate_changes, {"techniques": techniques})["techniques"]


def test_teachers_are_stripped_but_kept_as_written():
    assert validation.validate_new(valid(teachers=[" Master Toddy "]))["teachers"] == ["Master Toddy"]


@pytest.mark.parametrize("field", ["teachers", "techniques"])
@pytest.mark.parametrize("value, fragment", [
    (["ok", " "], "Item 1 is empty"), (["x" * 101], "Item 0 must be at most 100"),
    (["ok"] * 201, "at most 200 items"), ("roundhouse", "list of strings"), ([3], "Item 0 must be a string"),
])
def test_bad_string_lists(field, value, fragment):
    assert fragment in details_of(validation.validate_new, valid(**{field: value}))[field]


def test_teaching_philosophy_must_be_a_small_object():
    assert validation.validate_new(valid(teaching_philosophy={"focus": "power"}))["teaching_philosophy"] == {
        "focus": "power"}
    assert details_of(validation.validate_new, valid(teaching_philosophy=["power"])) == {
        "teaching_philosophy": "Must be a JSON object"}
    big = {"text": "x" * validation.PHILOSOPHY_MAX_BYTES}
    assert "at most 16384 bytes" in details_of(validation.validate_new, valid(teaching_philosophy=big))[
        "teaching_philosophy"]


def test_every_bad_field_is_reported_at_once():
    details = details_of(validation.validate_new, {"id": "X", "name": "", "style": "s" * 101,
                                                   "years_experience": 200, "techniques": [""],
                                                   "teaching_philosophy": "calm"})
    assert set(details) == {"id", "name", "style", "years_experience", "techniques", "teaching_philosophy"}


def test_update_paths():
    assert validation.check_update_paths(["name", "rank", "name"]) == ["name", "rank"]
    details = details_of(validation.check_update_paths, ["id", "owner_id", "created_at", "updated_at", "colour",
                                                         "teaching_philosophy.focus"])
    assert details["id"] == details["owner_id"] == details["created_at"] == details["updated_at"] == \
        "This field cannot be changed"
    assert details["colour"] == "Unknown field"
    assert "use 'teaching_philosophy'" in details["teaching_philosophy.focus"]


def test_changes_are_validated_like_create_and_none_clears_optionals():
    assert validation.validate_changes({"rank": None, "years_experience": None, "teachers": None}) == {
        "rank": None, "years_experience": None, "teachers": []}
    details = details_of(validation.validate_changes, {"name": "", "years_experience": -3})
    assert set(details) == {"name", "years_experience"}
    assert "update_mask" in details_of(validation.validate_changes, {})


@pytest.mark.parametrize("limit, offset, expected", [(0, 0, (100, 0)), (1, 5, (1, 5)), (500, 0, (500, 0))])
def test_good_pages(limit, offset, expected):
    assert validation.check_page(limit, offset) == expected


def test_bad_pages_report_both_fields():
    assert set(details_of(validation.check_page, 501, -1)) == {"limit", "offset"}
    assert "limit" in details_of(validation.check_page, -5, 0)
